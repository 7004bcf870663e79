import os
import os.path as osp
from typing import Dict, List

import numpy as np

from mmcpsp.registry import DATASETS

from ..ave import files
from ..ave.annotations import (
    ANNOTATION_FILE,
    AVEAnnotations,
    parse_annotations,
)
from ..ave.release import AVEReleaseMixin
from ..base import BaseAVELDataset, Pipeline
from ..errors import DataValidationError

#: The split files of the AVE release (same line format as
#: Annotations.txt).
SPLIT_FILES = dict(train='trainSet.txt', val='valSet.txt', test='testSet.txt')
SPLIT_SOURCES = ('auto', 'txt', 'order')
VIDEO_EXTENSIONS = ('.mp4', '.mkv', '.webm', '.avi', '.mov', '.flv', '.m4v')


def list_videos(video_dir: str) -> Dict[str, str]:
    """Video id (file stem) -> file name, for the video files of a
    folder, in one directory listing."""
    if not osp.isdir(video_dir):
        raise DataValidationError(video_dir, 'a folder of videos',
                                  'no such folder')
    videos: Dict[str, str] = {}
    for name in sorted(os.listdir(video_dir)):
        stem, extension = osp.splitext(name)
        if extension.lower() in VIDEO_EXTENSIONS:
            videos.setdefault(stem, name)
    return videos


def check_missing_videos(video_dir: str, video_ids: List[str],
                         videos: Dict[str, str]) -> None:
    """Raise :class:`DataValidationError` when videos are missing."""
    missing = [video_id for video_id in video_ids if video_id not in videos]
    if missing:
        raise DataValidationError(
            video_dir, 'a video file <VideoID>.mp4 (or .mkv, .webm, ...) '
            'for every video of the split',
            f'{len(missing)} missing, e.g. {missing[:3]}')


@DATASETS.register_module()
class AVEVideoDataset(AVEReleaseMixin, BaseAVELDataset):
    """AVE read from its raw videos: ``AVE/<VideoID>.mp4`` as released.

    Same annotations, labels, class indices and split membership as
    :class:`~mmcpsp.datasets.AVEDataset` (the same parsers of
    ``mmcpsp.datasets.ave``): rows are
    the lines of ``Annotations.txt``; a split's rows come from the
    release's ``trainSet.txt`` / ``valSet.txt`` / ``testSet.txt`` (each
    line matched to its row by category, video id and times) or from the
    ``{split}_order.h5`` files of the feature release. Segment labels come
    from ``labels.h5`` / ``right_labels.h5`` when present, else from
    ``Annotations.txt``; weakly supervised training reads the video
    labels of ``mil_labels.h5`` when present, else the annotated class.

    Items hold ``filename`` (the video file), ``video_id``, ``row`` and the
    labels; a pipeline such as ``DecodeAVSegments`` + ``VGGishLogMel``
    decodes the video.

    Rules: a video of the split missing from ``video_dir`` stops the
    dataset's construction with one :class:`DataValidationError` naming
    the folder, the count and examples; a video shorter than 10 s, without
    an audio track or undecodable is handled by the pipeline
    (``DecodeAVSegments``, ``VGGishLogMel``; an undecodable file is one
    ``Data error:`` line naming it).

    Args:
        data_root (str): Folder of ``Annotations.txt`` and the split files.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        pipeline (list[dict | Callable]): Transforms. Defaults to [].
        video_dir (str): Folder of the videos, relative to ``data_root``.
            Defaults to ``'AVE'``.
        split_source (str): ``'txt'`` (the split txt files), ``'order'``
            (the order files) or ``'auto'`` (txt files when the split's
            exists, else the order files). Defaults to ``'auto'``.
        annotation_file (str): Annotation file, relative to ``data_root``.
            Defaults to ``'Annotations.txt'``.
        **kwargs: Other arguments of :class:`BaseAVELDataset`
            (``metainfo``, ``test_mode``, ``lazy_init`` ...).
    """

    reads_videos = True

    def __init__(self,
                 data_root: str,
                 split: str,
                 supervision: str = 'fully',
                 pipeline: Pipeline = (),
                 video_dir: str = 'AVE',
                 split_source: str = 'auto',
                 annotation_file: str = ANNOTATION_FILE,
                 **kwargs) -> None:
        if split_source not in SPLIT_SOURCES:
            raise ValueError(f'split_source must be one of {SPLIT_SOURCES}, '
                             f'got {split_source!r}')
        self.video_dir = osp.join(data_root, video_dir)
        self.split_source = split_source
        self.annotation_path = osp.join(data_root, annotation_file)
        super().__init__(data_root, split, supervision, pipeline, **kwargs)

    def _split_rows(self, annotations: AVEAnnotations) -> np.ndarray:
        txt_path = self._path(SPLIT_FILES[self.split])
        use_txt = self.split_source == 'txt' or (
            self.split_source == 'auto' and osp.isfile(txt_path))
        if not use_txt:
            return files.read_split_order(self.data_root, self.split,
                                          annotations.num_rows)
        split_lines = parse_annotations(txt_path, self.known_categories)
        row_of = {
            self._line_key(annotations, row): row
            for row in range(annotations.num_rows)
        }
        rows = []
        for line in range(split_lines.num_rows):
            key = self._line_key(split_lines, line)
            if key not in row_of:
                raise DataValidationError(
                    txt_path, f'a line of {annotations.path}',
                    'a line it does not have', row=split_lines.where(line))
            rows.append(row_of[key])
        return np.asarray(rows, dtype=np.int64)

    @staticmethod
    def _line_key(annotations: AVEAnnotations, row: int) -> tuple:
        return (int(annotations.class_indices[row]),
                annotations.video_ids[row],
                tuple(annotations.spans[row].tolist()))

    def load_data_list(self) -> List[dict]:
        """List the videos of this split, with their labels."""
        annotations = parse_annotations(self.annotation_path,
                                        self.known_categories)
        rows = self._split_rows(annotations)
        videos = list_videos(self.video_dir)
        check_missing_videos(self.video_dir,
                             [annotations.video_ids[row] for row in rows],
                             videos)
        if self.weak_train:
            video_label_path = self._path(files.VIDEO_LABEL_FILE)
            video_labels = (files.read_video_labels(video_label_path,
                                                    annotations)
                            if osp.exists(video_label_path) else
                            annotations.class_indices)
        else:
            segment_labels = files.segment_labels_of(self.data_root,
                                                     annotations)
        data_list = []
        for sample_idx, row in enumerate(rows.tolist()):
            video_id = annotations.video_ids[row]
            info = dict(
                video_id=video_id,
                row=row,
                filename=osp.join(self.video_dir, videos[video_id]),
                num_classes=annotations.num_classes,
                sample_idx=sample_idx)
            if self.weak_train:
                info['video_label'] = int(video_labels[row])
            else:
                info['segment_labels'] = tuple(segment_labels[row].tolist())
            data_list.append(info)
        return data_list
