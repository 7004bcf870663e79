import logging
import os.path as osp
from typing import Dict, List, Mapping, Optional, Set, Tuple

import numpy as np
from mmengine.logging import print_log

from mmcpsp.registry import DATASETS

from ..base import BaseAVDataset, Pipeline, event_class_names
from ..errors import DataValidationError
from ..preload import PreloadMixin
from . import annotations as ann
from .audio_release import OLD, audio_release, describe_audio_release
from .classes import LLP_CLASSES
from .files import FEATURE_DIRS, check_feature_headers, feature_paths

#: (path, SHA-256) of the audio files already described in the log: each
#: is described once per process, however many datasets read it.
_DESCRIBED: Set[Tuple[str, str]] = set()


def _label_rows(labels: np.ndarray) -> Tuple[Tuple[int, ...], ...]:
    """A [T, C] 0/1 array as nested tuples of the small ints 0 and 1
    (shared objects: small to hold and to pickle)."""
    return tuple(tuple(row) for row in labels.astype(int).tolist())


@DATASETS.register_module()
class LLPDataset(PreloadMixin, BaseAVDataset):
    """LLP (Look, Listen and Parse; Tian et al., ECCV 2020) for audio-visual
    video parsing, read from the release's files.

    ``data_root`` holds the six annotation files and the three feature
    folders exactly as released (``tools/data/llp/README.md``). The train
    split reads ``AVVP_train.csv`` (weak labels only); val and test read
    ``AVVP_val_pd.csv`` / ``AVVP_test_pd.csv`` and the dense labels of
    ``AVVP_eval_audio.csv`` and ``AVVP_eval_visual.csv``, built exactly as
    the evaluation of the authors' code builds them (avvp.md 2.4; the
    release's quirks of 2.5 are kept). Val and test also log which
    release of the audio file the folder holds (the fixed one of HAN, or
    the old copy of the CPSP repo that misses events of two test videos),
    once per process, and the rows of videos of no split (ignored).

    Items (small: ids, paths, labels as tuples) give ``video_id`` (the
    filename column), ``audio_path``, ``visual_path``, ``visual_st_path``,
    ``weak_label`` (float32 [25]) and, for val and test, ``audio_labels``
    and ``visual_labels`` (float32 [10, 25], segment-major).
    ``LoadLLPFeatures`` reads the features. Every feature file of the
    split is checked when the dataset is fully initialised, before a
    training step: presence (one directory listing per folder), shape and
    dtype (from the ``.npy`` headers); a problem raises one
    :class:`DataValidationError` naming the file. Values are checked when
    a file is read, and for every file by ``tools/data/llp/verify.py``.

    ``metainfo``: ``classes`` = the 25 LLP classes in the released order
    (no background class: AVVP has none), ``num_classes`` = 25.

    Args:
        data_root (str): The LLP folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        pipeline (Sequence[dict | Callable]): Transforms, e.g.
            ``[dict(type='LoadLLPFeatures'), dict(type='PackAVELInputs',
            input_keys=('audio', 'visual', 'visual_st'))]``. Defaults to
            ().
        train_file (str): Defaults to ``'AVVP_train.csv'``.
        val_file (str): Defaults to ``'AVVP_val_pd.csv'``.
        test_file (str): Defaults to ``'AVVP_test_pd.csv'``.
        full_file (str): Every video of the three splits, read by val and
            test to count the dense rows of no split. Defaults to
            ``'AVVP_dataset_full.csv'``.
        audio_eval_file (str): Defaults to ``'AVVP_eval_audio.csv'``.
        visual_eval_file (str): Defaults to ``'AVVP_eval_visual.csv'``.
        audio_dir (str): Defaults to ``'feats/vggish'``.
        visual_dir (str): Defaults to ``'feats/res152'``.
        visual_st_dir (str): Defaults to ``'feats/r2plus1d_18'``.
        preload (str, optional): Hold the split's features in memory
            (``'ram'``, ``'cuda'``, ``'cuda:N'``, ``'auto'``); see
            :class:`~mmcpsp.datasets.preload.PreloadMixin`. The whole LLP
            is about 8 GB in float32, 4 GB in float16. Defaults to None
            (read per sample).
        preload_dtype (str, optional): Storage dtype of the preloaded
            features, e.g. ``'float16'``. Defaults to None (the loading
            transform's).
        **kwargs: Other arguments of :class:`BaseAVDataset` (``metainfo``,
            ``test_mode``, ``lazy_init``, ``indices`` ...).
    """

    array_fields = dict(
        weak_label=np.float32, audio_labels=np.float32,
        visual_labels=np.float32)

    def __init__(self,
                 data_root: str,
                 split: str,
                 pipeline: Pipeline = (),
                 train_file: str = ann.TRAIN_FILE,
                 val_file: str = ann.VAL_FILE,
                 test_file: str = ann.TEST_FILE,
                 full_file: str = ann.FULL_FILE,
                 audio_eval_file: str = ann.AUDIO_EVAL_FILE,
                 visual_eval_file: str = ann.VISUAL_EVAL_FILE,
                 audio_dir: str = FEATURE_DIRS['audio'],
                 visual_dir: str = FEATURE_DIRS['visual'],
                 visual_st_dir: str = FEATURE_DIRS['visual_st'],
                 preload: Optional[str] = None,
                 preload_dtype: Optional[str] = None,
                 **kwargs) -> None:
        self._init_preload(preload, preload_dtype)
        split_files = dict(train=train_file, val=val_file, test=test_file)
        self.split_path = osp.join(data_root, split_files.get(split, ''))
        self.full_path = osp.join(data_root, full_file)
        self.audio_eval_path = osp.join(data_root, audio_eval_file)
        self.visual_eval_path = osp.join(data_root, visual_eval_file)
        self.feature_dirs = dict(
            audio=osp.join(data_root, audio_dir),
            visual=osp.join(data_root, visual_dir),
            visual_st=osp.join(data_root, visual_st_dir))
        super().__init__(data_root, split, pipeline=pipeline, **kwargs)

    def build_metainfo(self, metainfo: Dict) -> Dict:
        """``classes`` = the 25 LLP classes, ``num_classes`` = 25.

        Raises:
            ValueError: When the config names other classes: the files
                name LLP's, whose indices the labels follow.
        """
        named = event_class_names(metainfo.get('classes'))
        if named and named != LLP_CLASSES:
            raise ValueError(
                'LLPDataset has the 25 LLP classes in their released order '
                f'(mmcpsp.datasets.llp.LLP_CLASSES); metainfo names {named}')
        return dict(metainfo, classes=LLP_CLASSES,
                    num_classes=len(LLP_CLASSES))

    @classmethod
    def fixed_class_names(cls, dataset_cfg: Mapping) -> Tuple[str, ...]:
        """The 25 LLP classes, in the released order."""
        return LLP_CLASSES

    def get_cat_ids(self, idx: int) -> List[int]:
        """The classes of sample ``idx``'s weak label."""
        return np.flatnonzero(
            self.get_data_info(idx)['weak_label']).tolist()

    def _describe(self) -> str:
        return f'the {self.split} split of {self.data_root}'

    def _dense_labels(self, filenames: Tuple[str, ...]
                      ) -> Tuple[np.ndarray, np.ndarray]:
        """The audio and visual ground truth [N, T, 25] of val/test, with
        the log of what the dense files hold."""
        audio = ann.parse_dense_annotations(self.audio_eval_path)
        visual = ann.parse_dense_annotations(self.visual_eval_path)
        key = (osp.abspath(audio.path), audio.sha256)
        if key not in _DESCRIBED:
            _DESCRIBED.add(key)
            print_log(describe_audio_release(audio), logger='current',
                      level=logging.WARNING
                      if audio_release(audio) == OLD else logging.INFO)
        every_video = ann.parse_weak_labels(self.full_path).filenames
        print_log(
            f'LLP {self.split} split of {self.data_root}: '
            f'{len(filenames):,} videos, '
            f'{audio.covered(filenames):,} with audio rows and '
            f'{visual.covered(filenames):,} with visual rows; '
            f'{len(audio.orphan_events(every_video))} audio and '
            f'{len(visual.orphan_events(every_video))} visual rows name '
            f'videos of no split of {self.full_path} (ignored, as the '
            'evaluation does)', logger='current')
        return audio.ground_truth(filenames), visual.ground_truth(filenames)

    def load_data_list(self) -> List[dict]:
        """Read the split's labels and check its feature files."""
        weak = ann.parse_weak_labels(self.split_path)
        if not weak.num_videos:
            raise DataValidationError(self.split_path, 'at least one video',
                                      'none')
        dense = (None if self.split == 'train' else
                 self._dense_labels(weak.filenames))
        check_feature_headers(self.feature_dirs, weak.filenames,
                              self._describe())
        weak_labels = weak.labels().astype(int)
        data_list = []
        for index, filename in enumerate(weak.filenames):
            paths = feature_paths(self.feature_dirs, filename)
            info = dict(
                video_id=filename,
                audio_path=paths['audio'],
                visual_path=paths['visual'],
                visual_st_path=paths['visual_st'],
                weak_label=tuple(weak_labels[index].tolist()),
                num_classes=len(LLP_CLASSES),
                sample_idx=index)
            if dense is not None:
                info['audio_labels'] = _label_rows(dense[0][index])
                info['visual_labels'] = _label_rows(dense[1][index])
            data_list.append(info)
        return data_list
