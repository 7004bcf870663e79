import csv
import json
import os.path as osp
from typing import Dict, List, Mapping, Optional

import numpy as np

from mmcpsp.registry import DATASETS

from ..base import BaseAVELDataset, Pipeline, event_class_names
from ..constants import NUM_SEGMENTS
from ..errors import DataValidationError
from ..preload import PreloadMixin

FIELDS = ('video_id', 'category', 'split', 'start', 'end')


def read_annotation_rows(path: str) -> List[Dict[str, str]]:
    """Rows of a CSV (header ``video_id,category,split,start,end``) or a
    JSON list of objects with those keys."""
    if not osp.isfile(path):
        raise DataValidationError(path, 'an annotation file (CSV or JSON)',
                                  'no such file')
    with open(path, encoding='utf-8-sig') as file:
        if path.lower().endswith('.json'):
            try:
                rows = json.load(file)
            except json.JSONDecodeError as error:
                raise DataValidationError(path, 'valid JSON',
                                          str(error)) from None
            if not isinstance(rows, list):
                raise DataValidationError(path, 'a JSON list of objects',
                                          type(rows).__name__)
        else:
            rows = list(csv.DictReader(file))
    for index, row in enumerate(rows):
        missing = [field for field in FIELDS
                   if not isinstance(row, dict) or field not in row]
        if missing:
            raise DataValidationError(path, f'the fields {list(FIELDS)}',
                                      f'{missing} missing', row=index)
    return rows


@DATASETS.register_module()
class NpyFeatureDataset(PreloadMixin, BaseAVELDataset):
    """Features from any extractor: one ``.npy`` per video and modality.

    Layout: ``{audio_dir}/<video_id>.npy`` [t, Ca] and
    ``{visual_dir}/<video_id>.npy`` [t, Cv], [t, N, Cv] or [t, H, W, Cv]
    (e.g. CNN14 audio [t, 2048], CLIP visual [t, 768]), with an annotation
    file listing ``video_id, category, split, start, end`` per video (CSV
    with that header, or a JSON list of objects); the event covers segments
    [start, end). ``LoadNpyFeatures`` reads the arrays and pads (repeating
    the last segment, as the VGGSound-AVEL loader) or truncates them to T.
    The encoder's input sizes (``audio_channels``, ``visual_channels``,
    ``num_regions``) come from the config.

    Labels as the other datasets: ``segment_labels`` (class inside the
    event, background = C elsewhere), or ``video_label`` for weakly
    supervised training. Class index = position in ``metainfo['classes']``
    when given, else order of first appearance in the annotation file.

    Args:
        data_root (str): The folder.
        ann_file (str): Annotation file, relative to ``data_root``.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        audio_dir (str): Defaults to ``'audio'``.
        visual_dir (str): Defaults to ``'visual'``.
        num_segments (int): T. Defaults to 10.
        pipeline (Sequence[dict]): Transforms. Defaults to ().
        preload (str, optional): Hold the split's features in memory
            (``'ram'``, ``'cuda'``, ``'cuda:N'``, ``'auto'``); see
            :class:`~mmcpsp.datasets.preload.PreloadMixin`. Defaults to
            None (read per sample).
        preload_dtype (str, optional): Storage dtype of the preloaded
            features. Defaults to None (the loading transform's).
        **kwargs: Other :class:`~mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str,
                 split: str,
                 supervision: str = 'fully',
                 audio_dir: str = 'audio',
                 visual_dir: str = 'visual',
                 num_segments: int = NUM_SEGMENTS,
                 pipeline: Pipeline = (),
                 preload: Optional[str] = None,
                 preload_dtype: Optional[str] = None,
                 **kwargs) -> None:
        self._init_preload(preload, preload_dtype)
        self.num_segments = num_segments
        self.audio_dir = osp.join(data_root, audio_dir)
        self.visual_dir = osp.join(data_root, visual_dir)
        self.ann_path = osp.join(data_root, ann_file)
        super().__init__(data_root, split, supervision, pipeline,
                         ann_file=ann_file, **kwargs)

    def read_class_names(self, metainfo: Mapping) -> List[str]:
        """``metainfo['classes']`` when given, else the categories of the
        annotation file by order of first appearance."""
        classes = metainfo.get('classes')
        if classes is None:
            rows = read_annotation_rows(self.ann_path)
            classes = list(dict.fromkeys(row['category'] for row in rows))
        self._categories = list(event_class_names(classes) or ())
        return self._categories

    def load_data_list(self) -> List[dict]:
        """Check the annotations and the feature files of the split."""
        index_of = {name: index for index, name in enumerate(self._categories)}
        num_classes = len(self._categories)
        data_list = []
        for position, row in enumerate(read_annotation_rows(self.ann_path)):
            if row['split'] != self.split:
                continue
            if row['category'] not in index_of:
                raise DataValidationError(
                    self.ann_path, 'a category of metainfo classes',
                    repr(row['category']), row=position)
            try:
                start, end = int(row['start']), int(row['end'])
            except (TypeError, ValueError):
                raise DataValidationError(
                    self.ann_path, 'integer start and end',
                    f'{row["start"]!r}, {row["end"]!r}',
                    row=position) from None
            if not 0 <= start <= end <= self.num_segments:
                raise DataValidationError(
                    self.ann_path, f'0 <= start <= end <= {self.num_segments}',
                    f'{start}, {end}', row=position)
            video_id = str(row['video_id'])
            info = dict(
                video_id=video_id,
                audio_path=osp.join(self.audio_dir, f'{video_id}.npy'),
                visual_path=osp.join(self.visual_dir, f'{video_id}.npy'),
                num_classes=num_classes,
                num_segments=self.num_segments,
                sample_idx=len(data_list))
            class_index = index_of[row['category']]
            if self.weak_train:
                info['video_label'] = class_index
            else:
                seconds = np.arange(self.num_segments)
                info['segment_labels'] = tuple(np.where(
                    (seconds >= start) & (seconds < end), class_index,
                    num_classes).tolist())
            data_list.append(info)
        if not data_list:
            raise DataValidationError(self.ann_path,
                                      f'videos of split {self.split!r}',
                                      'none')
        missing = [info['video_id'] for info in data_list
                   for path in (info['audio_path'], info['visual_path'])
                   if not osp.isfile(path)]
        if missing:
            raise DataValidationError(
                self.data_root, 'audio/<video_id>.npy and visual/<video_id>'
                '.npy for every video of the split',
                f'{len(missing)} missing, e.g. {missing[:3]}')
        return data_list
