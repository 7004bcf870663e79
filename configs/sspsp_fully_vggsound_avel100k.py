# Short name of sspsp/sspsp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully.py
_base_ = ['./sspsp/sspsp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully.py']
