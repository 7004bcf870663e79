import warnings

from mmengine.visualization import TensorboardVisBackend

from mmcpsp.registry import VISBACKENDS


class _DiscardingWriter:
    """Accepts every ``SummaryWriter`` call and records nothing."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """TensorBoard logging when ``tensorboard`` is installed, else nothing.

    TensorBoard is an optional extra of mmcpsp (``pip install
    mmcpsp[tensorboard]``); the default runtime lists this backend so that
    runs log to TensorBoard wherever it is installed, and still start (with
    one warning) where it is not.

    Args:
        save_dir (str): The folder of the event files.
    """

    def _init_env(self) -> None:
        try:
            super()._init_env()
        except ImportError as error:
            warnings.warn(f'TensorBoard logging is off: {error}')
            self._tensorboard = _DiscardingWriter()
