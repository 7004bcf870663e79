"""What the AVE feature and raw-video datasets share: the annotation file."""
import os.path as osp
from typing import Mapping, Tuple

from .annotations import AVE_CATEGORIES, known_categories, parse_annotations


class AVEReleaseMixin:
    """Class names and paths of a folder of the AVE release.

    For datasets that set ``annotation_path`` (Annotations.txt) before
    :class:`~mmcpsp.datasets.base.BaseAVELDataset` builds the metainfo.
    """

    annotation_path: str

    def read_class_names(self, metainfo: Mapping) -> Tuple[str, ...]:
        """The categories of Annotations.txt, in AVE's canonical order."""
        # Annotations.txt may name the categories of metainfo['classes']
        # when given, else the 28 of AVE: any other name is a bad line.
        self.known_categories = known_categories(metainfo.get('classes'))
        # Needed for metainfo even with lazy_init; the parsed annotations
        # are not kept, to keep the dataset small.
        return parse_annotations(self.annotation_path,
                                 self.known_categories).categories

    @classmethod
    def fixed_class_names(cls, dataset_cfg: Mapping) -> Tuple[str, ...]:
        """The 28 AVE categories, whatever subset a folder holds."""
        return AVE_CATEGORIES

    def _path(self, name: str) -> str:
        return osp.join(self.data_root, name)
