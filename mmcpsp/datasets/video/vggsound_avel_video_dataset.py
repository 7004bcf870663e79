import os.path as osp
from typing import List

from mmcpsp.registry import DATASETS

from ..vggsound_avel.format import check_missing_zips
from ..vggsound_avel.vggsound_avel_dataset import VGGSoundAVELDataset
from .ave_video_dataset import check_missing_videos, list_videos


@DATASETS.register_module()
class VGGSoundAVELVideoDataset(VGGSoundAVELDataset):
    """VGGSound-AVEL100k (or -50k) read from its raw videos.

    The meta CSV and the categories file give the videos, their split and
    class index exactly as :class:`~mmcpsp.datasets.VGGSoundAVELDataset`
    (it reuses its parsing); the videos are ``{video_dir}/<video_id>.mp4``
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
        video_dir (str): Folder of the videos, relative to ``data_root``.
            Defaults to ``'videos'``.
        **kwargs: Other arguments of :class:`VGGSoundAVELDataset`
            (``supervision``, ``pipeline``, ``meta_file``, ``layout`` of
            the labels, ``zip_dirs``, ``hdf5_dir`` ...; no ``preload``).
    """

    def __init__(self,
                 data_root: str,
                 split: str,
                 video_dir: str = 'videos',
                 **kwargs) -> None:
        if kwargs.get('preload'):
            raise ValueError('preload holds feature files in memory; raw '
                             'videos are decoded per sample')
        self.video_dir = osp.join(data_root, video_dir)
        super().__init__(data_root, split, **kwargs)

    def load_data_list(self) -> List[dict]:
        """List the split's videos; check the videos and label files."""
        rows = self._split_rows()
        video_ids = [row.video_id for row in rows]
        videos = list_videos(self.video_dir)
        check_missing_videos(self.video_dir, video_ids, videos)
        hdf5_rows = [-1] * len(rows)
        if self.layout == 'hdf5':
            hdf5_rows = self._find_hdf5_rows(rows)
        elif self.with_segment_labels:
            check_missing_zips(self.zip_dirs['label'], video_ids)
        return [
            dict(video_id=row.video_id, video_label=row.class_index,
                 hdf5_row=hdf5_row,
                 filename=osp.join(self.video_dir, videos[row.video_id]))
            for row, hdf5_row in zip(rows, hdf5_rows)
        ]
