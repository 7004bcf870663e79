"""The config for features of other extractors (CNN14 audio [t, 2048],
CLIP visual [t, 768], one .npy per video) trains through tools/train.py."""
import os.path as osp
import sys

from tool_runner import run_tool

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)),
                            'test_datasets'))
from test_npy_feature_dataset import write_npy_folder  # noqa: E402

CONFIG = 'configs/cpsp/cpsp_avga-cnn14-clip_1xb64-45e_npy-fully.py'


def test_train_on_npy_features(tmp_path):
    data_root = str(tmp_path / 'data')
    write_npy_folder(data_root)
    options = ['train_cfg.max_epochs=1', 'model.head.num_classes=2',
               'default_hooks.logger.interval=1']
    for split in ('train', 'val', 'test'):
        options += [f'{split}_dataloader.dataset.data_root={data_root}',
                    f'{split}_dataloader.batch_size=2',
                    f'{split}_dataloader.num_workers=0',
                    f'{split}_dataloader.persistent_workers=False']
    work_dir = str(tmp_path / 'work')
    result = run_tool(['tools/train.py', CONFIG, '--work-dir', work_dir,
                       '--cfg-options', *options])
    assert result.returncode == 0, result.stderr[-3000:]
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
