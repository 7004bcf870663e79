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
import torch  # noqa: E402
from mmengine.utils import digit_version  # noqa: E402

from .version import __version__, version_info  # noqa: E402

# The floors are the versions the test suite ran with (setup.py): the safe
# checkpoint loader needs torch's recent serialization API, and nothing
# older was ever tried. None: no ceiling.
_RANGES = {
    'torch': (torch.__version__, '2.13.0', None),
    'mmengine': (mmengine.__version__, '0.10.7', '1.0.0'),
    'mmcv': (mmcv.__version__, '2.1.0', '2.2.0'),
    'mmaction2': (mmaction.__version__, '1.2.0', '1.3.0'),
}


def _check_versions(ranges: dict) -> None:
    """Stop with the range wanted when a package is outside it."""
    for name, (found, low, high) in ranges.items():
        if digit_version(found) < digit_version(low) or (
                high is not None
                and digit_version(found) >= digit_version(high)):
            wanted = f'>={low}' + (f',<{high}' if high else '')
            raise ImportError(
                f'mmcpsp needs {name}{wanted}, found {found}. '
                'See docs/install.md for the working set.')


_check_versions(_RANGES)

from . import compat  # noqa: E402

compat.apply_all()

from .utils import register_all_modules  # noqa: E402

register_all_modules(init_default_scope=False)

__all__ = ['__version__', 'version_info', 'register_all_modules']
