"""Turn what a user hands to ``inference_localizer`` into feature arrays."""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.config import Config

from mmcpsp.datasets.ave import annotations as ave_annotations
from mmcpsp.datasets.ave import files as ave_files
from mmcpsp.datasets.transforms import LoadAVEFeatures
from mmcpsp.structures.localization_result import gt_labels_from_spans

from .feature_extractor import (
    AVE_FRAME_SIZE,
    AVFeatureExtractor,
    DecodedInputs,
    decode_inputs,
)

#: A features file: ``audio`` [N, Ca] and ``visual`` [N, H, W, Cv] in one
#: ``.npz``, or ``audio/NAME.npy`` beside ``visual/NAME.npy`` (the ``npy``
#: layout of ``tools/data/extract_features.py``).
FEATURES_SUFFIXES = ('.npz', '.npy')
MODALITIES = ('audio', 'visual')

ArrayOrPath = Union[np.ndarray, str, os.PathLike]
InferenceInputs = Union[str, os.PathLike, Sequence[ArrayOrPath],
                        Mapping[str, object]]


@dataclass
class FeatureInputs:
    """What the model reads of one input, ready for the sliding windows.

    Attributes:
        name (str): Name of the input (file stem or video id).
        audio (np.ndarray): Per second: audio features [N, Ca], or log-mel
            [N, 96, 64] for a model that reads raw videos.
        visual (np.ndarray): Per second: visual feature maps
            [N, H, W, Cv], or uint8 frames [N, F, H, W, 3] for a model
            that reads raw videos.
        duration (float, optional): Length in seconds, when known.
        gt_spans (list[tuple[str, float, float]], optional): Annotated
            events ``(class name, start s, end s)``, when known.
        frames (np.ndarray, optional): One RGB frame per segment, uint8
            [N, H, W, 3], as the visual network saw it (video inputs).
    """
    name: str
    audio: np.ndarray
    visual: np.ndarray
    duration: Optional[float] = None
    gt_spans: Optional[List[Tuple[str, float, float]]] = None
    frames: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        if self.audio.ndim < 2:
            raise ValueError('Audio features must be [N, Ca] (one row per '
                             f'second), got shape {self.audio.shape}.')
        if self.visual.ndim < 4:
            raise ValueError(
                'Visual features must be channels-last maps [N, H, W, Cv], '
                f'got shape {self.visual.shape}.')
        if len(self.audio) != len(self.visual):
            raise ValueError(
                f'Audio has {len(self.audio)} segments and visual '
                f'{len(self.visual)}: they must cover the same seconds.')
        if len(self.audio) == 0:
            raise ValueError(f'{self.name} has no segment.')
        for modality in ('audio', 'visual'):
            array = getattr(self, modality)
            if array.dtype == np.uint8:
                continue  # decoded frames, normalised by the model
            if array.dtype.kind != 'f':
                array = array.astype(np.float32)
            if not np.isfinite(array).all():
                raise ValueError(
                    f'The {modality} features of {self.name} hold NaN or '
                    'infinite values.')
            setattr(self, modality, array)

    def gt_segment_labels(self, classes: Sequence[str]
                          ) -> Optional[np.ndarray]:
        """Ground-truth labels [N] (background = C), or None."""
        if self.gt_spans is None:
            return None
        return gt_labels_from_spans(self.gt_spans, classes, len(self.audio))


def _as_array(value: ArrayOrPath) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    # allow_pickle=False: a features file must not run code when read.
    return np.load(os.fspath(value), allow_pickle=False)


def _name_of(path: Union[str, os.PathLike]) -> str:
    return osp.splitext(osp.basename(os.fspath(path)))[0]


def _from_npz(path: str) -> FeatureInputs:
    with np.load(path, allow_pickle=False) as arrays:
        missing = {'audio', 'visual'} - set(arrays.files)
        if missing:
            raise ValueError(
                f'{path}: a features file holds arrays "audio" [N, Ca] and '
                f'"visual" [N, H, W, Cv]; missing {sorted(missing)}.')
        duration = (float(arrays['duration'])
                    if 'duration' in arrays.files else None)
        return FeatureInputs(
            _name_of(path), arrays['audio'], arrays['visual'], duration)


def _from_ave_root(data_root: str, video_id: str) -> FeatureInputs:
    annotations = ave_annotations.parse_annotations(
        osp.join(data_root, ave_annotations.ANNOTATION_FILE))
    if video_id not in annotations.video_ids:
        raise KeyError(f'Video {video_id!r} is not in '
                       f'{annotations.path}.')
    row = annotations.video_ids.index(video_id)
    loaded = LoadAVEFeatures().transform(
        dict(
            audio_path=osp.join(data_root, ave_files.AUDIO_FILE),
            visual_path=osp.join(data_root, ave_files.VISUAL_FILE),
            row=row))
    start, end = annotations.spans[row].tolist()
    category = annotations.categories[annotations.class_indices[row]]
    return FeatureInputs(
        video_id,
        loaded['audio'],
        loaded['visual'],
        gt_spans=[(category, float(start), float(end))])


def raw_video_decoding(cfg: Optional[Config]) -> Optional[dict]:
    """How a model that reads raw videos samples them, else None.

    Such a model's test pipeline starts by decoding (``DecodeAVSegments``);
    its settings (``frames_per_segment``, ``frame_size``) are returned.
    """
    if cfg is None:
        return None
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    for transform in dataset.get('pipeline', []):
        if isinstance(transform, dict) and \
                transform.get('type') == 'DecodeAVSegments':
            return dict(transform)
    return None


def _decode_for_model(path: str, decoding: dict) -> DecodedInputs:
    """Frames and log-mel of every second, as the model's pipeline."""
    frame_size = decoding.get('frame_size', (AVE_FRAME_SIZE, ) * 2)
    if frame_size is None or frame_size[0] != frame_size[1]:
        raise ValueError(
            'Videos of any length are decoded to square frames; the '
            f'model\'s pipeline asks for frame_size={frame_size}.')
    return decode_inputs(path, decoding.get('frames_per_segment', 16),
                         frame_size[0])


def _from_video(path: str, extractor: Optional[AVFeatureExtractor],
                decoding: Optional[dict]) -> FeatureInputs:
    if decoding is not None:
        decoded = _decode_for_model(path, decoding)
        audio, visual = decoded.examples, decoded.frames
    elif extractor is None:
        raise ValueError(
            f'{path} is read as a video: its features need '
            'extractor=AVFeatureExtractor(audio_weights, visual_weights) '
            '(or give a features file, .npz).')
    else:
        decoded = extractor.decode(path)
        features = extractor.embed(decoded)
        audio, visual = features['audio'], features['visual']
    # The middle one of the frames sampled in each second.
    frames = decoded.frames[:, decoded.frames.shape[1] // 2]
    return FeatureInputs(
        _name_of(path), audio, visual, duration=float(decoded.duration),
        frames=frames)


def read_event_annotations(path: str,
                           video: str) -> List[Tuple[str, float, float]]:
    """The events annotated for one video in an AVE-style annotation file.

    Lines are ``Category&VideoID&Quality&StartTime&EndTime`` as in AVE's
    ``Annotations.txt`` (a header line is skipped), but times may be any
    number of seconds and a video may have several lines (one per event).

    Args:
        path (str): The annotation file.
        video (str): The video id to look for.

    Returns:
        list[tuple[str, float, float]]: ``(category, start, end)`` per
        event of the video, empty when it has none.

    Raises:
        ValueError: If a line of the video is malformed.
    """
    spans = []
    with open(path, encoding='utf-8-sig') as file:
        for number, line in enumerate(file, 1):
            fields = [field.strip() for field in line.split('&')]
            if len(fields) < 2 or fields[1] != video:
                continue
            try:
                start, end = float(fields[3]), float(fields[4])
            except (IndexError, ValueError):
                raise ValueError(
                    f'{path}, line {number}: expected '
                    f'{"&".join(ave_annotations.ANNOTATION_FIELDS)}, got '
                    f'{line.strip()!r}') from None
            if not 0 <= start <= end:
                raise ValueError(f'{path}, line {number}: StartTime {start} '
                                 f'and EndTime {end} are not ordered.')
            spans.append((fields[0], start, end))
    return spans


def _from_npy_layout(path: str) -> FeatureInputs:
    folder, file_name = osp.split(osp.abspath(path))
    root, modality = osp.split(folder)
    if modality not in MODALITIES:
        raise ValueError(
            f'{path}: a .npy features file lies in audio/ or visual/ beside '
            'the other (the npy layout of tools/data/extract_features.py); '
            'otherwise give both, or an .npz with "audio" and "visual".')
    paths = {kind: osp.join(root, kind, file_name) for kind in MODALITIES}
    for kind, kind_path in paths.items():
        if not osp.isfile(kind_path):
            raise ValueError(f'{path}: no {kind} features at {kind_path}.')
    return FeatureInputs(
        _name_of(path), _as_array(paths['audio']), _as_array(paths['visual']))


def is_features_file(inputs: InferenceInputs) -> bool:
    """Whether ``inputs`` names a features file (``.npz`` or ``.npy``)."""
    return isinstance(inputs, (str, os.PathLike)) and os.fspath(
        inputs).lower().endswith(FEATURES_SUFFIXES)


def load_feature_inputs(
        inputs: InferenceInputs,
        extractor: Optional[AVFeatureExtractor] = None,
        decoding: Optional[dict] = None) -> FeatureInputs:
    """Read the features of an input given in any supported form.

    Args:
        inputs: One of

            - a video file (any other path): decoded as ``decoding`` says
              for a model that reads raw videos, else its features
              computed by ``extractor``; one frame per second is kept in
              ``frames``;
            - a features file ``NAME.npz`` holding ``audio`` [N, Ca],
              ``visual`` [N, H, W, Cv] and optionally ``duration`` (s);
            - ``ROOT/audio/NAME.npy`` or ``ROOT/visual/NAME.npy``, the
              other one beside it (``tools/data/extract_features.py
              --layout npy``);
            - a pair ``(audio, visual)`` of arrays or ``.npy`` paths;
            - a mapping with ``audio`` and ``visual`` (arrays or ``.npy``
              paths) and optionally ``name`` and ``duration``;
            - a mapping with ``data_root`` (an AVE-format folder) and
              ``video_id``: its features and annotated event.
        extractor (AVFeatureExtractor, optional): Features of videos.
            Defaults to None.
        decoding (dict, optional): ``DecodeAVSegments`` settings of a
            model that reads raw videos (:func:`raw_video_decoding`).
            Defaults to None (a features model).

    Returns:
        FeatureInputs: The features, checked.

    Raises:
        TypeError: If ``inputs`` is none of these.
    """
    if is_features_file(inputs):
        path = os.fspath(inputs)
        return (_from_npz(path) if path.lower().endswith('.npz') else
                _from_npy_layout(path))
    if isinstance(inputs, (str, os.PathLike)):
        return _from_video(os.fspath(inputs), extractor, decoding)
    if isinstance(inputs, Mapping):
        if 'data_root' in inputs:
            return _from_ave_root(
                os.fspath(inputs['data_root']), str(inputs['video_id']))
        if {'audio', 'visual'} <= set(inputs):
            name = inputs.get('name')
            if name is None and not isinstance(inputs['audio'], np.ndarray):
                name = _name_of(inputs['audio'])
            duration = inputs.get('duration')
            return FeatureInputs(
                str(name or 'features'), _as_array(inputs['audio']),
                _as_array(inputs['visual']),
                None if duration is None else float(duration))
    elif (isinstance(inputs, Sequence) and not isinstance(inputs, str)
          and len(inputs) == 2):
        return load_feature_inputs(dict(audio=inputs[0], visual=inputs[1]))
    raise TypeError(
        'inputs must be a video file, a features file (.npz, or .npy in '
        'audio/ and visual/ folders), a pair '
        '(audio, visual) of arrays or .npy paths, or a dict with "audio" '
        'and "visual" or with "data_root" and "video_id"; got '
        f'{type(inputs).__name__}.')
