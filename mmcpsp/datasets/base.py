"""The dataset contract: splits, supervision, class names, labels, pipeline.

Every mmcpsp dataset derives from :class:`BaseAVDataset`; the event
localization datasets from :class:`BaseAVELDataset`, which adds the
supervision setting and the background class. Tools read datasets through
these classes only: ``init_localizer`` asks
:meth:`BaseAVDataset.class_names_from_config` for the class names of a
config, and whether a test pipeline decodes videos
(:attr:`BaseAVDataset.reads_videos`).
"""
from abc import ABCMeta, abstractmethod
from typing import (
    Callable,
    Dict,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import numpy as np
from mmengine.dataset import BaseDataset

from mmcpsp.registry import DATASETS, TRANSFORMS

from .constants import SPLITS, SUPERVISIONS

#: Name of the background class, last in the ``classes`` of metainfo.
BACKGROUND = 'background'

#: A pipeline as configs give it: transform configs or callables.
Pipeline = Sequence[Union[dict, Callable]]


def build_pipeline(pipeline: Pipeline) -> List[Callable]:
    """The transforms of a pipeline, built through mmcpsp's registry, so
    that mmcpsp's transforms are found whatever the default scope."""
    return [
        TRANSFORMS.build(transform) if isinstance(transform, dict) else
        transform for transform in pipeline
    ]


def event_class_names(classes: Optional[Sequence[str]]
                      ) -> Optional[Tuple[str, ...]]:
    """The event classes of a ``classes`` list, background removed."""
    if not classes:
        return None
    return tuple(name for name in classes if name != BACKGROUND)


class BaseAVDataset(BaseDataset, metaclass=ABCMeta):
    """Base class of mmcpsp's datasets.

    Checks the split, builds the pipeline, keeps items small (label arrays
    are held as tuples and returned as arrays by :meth:`get_data_info`)
    and tells tools the class names of a dataset config without reading
    its data.

    Args:
        data_root (str): The dataset folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        pipeline (Sequence[dict | Callable]): Transforms. Defaults to ().
        **kwargs: Other arguments of :class:`mmengine.dataset.BaseDataset`
            (``metainfo``, ``test_mode``, ``lazy_init``, ``indices`` ...).
    """

    #: Whether the pipeline decodes video files (the raw-video datasets)
    #: rather than reading features.
    reads_videos: bool = False
    #: Item fields held as tuples, returned as arrays of these dtypes.
    array_fields: Mapping[str, type] = dict(
        segment_labels=np.int64, video_prob_label=np.float32)

    def __init__(self,
                 data_root: str,
                 split: str,
                 pipeline: Pipeline = (),
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.split = split
        metainfo = self.build_metainfo(dict(kwargs.pop('metainfo', None)
                                            or {}))
        super().__init__(
            data_root=data_root,
            pipeline=build_pipeline(pipeline),
            metainfo=metainfo,
            **kwargs)

    def build_metainfo(self, metainfo: Dict) -> Dict:
        """The dataset's metainfo, from the one the config gives (called
        before the data list is loaded, so lazy datasets have it too)."""
        return metainfo

    def get_data_info(self, idx: int) -> dict:
        """The ``idx``-th item, its label tuples as arrays
        (:attr:`array_fields`)."""
        info = super().get_data_info(idx)
        for name, dtype in self.array_fields.items():
            if name in info:
                info[name] = np.asarray(info[name], dtype=dtype)
        return info

    @property
    def num_classes(self) -> int:
        """C, the number of event classes (background excluded)."""
        return self._metainfo['num_classes']

    @classmethod
    def class_names_from_config(cls, dataset_cfg: Mapping
                                ) -> Optional[Tuple[str, ...]]:
        """The C class names of a dataset config, without reading its data.

        Args:
            dataset_cfg (Mapping): A dataset config of this class.

        Returns:
            tuple[str] | None: ``metainfo['classes']`` when the config sets
            them, else the dataset's own fixed names
            (:meth:`fixed_class_names`); None when only the data names them.
        """
        named = event_class_names(
            (dataset_cfg.get('metainfo') or {}).get('classes'))
        return named or cls.fixed_class_names(dataset_cfg)

    @classmethod
    def fixed_class_names(cls, dataset_cfg: Mapping
                          ) -> Optional[Tuple[str, ...]]:
        """The class names every folder of this dataset has, or None.

        Args:
            dataset_cfg (Mapping): A dataset config of this class.
        """
        return None


class BaseAVELDataset(BaseAVDataset):
    """Base class of the audio-visual event localization datasets.

    Adds the supervision setting and the background class: ``metainfo``
    has ``classes`` (the C event classes, then ``'background'``),
    ``num_classes`` (C) and ``background_index`` (C), from
    :meth:`read_class_names`. Items give
    ``segment_labels`` (int64 [T], background = C) or, for weakly
    supervised training (:attr:`weak_train`), ``video_label`` only.

    Args:
        data_root (str): The dataset folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        supervision (str): ``'fully'`` or ``'weakly'``. Defaults to
            ``'fully'``.
        pipeline (Sequence[dict | Callable]): Transforms. Defaults to ().
        **kwargs: Other arguments of :class:`BaseAVDataset`.
    """

    def __init__(self,
                 data_root: str,
                 split: str,
                 supervision: str = 'fully',
                 pipeline: Pipeline = (),
                 **kwargs) -> None:
        if supervision not in SUPERVISIONS:
            raise ValueError(f'supervision must be one of {SUPERVISIONS}, '
                             f'got {supervision!r}')
        self.supervision = supervision
        super().__init__(data_root, split, pipeline=pipeline, **kwargs)

    @abstractmethod
    def read_class_names(self, metainfo: Mapping) -> Sequence[str]:
        """The C event classes of the dataset, in class-index order.

        Args:
            metainfo (Mapping): The metainfo the config gives.
        """

    def build_metainfo(self, metainfo: Dict) -> Dict:
        """Add ``classes`` (C event classes, then ``'background'``),
        ``num_classes`` and ``background_index`` (C)."""
        classes = event_class_names(self.read_class_names(metainfo)) or ()
        return dict(
            metainfo,
            classes=classes + (BACKGROUND, ),
            num_classes=len(classes),
            background_index=len(classes))

    @property
    def weak_train(self) -> bool:
        """Whether items carry the video label only (weakly supervised
        training)."""
        return (self.supervision, self.split) == ('weakly', 'train')

    def get_cat_ids(self, idx: int) -> List[int]:
        """The class indices present in sample ``idx``."""
        info = self.get_data_info(idx)
        if 'video_label' in info:
            return [int(info['video_label'])]
        return sorted(set(np.asarray(info['segment_labels']).tolist()))


def dataset_class(dataset_cfg: Mapping) -> Optional[type]:
    """The dataset class a dataset config builds, or None if unknown."""
    dataset_type = dataset_cfg.get('type')
    if isinstance(dataset_type, type):
        return dataset_type
    return DATASETS.get(dataset_type) if dataset_type else None
