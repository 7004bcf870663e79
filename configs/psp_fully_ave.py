# Short name of psp/psp_avga-vgg19-vggish_1xb64-45e_ave-fully.py
_base_ = ['./psp/psp_avga-vgg19-vggish_1xb64-45e_ave-fully.py']
