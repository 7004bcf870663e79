# Short name of psp/psp_mmil-r152-r2plus1d-vggish_1xb16-12e_llp-avvp.py
_base_ = ['./psp/psp_mmil-r152-r2plus1d-vggish_1xb16-12e_llp-avvp.py']
