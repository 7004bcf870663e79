# Short name of sspsp/sspsp_avga-vgg19-vggish_1xb64-45e_ave-fully.py
_base_ = ['./sspsp/sspsp_avga-vgg19-vggish_1xb64-45e_ave-fully.py']
