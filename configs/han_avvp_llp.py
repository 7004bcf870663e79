# Short name of han/han_mmil-r152-r2plus1d-vggish_1xb16-40e_llp-avvp.py
_base_ = ['./han/han_mmil-r152-r2plus1d-vggish_1xb16-40e_llp-avvp.py']
