# Short name of cpsp/cpsp_avga-resnet-vggish_1xb64-45e_vggsound-avel50k-fully.py
_base_ = ['./cpsp/cpsp_avga-resnet-vggish_1xb64-45e_vggsound-avel50k-fully.py']
