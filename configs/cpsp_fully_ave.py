# Short name of cpsp/cpsp_avga-vgg19-vggish_1xb64-45e_ave-fully.py
_base_ = ['./cpsp/cpsp_avga-vgg19-vggish_1xb64-45e_ave-fully.py']
