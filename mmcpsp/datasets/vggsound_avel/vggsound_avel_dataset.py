import os
from typing import Callable, Dict, List, Optional, Union

from mmengine.dataset import BaseDataset

from mmcpsp.registry import DATASETS

from ..constants import SPLITS, SUPERVISIONS
from ..errors import DataValidationError
from ..preload import PreloadMixin
from .format import (
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    DEFAULT_ZIP_DIRS,
    NUM_CLASSES,
    MetaRow,
    check_missing_zips,
    read_categories,
    read_meta_csv,
)
from .hdf5 import (
    DEFAULT_HDF5_DIR,
    hdf5_paths,
    is_converted,
    read_hdf5_index,
)

LAYOUTS = ('auto', 'zip', 'hdf5')


@DATASETS.register_module()
class VGGSoundAVELDataset(PreloadMixin, BaseDataset):
    """VGGSound-AVEL100k (or -50k) for audio-visual event localization.

    Reads the files as the authors distribute them (see
    ``tools/data/vggsound_avel/README.md``): a meta CSV (video_id, category,
    split), a categories file (one name a line, 141 lines, line order =
    class index) and one zip per video and kind holding a pickled array,
    audio [t, 128], visual [10, 1024, 7, 7] and a binary event mask [10] or
    [1, 10]. Alternatively it reads the HDF5 folder written by
    ``tools/data/vggsound_avel/convert_to_hdf5.py``.

    Items hold the video id, its class index and its HDF5 row only; the
    features and the event mask are read by ``LoadVGGSoundAVELFeatures``,
    one video at a time. The CSV, the categories, the presence of every zip
    (one directory listing per folder) or the shapes of the HDF5 files are
    checked here, before training starts; a bad file raises
    :class:`DataValidationError`.

    Labels: ``video_label`` is the class index of the video's category.
    ``segment_labels`` [10] (class index where the event mask is 1,
    background = C = 141 where it is 0; the [10, 142] one-hot of the
    authors as indices) are read for every split except weakly supervised
    training, which sees the video label only.

    Args:
        data_root (str): Folder holding the meta CSV, the categories file
            and the zip folders.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        pipeline (list): Transforms. Defaults to [].
        meta_file (str): Meta CSV, relative to ``data_root``. Defaults to
            ``'vggsound-avel100k.csv'`` (``'vggsound-avel50k.csv'`` for the
            50k subset).
        categories_file (str): Categories file, relative to ``data_root``.
            Defaults to ``'VggsoundAVEL100kCategories.txt'``.
        layout (str): ``'zip'``, ``'hdf5'`` or ``'auto'`` (HDF5 when a
            finished conversion is in ``hdf5_dir``). Defaults to ``'auto'``.
        zip_dirs (dict, optional): Folder of the zips of each kind (keys
            ``audio``, ``visual``, ``label``), relative to ``data_root``;
            given keys override the defaults ``audio_features``,
            ``visual_features`` and ``labels``. Defaults to None.
        hdf5_dir (str): Folder of the converted files, relative to
            ``data_root``. Defaults to ``'hdf5'``.
        num_classes (int, optional): Number of lines the categories file
            must have; None accepts any. Defaults to 141.
        preload (str, optional): Hold the split's features in memory,
            read once when the dataset is fully initialised and served as
            one gather per batch (no DataLoader workers): ``'ram'``,
            ``'cuda'`` (the current CUDA device), ``'cuda:N'`` or
            ``'auto'`` (CUDA when available, else RAM). Defaults to None
            (read from disk per sample). See
            :class:`~mmcpsp.datasets.preload.PreloadMixin`.
        preload_dtype (str, optional): Storage dtype of the preloaded
            features, e.g. ``'float16'`` to halve the memory; batches come
            in the loading transform's dtype. Defaults to None (that
            dtype).
        test_mode (bool): Passed to ``BaseDataset``. Defaults to False.
        **kwargs: Other ``BaseDataset`` arguments (``indices``,
            ``serialize_data``, ``lazy_init``, ``max_refetch``).
    """

    def __init__(self,
                 data_root: str,
                 split: str,
                 supervision: str = 'fully',
                 pipeline: List[Union[dict, Callable]] = [],
                 meta_file: str = DEFAULT_META_FILE,
                 categories_file: str = DEFAULT_CATEGORIES_FILE,
                 layout: str = 'auto',
                 zip_dirs: Optional[Dict[str, str]] = None,
                 hdf5_dir: str = DEFAULT_HDF5_DIR,
                 num_classes: Optional[int] = NUM_CLASSES,
                 preload: Optional[str] = None,
                 preload_dtype: Optional[str] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        if supervision not in SUPERVISIONS:
            raise ValueError(f'supervision must be one of {SUPERVISIONS}, '
                             f'got {supervision!r}')
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        unknown = set(zip_dirs or {}) - set(DEFAULT_ZIP_DIRS)
        if unknown:
            raise ValueError(f'zip_dirs keys must be among '
                             f'{tuple(DEFAULT_ZIP_DIRS)}, got {unknown}')
        self.split = split
        self._init_preload(preload, preload_dtype)
        self.supervision = supervision
        self.meta_path = os.path.join(data_root, meta_file)
        self.categories_path = os.path.join(data_root, categories_file)
        folders = {**DEFAULT_ZIP_DIRS, **(zip_dirs or {})}
        self.zip_dirs = {
            kind: os.path.join(data_root, folder)
            for kind, folder in folders.items()
        }
        self.hdf5_dir = os.path.join(data_root, hdf5_dir)
        if layout == 'auto':
            layout = 'hdf5' if is_converted(self.hdf5_dir) else 'zip'
        self.layout = layout
        # Weakly supervised training must not see the segment labels.
        self.with_segment_labels = not (supervision == 'weakly'
                                        and split == 'train')
        class_names = read_categories(self.categories_path, num_classes)
        self._class_names = class_names
        num_event_classes = len(class_names)
        metainfo = dict(
            classes=tuple(class_names) + ('background', ),
            num_classes=num_event_classes,
            background_index=num_event_classes)
        super().__init__(
            data_root=data_root,
            pipeline=pipeline,
            metainfo=metainfo,
            test_mode=test_mode,
            **kwargs)

    def _split_rows(self) -> List[MetaRow]:
        """The rows of the meta CSV in this split (at least one)."""
        rows = [
            row for row in read_meta_csv(self.meta_path, self._class_names)
            if row.split == self.split
        ]
        if not rows:
            raise DataValidationError(
                self.meta_path, key='split',
                expected=f'at least one video of split {self.split!r}',
                found='none')
        return rows

    def load_data_list(self) -> List[dict]:
        """Read the meta CSV and check the features of the split exist.

        Returns:
            list[dict]: ``video_id``, ``video_label`` (class index) and
            ``hdf5_row`` (-1 in the zip layout) per video of the split.
        """
        rows = self._split_rows()
        video_ids = [row.video_id for row in rows]
        if self.layout == 'hdf5':
            hdf5_rows = self._find_hdf5_rows(rows)
        else:
            hdf5_rows = [-1] * len(rows)
            kinds = ['audio', 'visual']
            if self.with_segment_labels:
                kinds.append('label')
            for kind in kinds:
                check_missing_zips(self.zip_dirs[kind], video_ids)
        return [
            dict(video_id=row.video_id, video_label=row.class_index,
                 hdf5_row=hdf5_row)
            for row, hdf5_row in zip(rows, hdf5_rows)
        ]

    def _find_hdf5_rows(self, rows: List[MetaRow]) -> List[int]:
        index = {
            vid: position
            for position, vid in enumerate(read_hdf5_index(self.hdf5_dir))
        }
        missing = [row.video_id for row in rows if row.video_id not in index]
        if missing:
            raise DataValidationError(
                hdf5_paths(self.hdf5_dir)['index'], key='video_id',
                expected=f'every video of split {self.split!r} of '
                f'{self.meta_path}',
                found=f'{len(missing)} missing, e.g. {missing[:3]} (convert '
                'again from the current CSV)')
        return [index[row.video_id] for row in rows]

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` with what ``LoadVGGSoundAVELFeatures`` needs to find
        its files.

        The paths are derived here rather than stored in every item, which
        keeps the serialized items small at 100k videos.
        """
        info = super().get_data_info(idx)
        info['num_classes'] = len(self._class_names)
        info['with_segment_labels'] = self.with_segment_labels
        info['feature_layout'] = self.layout
        if self.layout == 'hdf5':
            info['hdf5_paths'] = hdf5_paths(self.hdf5_dir)
        else:
            file_name = f'{info["video_id"]}.zip'
            for kind, folder in self.zip_dirs.items():
                info[f'{kind}_path'] = os.path.join(folder, file_name)
        return info
