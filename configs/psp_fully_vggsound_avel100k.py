# Short name of psp/psp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully.py
_base_ = ['./psp/psp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully.py']
