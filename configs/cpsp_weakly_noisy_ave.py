# Short name of cpsp/cpsp_avga-vgg19-vggish_1xb64-45e_ave-weakly-noisy.py
_base_ = ['./cpsp/cpsp_avga-vgg19-vggish_1xb64-45e_ave-weakly-noisy.py']
