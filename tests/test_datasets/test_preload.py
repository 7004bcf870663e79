"""The feature store: a split preloaded once and served by index."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmcpsp.datasets import feature_store
from mmcpsp.datasets.errors import InsufficientMemoryError
from mmcpsp.datasets.preload import PreloadedBatch
from mmcpsp.registry import DATASETS
from mmcpsp.structures import GT_SEGMENT_LABELS, GT_VIDEO_LABEL

PIPELINE = [dict(type='LoadAVEFeatures'), dict(type='PackAVELInputs')]


def build(root, split='train', **kwargs):
    init_default_scope('mmcpsp')
    kwargs.setdefault('pipeline', PIPELINE)
    return DATASETS.build(
        dict(type='AVEDataset', data_root=root, split=split, **kwargs))


def test_batches_equal_the_files(ave_small_root):
    streamed = build(ave_small_root)
    preloaded = build(ave_small_root, preload='ram')
    store = preloaded.store
    assert store.tensors['visual'].shape == (len(streamed), 10, 7, 7, 512)
    assert store.tensors['audio'].is_contiguous()
    indices = [5, 0, 17, 3]
    batch = preloaded.__getitems__(indices)
    assert isinstance(batch, PreloadedBatch)
    for position, index in enumerate(indices):
        sample = streamed[index]
        for kind in ('audio', 'visual'):
            assert batch['inputs'][kind].dtype == torch.float32
            assert torch.equal(batch['inputs'][kind][position],
                               sample['inputs'][kind])
        assert torch.equal(
            batch['data_samples'][position].get(GT_SEGMENT_LABELS),
            sample['data_samples'].get(GT_SEGMENT_LABELS))
        assert batch['data_samples'][position].sample_idx == index
        # The per-sample path (a wrapped dataset) reads the store too.
        assert torch.equal(preloaded[index]['inputs']['visual'],
                           sample['inputs']['visual'])


def test_weak_labels_and_float16_storage(ave_small_root):
    streamed = build(ave_small_root, supervision='weakly')
    preloaded = build(
        ave_small_root, supervision='weakly', preload='ram',
        preload_dtype='float16')
    assert preloaded.store.dtype == torch.float16
    assert preloaded.store.nbytes * 2 == build(
        ave_small_root, preload='ram').store.nbytes
    batch = preloaded.__getitems__([1, 2])
    assert batch['inputs']['visual'].dtype == torch.float32
    torch.testing.assert_close(
        batch['inputs']['visual'][0], streamed[1]['inputs']['visual'],
        rtol=1e-3, atol=1e-3)
    assert int(batch['data_samples'][1].get(GT_VIDEO_LABEL)) == int(
        streamed[2]['data_samples'].get(GT_VIDEO_LABEL))


def test_dataloader_of_a_config_gathers_batches(ave_small_root):
    init_default_scope('mmcpsp')
    loader = Runner.build_dataloader(
        dict(
            batch_size=8,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='avel_collate'),
            dataset=dict(
                type='AVEDataset', data_root=ave_small_root, split='train',
                preload='ram', pipeline=PIPELINE)),
        seed=0)
    seen = []
    for batch in loader:
        assert isinstance(batch, PreloadedBatch)
        assert batch['inputs']['audio'].shape[1:] == (10, 128)
        seen += [sample.sample_idx for sample in batch['data_samples']]
    assert sorted(seen) == list(range(len(loader.dataset)))


def test_vggsound_preload_keeps_the_loaded_labels(tmp_path):
    from mmcpsp.testing import generate_synthetic_vggsound_avel
    root = str(tmp_path / 'vggsound')
    generate_synthetic_vggsound_avel(root, num_videos=12, seed=0)
    init_default_scope('mmcpsp')
    pipeline = [dict(type='LoadVGGSoundAVELFeatures'),
                dict(type='PackAVELInputs')]
    config = dict(type='VGGSoundAVELDataset', data_root=root, split='train',
                  pipeline=pipeline)
    streamed = DATASETS.build(config)
    preloaded = DATASETS.build(dict(config, preload='ram'))
    batch = preloaded.__getitems__(list(range(len(streamed))))
    for index in range(len(streamed)):
        sample = streamed[index]
        assert torch.equal(batch['inputs']['visual'][index],
                           sample['inputs']['visual'])
        assert torch.equal(
            batch['data_samples'][index].get(GT_SEGMENT_LABELS),
            sample['data_samples'].get(GT_SEGMENT_LABELS))


def test_a_split_that_does_not_fit_says_so_before_loading(
        ave_small_root, monkeypatch):
    monkeypatch.setattr(feature_store, 'available_bytes',
                        lambda device, shared=False: 10_000_000)
    read = []
    monkeypatch.setattr(feature_store.FeatureStore, 'write',
                        lambda self, row, features: read.append(row))
    with pytest.raises(InsufficientMemoryError) as info:
        build(ave_small_root, preload='ram')
    message = str(info.value)
    assert 'the train split of' in message
    assert '32 videos in float32' in message
    assert '32.3 MB' in message and '10.0 MB of RAM' in message
    assert "preload_dtype='float16'" in message
    assert read == []


def test_bad_arguments(ave_small_root):
    with pytest.raises(ValueError, match='preload must be'):
        build(ave_small_root, preload='disk')
    with pytest.raises(ValueError, match='preload_dtype'):
        build(ave_small_root, preload='ram', preload_dtype='int8')
    with pytest.raises(ValueError, match='ends with PackAVELInputs'):
        build(ave_small_root, preload='ram',
              pipeline=[dict(type='LoadAVEFeatures')])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='needs CUDA'):
            build(ave_small_root, preload='cuda')


def test_auto_is_ram_without_cuda(ave_small_root):
    dataset = build(ave_small_root, split='val', preload='auto')
    expected = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert dataset.store.device.type == expected


def test_shared_file_is_mapped_by_a_second_store(tmp_path):
    path = str(tmp_path / 'store')
    shapes = dict(audio=(10, 4), visual=(10, 2, 2, 3))
    first = feature_store.FeatureStore(
        shapes, 3, torch.float32, shared_file=path, create=True)
    first.write(1, dict(audio=torch.ones(10, 4).numpy(),
                        visual=torch.full((10, 2, 2, 3), 2.).numpy()))
    second = feature_store.FeatureStore(
        shapes, 3, torch.float32, shared_file=path, create=False)
    first.unlink()
    batch = second.gather([1])
    assert torch.equal(batch['audio'], torch.ones(1, 10, 4))
    assert torch.equal(batch['visual'], torch.full((1, 10, 2, 2, 3), 2.))
    # A file left behind (another job's) is never mapped as a new store.
    taken = str(tmp_path / 'taken')
    open(taken, 'wb').close()
    with pytest.raises(FileExistsError):
        feature_store.FeatureStore(
            shapes, 3, torch.float32, shared_file=taken, create=True)
