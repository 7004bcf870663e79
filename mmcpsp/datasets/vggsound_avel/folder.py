"""One VGGSound-AVEL folder: where its files are, and their checks."""
import os
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import DataValidationError
from .files import (
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_ZIP_DIRS,
    NUM_CLASSES,
    MetaRow,
    check_missing_zips,
    read_categories,
    read_meta_csv,
)
from .hdf5 import hdf5_paths, is_converted, read_hdf5_index

#: Where the features are read from (``'auto'``: HDF5 once converted).
LAYOUTS = ('auto', 'zip', 'hdf5')


class VGGSoundAVELFolder:
    """Where the files of one VGGSound-AVEL folder are, and their checks.

    Shared by the feature dataset and the raw-video dataset, which read the
    same meta CSV, categories file and label files.

    Args:
        data_root (str): Folder of the meta CSV and the categories file.
        meta_file (str): Meta CSV, relative to ``data_root``.
        categories_file (str): Categories file, relative to ``data_root``.
        layout (str): ``'zip'``, ``'hdf5'`` or ``'auto'`` (HDF5 when a
            finished conversion is in ``hdf5_dir``).
        zip_dirs (dict, optional): Folder of the zips of each kind (keys
            ``audio``, ``visual``, ``label``), relative to ``data_root``;
            given keys override :data:`DEFAULT_ZIP_DIRS`.
        hdf5_dir (str): Folder of the converted files, relative to
            ``data_root``.
        num_classes (int, optional): Number of lines the categories file
            must have; None accepts any.
    """

    def __init__(self, data_root: str, meta_file: str, categories_file: str,
                 layout: str, zip_dirs: Optional[Dict[str, str]],
                 hdf5_dir: str, num_classes: Optional[int]) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f'layout must be one of {LAYOUTS}, got '
                             f'{layout!r}')
        unknown = set(zip_dirs or {}) - set(DEFAULT_ZIP_DIRS)
        if unknown:
            raise ValueError(f'zip_dirs keys must be among '
                             f'{tuple(DEFAULT_ZIP_DIRS)}, got {unknown}')
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
        self.class_names = read_categories(self.categories_path, num_classes)

    def split_rows(self, split: str) -> List[MetaRow]:
        """The rows of the meta CSV in ``split`` (at least one)."""
        rows = [
            row for row in read_meta_csv(self.meta_path, self.class_names)
            if row.split == split
        ]
        if not rows:
            raise DataValidationError(
                self.meta_path, key='split',
                expected=f'at least one video of split {split!r}',
                found='none')
        return rows

    def check_rows(self, rows: List[MetaRow], split: str,
                   zip_kinds: Sequence[str]) -> List[int]:
        """Check that the files of ``rows`` exist; return their HDF5 rows.

        Args:
            rows (list[MetaRow]): Videos of the split.
            split (str): Their split, for messages.
            zip_kinds (Sequence[str]): The zip kinds the rows need in the
                zip layout (e.g. ``('audio', 'visual', 'label')``).

        Returns:
            list[int]: The row of each video in the HDF5 files, -1 in the
            zip layout.
        """
        if self.layout != 'hdf5':
            video_ids = [row.video_id for row in rows]
            for kind in zip_kinds:
                check_missing_zips(self.zip_dirs[kind], video_ids)
            return [-1] * len(rows)
        index = {
            vid: position
            for position, vid in enumerate(read_hdf5_index(self.hdf5_dir))
        }
        missing = [row.video_id for row in rows if row.video_id not in index]
        if missing:
            raise DataValidationError(
                hdf5_paths(self.hdf5_dir)['index'], key='video_id',
                expected=f'every video of split {split!r} of '
                f'{self.meta_path}',
                found=f'{len(missing)} missing, e.g. {missing[:3]} (convert '
                'again from the current CSV)')
        return [index[row.video_id] for row in rows]

    def add_paths(self, info: dict, with_segment_labels: bool) -> dict:
        """Add what the loading transforms need to find a video's files.

        Derived per item rather than stored in every item, which keeps the
        serialized items small at 100k videos.
        """
        info['num_classes'] = len(self.class_names)
        info['with_segment_labels'] = with_segment_labels
        info['feature_layout'] = self.layout
        if self.layout == 'hdf5':
            info['hdf5_paths'] = hdf5_paths(self.hdf5_dir)
        else:
            file_name = f'{info["video_id"]}.zip'
            for kind, folder in self.zip_dirs.items():
                info[f'{kind}_path'] = os.path.join(folder, file_name)
        return info


def categories_of_config(dataset_cfg: Mapping) -> Optional[Tuple[str, ...]]:
    """The class names of a VGGSound-AVEL dataset config: its categories
    file (``data_root`` / ``categories_file``), or None when it cannot be
    read."""
    path = os.path.join(
        dataset_cfg.get('data_root', ''),
        dataset_cfg.get('categories_file', DEFAULT_CATEGORIES_FILE))
    try:
        return tuple(
            read_categories(path, dataset_cfg.get('num_classes',
                                                  NUM_CLASSES)))
    except DataValidationError:
        return None


class VGGSoundAVELFolderMixin:
    """Class names and layout of a VGGSound-AVEL folder, for datasets that
    set ``folder`` (a :class:`VGGSoundAVELFolder`) before
    :class:`~mmcpsp.datasets.base.BaseAVELDataset` builds the metainfo."""

    folder: VGGSoundAVELFolder

    @property
    def layout(self) -> str:
        """``'zip'`` or ``'hdf5'``: where the files are read from."""
        return self.folder.layout

    def read_class_names(self, metainfo: Mapping) -> List[str]:
        """The names of the categories file, line order = class index."""
        return self.folder.class_names

    @classmethod
    def fixed_class_names(cls, dataset_cfg: Mapping
                          ) -> Optional[Tuple[str, ...]]:
        """The names of the config's categories file, when it is there."""
        return categories_of_config(dataset_cfg)

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` with what the loading transforms need to find its
        files."""
        return self.folder.add_paths(
            super().get_data_info(idx),
            with_segment_labels=not self.weak_train)
