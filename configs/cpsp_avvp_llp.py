# Short name of cpsp/cpsp_mmil-r152-r2plus1d-vggish_1xb16-12e_llp-avvp.py
_base_ = ['./cpsp/cpsp_mmil-r152-r2plus1d-vggish_1xb16-12e_llp-avvp.py']
