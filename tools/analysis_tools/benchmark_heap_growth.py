"""RSS of DataLoader workers over a long pass of VGGSound-AVEL reads.

    python tools/analysis_tools/benchmark_heap_growth.py DATA_ROOT \
        [--layout zip|hdf5] [--videos 60000] [--malloc-trim N]

Cycles over the train split of DATA_ROOT (e.g. a 2,000-video folder of
``tools/data/vggsound_avel/generate_synthetic.py``) with the configs'
streaming loader (2 workers, batch 64, ``avel_collate``) and prints, as
JSON, the RSS of each worker after about 2k, 10k, 30k and 60k videos.
``--malloc-trim N`` calls glibc's ``malloc_trim`` every N videos in each
worker, the policy the loading transform had until the growth it was
measured against no longer showed (tools/data/vggsound_avel/README.md).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import List

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))
from mmengine.registry import init_default_scope  # noqa: E402

from mmcpsp.datasets import avel_collate  # noqa: E402
from mmcpsp.registry import DATASETS  # noqa: E402
from mmcpsp.utils.libc import libc_function  # noqa: E402

MARKS = (2048, 10048, 30016, 59968)


class Cycle(Dataset):
    """``length`` reads cycling over a dataset, trimming the heap every
    ``trim_every`` reads of a process when asked."""

    def __init__(self, dataset, length: int, trim_every: int) -> None:
        self.dataset, self.length, self.trim_every = dataset, length, \
            trim_every
        self.reads = 0

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int):
        self.reads += 1
        if self.trim_every and self.reads % self.trim_every == 0:
            libc_function('malloc_trim')(0)
        return self.dataset[index % len(self.dataset)]


def rss_mib(pid: int) -> float:
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith('VmRSS'):
                return int(line.split()[1]) / 1024
    return float('nan')


def worker_pids() -> List[int]:
    pids = []
    for task in os.listdir(f'/proc/{os.getpid()}/task'):
        with open(f'/proc/{os.getpid()}/task/{task}/children') as children:
            pids += [int(pid) for pid in children.read().split()]
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data_root')
    parser.add_argument('--layout', choices=('zip', 'hdf5'), default='zip')
    parser.add_argument('--videos', type=int, default=60000)
    parser.add_argument('--malloc-trim', type=int, default=0)
    args = parser.parse_args()
    init_default_scope('mmcpsp')
    dataset = DATASETS.build(
        dict(type='VGGSoundAVELDataset', data_root=args.data_root,
             split='train', layout=args.layout,
             pipeline=[dict(type='LoadVGGSoundAVELFeatures'),
                       dict(type='PackAVELInputs')]))
    loader = DataLoader(
        Cycle(dataset, args.videos, args.malloc_trim), batch_size=64,
        num_workers=2, collate_fn=avel_collate)
    marks, seen = {}, 0
    with torch.no_grad():
        for batch in loader:
            seen += len(batch['data_samples'])
            if seen in MARKS:
                marks[seen] = [round(rss_mib(pid), 1)
                               for pid in worker_pids()]
    print(json.dumps(dict(layout=args.layout, malloc_trim=args.malloc_trim,
                          worker_rss_mib=marks)))


if __name__ == '__main__':
    main()
