import os
from typing import List, Optional

from mmcpsp.registry import DATASETS

from ..base import BaseAVELDataset, Pipeline
from ..preload import PreloadMixin
from . import files
from .annotations import ANNOTATION_FILE, parse_annotations
from .release import AVEReleaseMixin


@DATASETS.register_module()
class AVEDataset(AVEReleaseMixin, PreloadMixin, BaseAVELDataset):
    """The AVE dataset (Tian et al., ECCV 2018) read from its release files.

    ``data_root`` holds the HDF5 files as distributed (see
    ``tools/data/ave/README.md``). Rows of every file follow the lines of
    ``Annotations.txt``; a split's rows are listed in ``{split}_order.h5``.

    Labels:

    - ``supervision='fully'``, and the val/test splits of ``'weakly'``:
      ``segment_labels`` (int64 [T], background = C) from ``labels.h5`` or
      else ``right_labels.h5``, or built from ``Annotations.txt`` when
      neither exists (events cover [start, end) seconds).
    - ``supervision='weakly'``, train split: ``video_label`` (int) from
      ``mil_labels.h5``. With ``use_noisy=True`` the background-only videos
      of ``*_noisy.h5`` are appended with ``video_label = C``. With
      ``with_prob_label=True`` also ``video_prob_label`` (float [C + 1],
      the normalised weak label of ``prob_label.h5``; the background one-hot
      for a background-only video), which the CVPR 2021 weakly supervised
      PSP trains on.

    Items hold indices and paths only; ``LoadAVEFeatures`` reads the
    features. Every file the split needs is checked when the dataset is
    fully initialised, and any problem raises :class:`DataValidationError`
    before a training step runs (the visual features' values are checked
    when a sample is read, and in full by ``tools/data/ave/verify.py``).

    Class index = position of the category among AVE's 28 in their
    canonical order (:data:`~mmcpsp.datasets.ave.AVE_CATEGORIES`), or
    among ``metainfo['classes']`` when given, whatever subset of them
    ``Annotations.txt`` holds. ``metainfo`` has ``classes`` (the
    C categories, then ``'background'``), ``num_classes`` (C) and
    ``background_index`` (C).

    Args:
        data_root (str): Folder of the AVE files.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        pipeline (list[dict | Callable]): Transforms. Defaults to [].
        use_noisy (bool): Append the background-only videos (weakly
            supervised training only). Defaults to False.
        with_prob_label (bool): Give each video its normalised weak label
            from ``prob_label.h5`` (weakly supervised training only).
            Defaults to False.
        annotation_file (str): Annotation file, relative to ``data_root``.
            Defaults to ``'Annotations.txt'``.
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
        test_mode (bool): Defaults to False.
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (e.g. ``lazy_init``, ``indices``, ``metainfo``).
    """

    def __init__(self,
                 data_root: str,
                 split: str,
                 supervision: str = 'fully',
                 pipeline: Pipeline = (),
                 use_noisy: bool = False,
                 with_prob_label: bool = False,
                 annotation_file: str = ANNOTATION_FILE,
                 preload: Optional[str] = None,
                 preload_dtype: Optional[str] = None,
                 **kwargs) -> None:
        if use_noisy and (supervision, split) != ('weakly', 'train'):
            raise ValueError(
                'use_noisy=True adds background-only training videos and '
                'applies only to supervision="weakly", split="train"; got '
                f'supervision={supervision!r}, split={split!r}')
        if with_prob_label and (supervision, split) != ('weakly', 'train'):
            raise ValueError(
                'with_prob_label=True reads the normalised weak labels of '
                'weakly supervised training; it applies only to '
                'supervision="weakly", split="train"; got '
                f'supervision={supervision!r}, split={split!r}')
        self._init_preload(preload, preload_dtype)
        self.use_noisy = use_noisy
        self.with_prob_label = with_prob_label
        self.annotation_path = os.path.join(data_root, annotation_file)
        super().__init__(data_root, split, supervision, pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Check the files of this split and list its videos."""
        annotations = parse_annotations(self.annotation_path,
                                        self.known_categories)
        num_rows = annotations.num_rows
        order = files.read_split_order(self.data_root, self.split, num_rows)
        audio_path = self._path(files.AUDIO_FILE)
        visual_path = self._path(files.VISUAL_FILE)
        files.check_feature_file(
            audio_path, files.AUDIO_ROW_SHAPE, num_rows, check_values=True)
        files.check_feature_file(
            visual_path, files.VISUAL_ROW_SHAPE, num_rows,
            check_values=False)

        video_label_path = self._path(files.VIDEO_LABEL_FILE)
        video_labels = segment_labels = None
        if self.weak_train or os.path.exists(video_label_path):
            # Also read when not needed, to catch a category mismatch.
            video_labels = files.read_video_labels(video_label_path,
                                                   annotations)
        if not self.weak_train:
            segment_labels = files.segment_labels_of(self.data_root,
                                                     annotations)
        prob_labels = (
            files.check_prob_labels(
                self._path(files.PROB_LABEL_FILE), annotations)
            if self.with_prob_label else None)

        num_classes = annotations.num_classes
        data_list = []
        for row in order.tolist():
            info = dict(
                video_id=annotations.video_ids[row],
                row=row,
                source='main',
                audio_path=audio_path,
                visual_path=visual_path,
                num_classes=num_classes)
            if self.weak_train:
                info['video_label'] = int(video_labels[row])
            else:
                # Held as a tuple, which pickles several times smaller than
                # an array; get_data_info returns it as int64 [T].
                info['segment_labels'] = tuple(segment_labels[row].tolist())
            if prob_labels is not None:
                info['video_prob_label'] = tuple(prob_labels[row].tolist())
            data_list.append(info)
        if self.use_noisy:
            data_list.extend(self._noisy_data_list(num_classes))
        for sample_idx, info in enumerate(data_list):
            info['sample_idx'] = sample_idx
        return data_list
    def _noisy_data_list(self, num_classes: int) -> List[dict]:
        label_path = self._path(files.NOISY_LABEL_FILE)
        audio_path = self._path(files.NOISY_AUDIO_FILE)
        visual_path = self._path(files.NOISY_VISUAL_FILE)
        num_noisy = files.read_noisy_labels(label_path, num_classes)
        rows_note = f'one per video of {label_path}'
        files.check_feature_file(
            audio_path, files.AUDIO_ROW_SHAPE, num_noisy, check_values=True,
            rows_note=rows_note)
        files.check_feature_file(
            visual_path, files.VISUAL_ROW_SHAPE, num_noisy,
            check_values=False, rows_note=rows_note)
        data_list = [
            dict(
                video_id=f'noisy_{row:03d}',
                row=row,
                source='noisy',
                audio_path=audio_path,
                visual_path=visual_path,
                num_classes=num_classes,
                video_label=num_classes) for row in range(num_noisy)
        ]
        if self.with_prob_label:
            background = (0., ) * num_classes + (1., )
            for info in data_list:
                info['video_prob_label'] = background
        return data_list
