import numpy as np

from mmcpsp.registry import TRANSFORMS

from ..vggsound_avel.files import to_event_mask
from ..vggsound_avel.safe_pickle import load_zipped_array
from .vggsound_loading import LoadVGGSoundAVELFeatures


@TRANSFORMS.register_module()
class LoadVGGSoundAVELLabels(LoadVGGSoundAVELFeatures):
    """Read only the segment labels of one VGGSound-AVEL video.

    For training from the raw videos (``VGGSoundAVELVideoDataset``): the
    event masks are read from the label zips, or the converted HDF5 folder,
    exactly as :class:`LoadVGGSoundAVELFeatures` reads them, and nothing
    else.

    Required keys: ``video_label``, ``num_classes``,
    ``with_segment_labels``, ``feature_layout`` and ``label_path`` (zip) or
    ``hdf5_paths`` and ``hdf5_row``. Added key, when
    ``with_segment_labels``: ``segment_labels`` (int64 [10], the video's
    class where the mask is 1, background = C elsewhere).
    """

    def transform(self, results: dict) -> dict:
        """Add ``segment_labels`` when the split has them."""
        if not results['with_segment_labels']:
            return results
        self._check_process()
        if results['feature_layout'] == 'hdf5':
            row = results['hdf5_row']
            mask = self._read_labels(results['hdf5_paths']['labels'], row,
                                     f'{row} (video {results["video_id"]})')
        else:
            mask = to_event_mask(
                load_zipped_array(results['label_path']),
                results['label_path'])
        results['segment_labels'] = np.where(
            mask == 1, results['video_label'],
            results['num_classes']).astype(np.int64)
        return results
