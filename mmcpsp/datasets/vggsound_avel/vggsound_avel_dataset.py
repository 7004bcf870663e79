from typing import List, Mapping, Optional

from mmcpsp.registry import DATASETS

from ..base import BaseAVELDataset, Pipeline
from ..preload import PreloadMixin
from .files import (
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    NUM_CLASSES,
)
from .folder import VGGSoundAVELFolder, VGGSoundAVELFolderMixin
from .hdf5 import DEFAULT_HDF5_DIR


@DATASETS.register_module()
class VGGSoundAVELDataset(VGGSoundAVELFolderMixin, PreloadMixin,
                          BaseAVELDataset):
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
                 pipeline: Pipeline = (),
                 meta_file: str = DEFAULT_META_FILE,
                 categories_file: str = DEFAULT_CATEGORIES_FILE,
                 layout: str = 'auto',
                 zip_dirs: Optional[Mapping[str, str]] = None,
                 hdf5_dir: str = DEFAULT_HDF5_DIR,
                 num_classes: Optional[int] = NUM_CLASSES,
                 preload: Optional[str] = None,
                 preload_dtype: Optional[str] = None,
                 **kwargs) -> None:
        self._init_preload(preload, preload_dtype)
        self.folder = VGGSoundAVELFolder(data_root, meta_file,
                                         categories_file, layout, zip_dirs,
                                         hdf5_dir, num_classes)
        super().__init__(data_root, split, supervision, pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the meta CSV and check the features of the split exist.

        Returns:
            list[dict]: ``video_id``, ``video_label`` (class index) and
            ``hdf5_row`` (-1 in the zip layout) per video of the split.
        """
        rows = self.folder.split_rows(self.split)
        zip_kinds = ('audio', 'visual') + (
            () if self.weak_train else ('label', ))
        hdf5_rows = self.folder.check_rows(rows, self.split, zip_kinds)
        return [
            dict(video_id=row.video_id, video_label=row.class_index,
                 hdf5_row=hdf5_row)
            for row, hdf5_row in zip(rows, hdf5_rows)
        ]
