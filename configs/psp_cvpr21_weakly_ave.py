# Short name of psp/psp-cvpr21_avga-vgg19-vggish_1xb128-300e_ave-weakly.py
_base_ = ['./psp/psp-cvpr21_avga-vgg19-vggish_1xb128-300e_ave-weakly.py']
