import os.path as osp
from typing import List, Mapping, Optional

from mmcpsp.registry import DATASETS

from ..base import BaseAVELDataset, Pipeline
from ..vggsound_avel.files import (
    DEFAULT_CATEGORIES_FILE,
    DEFAULT_META_FILE,
    NUM_CLASSES,
)
from ..vggsound_avel.folder import (
    VGGSoundAVELFolder,
    VGGSoundAVELFolderMixin,
)
from ..vggsound_avel.hdf5 import DEFAULT_HDF5_DIR
from .ave_video_dataset import check_missing_videos, list_videos


@DATASETS.register_module()
class VGGSoundAVELVideoDataset(VGGSoundAVELFolderMixin, BaseAVELDataset):
    """VGGSound-AVEL100k (or -50k) read from its raw videos.

    The meta CSV and the categories file give the videos, their split and
    class index exactly as :class:`~mmcpsp.datasets.VGGSoundAVELDataset`
    (the same :class:`VGGSoundAVELFolder`); the videos are ``{video_dir}/<video_id>.mp4``
    (or another container FFmpeg reads). The segment labels (event masks)
    are not in the CSV: they are read from the label zips (or the converted
    HDF5 folder) by ``LoadVGGSoundAVELLabels``, as the feature dataset
    reads them; the audio and visual feature files are not needed.

    Rules: a video of the split missing from ``video_dir`` (or a label zip,
    when the split has segment labels) stops the dataset's construction
    with one :class:`DataValidationError`; short, silent or undecodable
    videos are handled by the pipeline (``DecodeAVSegments``,
    ``VGGishLogMel``), as for :class:`AVEVideoDataset`.

    Args:
        data_root (str): Folder of the meta CSV and the categories file.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        pipeline (list[dict | Callable]): Transforms. Defaults to ().
        video_dir (str): Folder of the videos, relative to ``data_root``.
            Defaults to ``'videos'``.
        meta_file, categories_file, layout, zip_dirs, hdf5_dir,
        num_classes: As for :class:`VGGSoundAVELDataset` (``layout`` and
            the folders are those of the label files).
        **kwargs: Other arguments of :class:`BaseAVELDataset`.
    """

    reads_videos = True

    def __init__(self,
                 data_root: str,
                 split: str,
                 supervision: str = 'fully',
                 pipeline: Pipeline = (),
                 video_dir: str = 'videos',
                 meta_file: str = DEFAULT_META_FILE,
                 categories_file: str = DEFAULT_CATEGORIES_FILE,
                 layout: str = 'auto',
                 zip_dirs: Optional[Mapping[str, str]] = None,
                 hdf5_dir: str = DEFAULT_HDF5_DIR,
                 num_classes: Optional[int] = NUM_CLASSES,
                 **kwargs) -> None:
        self.video_dir = osp.join(data_root, video_dir)
        self.folder = VGGSoundAVELFolder(data_root, meta_file,
                                         categories_file, layout, zip_dirs,
                                         hdf5_dir, num_classes)
        super().__init__(data_root, split, supervision, pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the split's videos; check the videos and label files."""
        rows = self.folder.split_rows(self.split)
        video_ids = [row.video_id for row in rows]
        videos = list_videos(self.video_dir)
        check_missing_videos(self.video_dir, video_ids, videos)
        hdf5_rows = self.folder.check_rows(
            rows, self.split, () if self.weak_train else ('label', ))
        return [
            dict(video_id=row.video_id, video_label=row.class_index,
                 hdf5_row=hdf5_row,
                 filename=osp.join(self.video_dir, videos[row.video_id]))
            for row, hdf5_row in zip(rows, hdf5_rows)
        ]
