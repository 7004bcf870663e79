"""mmcpsp: Contrastive Positive Sample Propagation on MMAction2."""
import warnings

# mmcv-lite lacks the compiled ops; MMAction2 imports modules that would use
# them and warns on every start. mmcpsp needs none of them.
warnings.filterwarnings(
    'ignore', message='Fail to import ``MultiScaleDeformableAttention``')
# The streaming configs ask for pinned memory, which speeds up copies to a
# GPU; without one PyTorch ignores it, and says so on every dataloader.
warnings.filterwarnings(
    'ignore', message="'pin_memory' argument is set as true but no "
    'accelerator is found')

import mmaction  # noqa: E402
import mmcv  # noqa: E402
import mmengine  # noqa: E402
from mmengine.utils import digit_version  # noqa: E402

from .version import __version__, version_info  # noqa: E402

_RANGES = {
    'mmengine': (mmengine.__version__, '0.10.0', '1.0.0'),
    'mmcv': (mmcv.__version__, '2.0.0rc4', '2.2.0'),
    'mmaction2': (mmaction.__version__, '1.2.0', '1.3.0'),
}
for _name, (_found, _low, _high) in _RANGES.items():
    if not digit_version(_low) <= digit_version(_found) < digit_version(_high):
        raise ImportError(
            f'mmcpsp needs {_name}>={_low},<{_high}, found {_found}. '
            'See docs/install.md for the working set.')

from . import compat  # noqa: E402

compat.apply_all()

from .utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=False)

__all__ = ['__version__', 'version_info', 'register_all_modules']
