# Short name of cpsp/cpsp_avga-x3d-resnetaudio_1xb8-45e_ave-rawvideo-fully.py
_base_ = ['./cpsp/cpsp_avga-x3d-resnetaudio_1xb8-45e_ave-rawvideo-fully.py']
