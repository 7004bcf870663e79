"""One test per upstream workaround of mmcpsp/compat.py."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

import mmcpsp
from mmcpsp import compat


def run_python(code: str, timeout: int = 120, **kwargs):
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                          capture_output=True,
                          text=True,
                          timeout=timeout,
                          **kwargs)


class TestMissingDRN:

    def test_mmaction_models_imports(self):
        import mmaction.models  # noqa: F401
        from mmaction.registry import MODELS
        assert MODELS.get('ResNet') is not None

    def test_building_drn_says_why(self):
        from mmaction.models.localizers.drn.drn import DRN
        with pytest.raises(RuntimeError, match='2714'):
            DRN()

    def test_fresh_interpreter_imports_mmaction_models_after_mmcpsp(self):
        result = run_python('import mmcpsp, mmaction.models; print("ok")')
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith('ok')


class TestCheckpointLoading:

    def test_load_from_local_accepts_runner_objects(self, tmp_path):
        from mmengine.logging import HistoryBuffer
        from mmengine.runner.checkpoint import CheckpointLoader
        path = str(tmp_path / 'ckpt.pth')
        buffer = HistoryBuffer()
        buffer.update(1.0)
        torch.save({'message_hub': buffer}, path)
        with pytest.raises(Exception):
            # What mmengine 0.10.7 does on torch >= 2.6 without the fix.
            torch.load(path, weights_only=True)
        loaded = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        assert isinstance(loaded['message_hub'], HistoryBuffer)

    def test_missing_file(self, tmp_path):
        from mmengine.runner.checkpoint import CheckpointLoader
        with pytest.raises(FileNotFoundError):
            CheckpointLoader.load_checkpoint(str(tmp_path / 'none.pth'))


class TestCPUDistributedInit:

    def test_pytorch_launcher_initialises_gloo_without_cuda(self, tmp_path):
        code = '''
        import os
        os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                          MASTER_ADDR='127.0.0.1', MASTER_PORT='29611')
        import torch
        torch.cuda.is_available = lambda: False
        import mmcpsp
        from mmengine.dist import init_dist, get_backend
        init_dist('pytorch', backend='nccl')
        print(get_backend())
        from mmcpsp.compat import finalize_distributed
        finalize_distributed()
        import torch.distributed as dist
        print(dist.is_initialized())
        '''
        result = run_python(code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ['gloo', 'False']

    def test_idempotent(self):
        from mmengine.dist import utils
        compat.fix_cpu_distributed_init()
        compat.fix_cpu_distributed_init()
        assert utils._init_dist_pytorch is compat._init_dist_pytorch_cpu_aware
        assert compat._ORIGINAL_INIT_DIST_PYTORCH is not \
            compat._init_dist_pytorch_cpu_aware


class TestCPUDDPWrapper:

    def test_registered_in_root_registry(self):
        from mmengine.model import MMDistributedDataParallel
        from mmengine.registry import MODEL_WRAPPERS
        wrapper = MODEL_WRAPPERS.get('CPUCompatibleDDP')
        assert issubclass(wrapper, MMDistributedDataParallel)

    def test_wraps_cpu_module_given_device_ids(self):
        code = '''
        import os
        os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                          MASTER_ADDR='127.0.0.1', MASTER_PORT='29612')
        import torch
        import mmcpsp
        import torch.distributed as dist
        from mmengine.model import BaseModel
        from mmengine.registry import MODEL_WRAPPERS
        dist.init_process_group('gloo', rank=0, world_size=1)

        class Toy(BaseModel):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(2, 1)
            def forward(self, inputs, data_samples=None, mode='tensor'):
                return self.fc(inputs)

        wrapped = MODEL_WRAPPERS.build(
            dict(type='CPUCompatibleDDP'),
            default_args=dict(module=Toy(), device_ids=[0]))
        print(type(wrapped).__name__, wrapped.device_ids)
        dist.destroy_process_group()
        '''
        result = run_python(code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ['CPUCompatibleDDP', 'None']


class TestFinalizeDistributed:

    def test_noop_without_group(self):
        compat.finalize_distributed()


class TestMMActionModules:

    def test_weight_initialisers_and_transforms_known(self):
        from mmengine.registry import init_default_scope

        from mmcpsp.registry import TRANSFORMS, WEIGHT_INITIALIZERS
        init_default_scope('mmcpsp')
        assert TRANSFORMS.get('PackActionInputs') is not None
        assert TRANSFORMS.get('DecordInit') is not None
        assert WEIGHT_INITIALIZERS.get('Kaiming') is not None

    def test_mmaction_base_configs_resolve(self, tmp_path):
        # mmengine 0.10.7 needs pkg_resources (setuptools < 81) for them.
        from mmengine.config import Config
        config = tmp_path / 'tsn.py'
        config.write_text("_base_ = ['mmaction::_base_/models/tsn_r50.py']\n")
        cfg = Config.fromfile(str(config))
        assert cfg.model.type == 'Recognizer2D'


class TestAtomicWrites:

    def test_put_replaces_target(self, tmp_path):
        from mmengine.fileio.backends import LocalBackend
        target = tmp_path / 'sub' / 'file.bin'
        LocalBackend().put(b'first', str(target))
        LocalBackend().put(b'second', str(target))
        assert target.read_bytes() == b'second'
        assert sorted(p.name for p in target.parent.iterdir()) == ['file.bin']

    def test_killed_writer_leaves_old_file_whole(self, tmp_path):
        target = tmp_path / 'ckpt.pth'
        target.write_bytes(b'old checkpoint')
        code = f'''
        import mmcpsp
        from mmengine.fileio.backends import LocalBackend
        payload = b'x' * (1 << 20)

        import os
        import time
        real_fdopen = os.fdopen

        def slow_fdopen(*args, **kwargs):
            f = real_fdopen(*args, **kwargs)
            real_write = f.write
            def write(data):
                for start in range(0, len(data), 1 << 16):
                    real_write(data[start:start + (1 << 16)])
                    f.flush()
                    print('chunk', flush=True)
                    time.sleep(0.05)
            f.write = write
            return f
        os.fdopen = slow_fdopen
        LocalBackend().put(payload * 4, {str(target)!r})
        '''
        proc = subprocess.Popen([sys.executable, '-c', textwrap.dedent(code)],
                                stdout=subprocess.PIPE,
                                text=True)
        # Kill the writer once it is part-way through the new file.
        for _ in range(3):
            assert proc.stdout.readline().startswith('chunk')
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.1)
        assert target.read_bytes() == b'old checkpoint'


class TestUnwrapRegistryError:

    def test_strips_nested_prefixes(self):
        message = ('class `Runner` in mmengine/runner/runner.py: '
                   'class `AVEDataset` in mmcpsp.datasets.ave.ave_dataset: '
                   'data/ave/labels.h5: expected x, found y')
        assert compat.unwrap_registry_error(message) == \
            'data/ave/labels.h5: expected x, found y'


def test_version_guard_in_package():
    assert mmcpsp.__version__.count('.') == 2


class TestMMActionFunctionRegistry:

    def test_lookup_through_mmaction_node_works(self):
        from mmcpsp.registry import FUNCTIONS
        assert FUNCTIONS.get('pseudo_collate') is not None
        assert FUNCTIONS.get('avel_collate') is not None

    def test_collate_found_by_the_runner(self):
        from mmengine.registry import FUNCTIONS as ROOT
        from mmengine.runner import Runner
        from torch.utils.data import Dataset

        class Empty(Dataset):

            def __len__(self):
                return 0

        loader = Runner.build_dataloader(
            dict(
                dataset=Empty(),
                batch_size=2,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='avel_collate')))
        assert loader.collate_fn.func is ROOT.get('avel_collate')
