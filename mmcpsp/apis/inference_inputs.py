"""Turn what a user hands to ``inference_localizer`` into the model's
inputs, one row per second."""
import os
import os.path as osp
import zipfile
from dataclasses import dataclass
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

from mmcpsp.datasets.ave import annotations as ave_annotations
from mmcpsp.datasets.ave import files as ave_files
from mmcpsp.datasets.llp import LLP_CLASSES
from mmcpsp.datasets.llp import annotations as llp_annotations
from mmcpsp.datasets.llp import files as llp_files
from mmcpsp.datasets.transforms import LoadAVEFeatures

from .feature_extractor import AVFeatureExtractor
from .inference_progress import (
    DECODING,
    EXTRACTING,
    ProgressCallback,
    report,
)

#: A features file: the model's inputs (e.g. ``audio`` [N, Ca] and
#: ``visual`` [N, H, W, Cv]) in one ``.npz``, or ``<input>/NAME.npy`` for
#: each input in folders side by side (the ``npy`` layout of
#: ``tools/data/extract_features.py``).
FEATURES_SUFFIXES = ('.npz', '.npy')
#: The inputs of the event localization models.
AVEL_INPUT_KEYS = ('audio', 'visual')

ArrayOrPath = Union[np.ndarray, str, os.PathLike]
InferenceInputs = Union[str, os.PathLike, Sequence[ArrayOrPath],
                        Mapping[str, object]]
#: Annotated events ``(class name, start s, end s)``.
Spans = List[Tuple[str, float, float]]
#: Runs a raw-video model's test pipeline on a video file: results dict.
VideoPipeline = Callable[[dict], dict]


@dataclass
class FeatureInputs:
    """What the model reads of one input, ready for the sliding windows.

    Attributes:
        name (str): Name of the input (file stem or video id).
        inputs (dict[str, np.ndarray]): The model's inputs per second,
            each [N, ...]: e.g. ``audio`` features [N, Ca] (log-mel
            [N, 96, 64] for a model that reads raw videos) and ``visual``
            feature maps [N, H, W, Cv] (uint8 frames [N, F, H, W, 3]).
        duration (float, optional): Length in seconds, when known.
        gt_spans (list | dict, optional): Annotated events, when known:
            ``(class name, start s, end s)`` per event for event
            localization; ``{'audio': [...], 'visual': [...]}`` of such
            spans for video parsing.
        frames (np.ndarray, optional): One RGB frame per segment, uint8
            [N, H, W, 3], as the visual network saw it (video inputs).
    """
    name: str
    inputs: Dict[str, np.ndarray]
    duration: Optional[float] = None
    gt_spans: Optional[Union[Spans, Dict[str, Spans]]] = None
    frames: Optional[np.ndarray] = None

    def __post_init__(self) -> None:
        if not self.inputs:
            raise ValueError(f'{self.name} has no input array.')
        self.inputs = _segment_major(self.inputs)
        lengths = {key: len(array) for key, array in self.inputs.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(
                f'The inputs of {self.name} cover different numbers of '
                f'seconds: {lengths}; they must cover the same seconds.')
        if self.num_segments == 0:
            raise ValueError(f'{self.name} has no segment.')
        for key, array in self.inputs.items():
            if array.ndim < 2:
                raise ValueError(
                    f'The {key} input must be [N, ...] with one row per '
                    f'second, got shape {array.shape}.')
            if array.dtype == np.uint8:
                continue  # decoded frames, normalised by the model
            if array.dtype.kind != 'f':
                array = array.astype(np.float32)
            if not np.isfinite(array).all():
                raise ValueError(f'The {key} features of {self.name} hold '
                                 'NaN or infinite values.')
            self.inputs[key] = array

    @property
    def num_segments(self) -> int:
        """N, the number of one-second segments."""
        return len(next(iter(self.inputs.values())))

    @property
    def audio(self) -> np.ndarray:
        """The ``audio`` input [N, ...]."""
        return self.inputs['audio']

    @property
    def visual(self) -> np.ndarray:
        """The ``visual`` input [N, ...]."""
        return self.inputs['visual']


def _segment_major(inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Rows of several per second, [m N, ...] against the N rows of the
    first input (LLP's 8 ResNet-152 frames a second: [8N, 2048]), become
    [N, m, ...], rows m t .. m t + m - 1 in second t."""
    seconds = len(next(iter(inputs.values())))
    shaped = {}
    for key, array in inputs.items():
        if seconds and len(array) > seconds and len(array) % seconds == 0:
            array = array.reshape(seconds, len(array) // seconds,
                                  *array.shape[1:])
        shaped[key] = array
    return shaped


def _as_array(value: ArrayOrPath) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    # allow_pickle=False: a features file must not run code when read.
    return np.load(os.fspath(value), allow_pickle=False)


def _name_of(path) -> str:
    return osp.splitext(osp.basename(os.fspath(path)))[0]


def _from_npz(path: str, input_keys: Sequence[str]) -> FeatureInputs:
    # np.load reads any other file as a pickle, refused with advice to
    # allow pickles: say what the file should be instead.
    if not zipfile.is_zipfile(path):
        raise ValueError(f'{path}: not an .npz archive (the arrays of the '
                         f'model\'s inputs {list(input_keys)}, as '
                         'numpy.savez writes them).')
    with np.load(path, allow_pickle=False) as arrays:
        missing = set(input_keys) - set(arrays.files)
        if missing:
            raise ValueError(
                f'{path}: a features file holds the model\'s inputs '
                f'{list(input_keys)}, one row a second; missing '
                f'{sorted(missing)}.')
        duration = (float(arrays['duration'])
                    if 'duration' in arrays.files else None)
        return FeatureInputs(
            _name_of(path), {key: arrays[key] for key in input_keys},
            duration)


def _from_npy_layout(path: str, input_keys: Sequence[str]) -> FeatureInputs:
    folder, file_name = osp.split(osp.abspath(path))
    layouts = [
        layout for layout in ({key: key for key in input_keys},
                              llp_files.FEATURE_DIRS)
        if set(layout) == set(input_keys)
    ]
    for layout in layouts:
        key = next((key for key in input_keys
                    if folder.endswith(osp.sep + layout[key])), None)
        if key is not None:
            root = folder[:-len(layout[key])]
            break
    else:
        folders = '; or '.join(
            ' or '.join(f'{layout[name]}/' for name in input_keys)
            for layout in layouts)
        raise ValueError(
            f'{path}: a .npy features file lies in {folders}, beside '
            'the others (the npy layouts of tools/data/extract_features.py); '
            f'otherwise give an .npz with {list(input_keys)}.')
    paths = {key: osp.join(root, layout[key], file_name)
             for key in input_keys}
    for key, key_path in paths.items():
        if not osp.isfile(key_path):
            raise ValueError(f'{path}: no {key} features at {key_path}.')
    return FeatureInputs(_name_of(path),
                         {key: _as_array(paths[key]) for key in input_keys})


def _from_ave_root(data_root: str, video_id: str) -> FeatureInputs:
    annotations = ave_annotations.parse_annotations(
        osp.join(data_root, ave_annotations.ANNOTATION_FILE))
    if video_id not in annotations.video_ids:
        raise KeyError(f'Video {video_id!r} is not in '
                       f'{annotations.path}.')
    # The first row of the id: 45 ids of the release have two rows (two
    # categories), each with its own features.
    row = annotations.video_ids.index(video_id)
    loaded = LoadAVEFeatures().transform(
        dict(
            audio_path=osp.join(data_root, ave_files.AUDIO_FILE),
            visual_path=osp.join(data_root, ave_files.VISUAL_FILE),
            row=row))
    return FeatureInputs(
        video_id, {key: loaded[key] for key in AVEL_INPUT_KEYS},
        gt_spans=[annotations.span_of(row)])


def _middle_frames(frames: np.ndarray, num_segments: int) -> np.ndarray:
    """The middle one of the frames sampled in each second [N, H, W, 3],
    from [N, F, H, W, 3] or, second-major, [F N, H, W, 3]."""
    if frames.ndim == 4 and len(frames) != num_segments \
            and len(frames) % num_segments == 0:
        frames = frames.reshape(num_segments, -1, *frames.shape[1:])
    if frames.ndim == 5:
        frames = frames[:, frames.shape[1] // 2]
    return frames


def _from_video(path: str, input_keys: Sequence[str],
                extractor: Optional[AVFeatureExtractor],
                pipeline: Optional[VideoPipeline],
                progress: Optional[ProgressCallback]) -> FeatureInputs:
    if pipeline is not None:
        # As MMAction2's inference: the model's own test pipeline, here
        # over every second of the file (num_segments=None).
        report(progress, DECODING, 0, 1)
        results = pipeline(dict(filename=path, num_segments=None))
        report(progress, DECODING, 1, 1)
        inputs = {key: np.asarray(results[key]) for key in input_keys}
        frames = inputs['visual'] if inputs['visual'].ndim == 5 else None
        return FeatureInputs(
            _name_of(path), inputs, duration=float(results['duration']),
            frames=None if frames is None else _middle_frames(
                frames, len(frames)))
    if extractor is None:
        raise ValueError(
            f'{path} is read as a video: its features need '
            'extractor=AVFeatureExtractor(audio_weights, visual_weights) '
            '(or give a features file, .npz).')
    report(progress, DECODING, 0, 1)
    decoded = extractor.decode(path)
    report(progress, DECODING, 1, 1)
    report(progress, EXTRACTING, 0, 1)
    features = extractor.embed(decoded)
    report(progress, EXTRACTING, 1, 1)
    inputs = {key: features[key] for key in input_keys}
    return FeatureInputs(
        _name_of(path), inputs,
        duration=float(decoded.duration),
        frames=_middle_frames(decoded.frames, len(inputs[input_keys[0]])))


def read_event_annotations(path: str,
                           video: str) -> List[Tuple[str, float, float]]:
    """The events annotated for one video in an AVE-style annotation file.

    Lines are ``Category&VideoID&Quality&StartTime&EndTime`` as in AVE's
    ``Annotations.txt`` (a header line is skipped), read with
    ``parse_annotations(strict=False)``: times may be any number of
    seconds and a video may have several lines (one per event).

    Returns:
        list[tuple[str, float, float]]: ``(category, start, end)`` per
        event of the video, empty when it has none.

    Raises:
        DataValidationError: If a line of the file is malformed.
    """
    return ave_annotations.parse_annotations(
        path, strict=False).spans_of(video)


def read_parsing_annotations(paths: Sequence[str],
                             video: str) -> Dict[str, Spans]:
    """The audio and visual events annotated for one video in LLP's dense
    format (``filename, onset, offset, event_labels``, tab-separated).

    Args:
        paths (Sequence[str]): The audio then the visual file
            (``AVVP_eval_audio.csv``, ``AVVP_eval_visual.csv``), or one
            folder holding both.
        video (str): The video: rows whose filename equals it, or whose
            video id (the filename's first 11 characters) does.

    Returns:
        dict: ``audio`` and ``visual``, each a list of ``(class name,
        onset s, offset s)`` (empty when the video has no row).

    Raises:
        ValueError: If the paths are not two files or one folder.
        DataValidationError: If a file is missing or malformed.
    """
    if len(paths) == 1 and osp.isdir(paths[0]):
        paths = [osp.join(paths[0], llp_annotations.AUDIO_EVAL_FILE),
                 osp.join(paths[0], llp_annotations.VISUAL_EVAL_FILE)]
    if len(paths) != 2:
        raise ValueError(
            'video parsing annotations are the audio and the visual file of '
            f'LLP\'s dense format, or a folder holding '
            f'{llp_annotations.AUDIO_EVAL_FILE} and '
            f'{llp_annotations.VISUAL_EVAL_FILE}; got {list(paths)}.')
    spans = {}
    for modality, path in zip(('audio', 'visual'), paths):
        events = llp_annotations.parse_dense_annotations(path).events
        spans[modality] = [
            (LLP_CLASSES[event.class_index], float(event.onset),
             float(event.offset)) for event in events
            if event.onset < event.offset and video in (
                event.filename, llp_annotations.video_id_of(event.filename))
        ]
    return spans


def is_features_file(inputs: InferenceInputs) -> bool:
    """Whether ``inputs`` names a features file (``.npz`` or ``.npy``)."""
    return isinstance(inputs, (str, os.PathLike)) and os.fspath(
        inputs).lower().endswith(FEATURES_SUFFIXES)


def load_feature_inputs(inputs: InferenceInputs,
                        extractor: Optional[AVFeatureExtractor] = None,
                        input_keys: Sequence[str] = AVEL_INPUT_KEYS,
                        pipeline: Optional[VideoPipeline] = None,
                        progress: Optional[ProgressCallback] = None
                        ) -> FeatureInputs:
    """Read the model's inputs from what a user gives, in any form.

    Args:
        inputs: One of

            - a video file (any other path): decoded by ``pipeline`` for a
              model that reads raw videos, else its features computed by
              ``extractor``; one frame per second is kept in ``frames``;
            - a features file ``NAME.npz`` holding the ``input_keys``
              arrays (e.g. ``audio`` [N, Ca], ``visual`` [N, H, W, Cv]) and
              optionally ``duration`` (s);
            - ``ROOT/<input>/NAME.npy`` for one input, the others beside it
              (``tools/data/extract_features.py --layout npy``);
            - a pair ``(audio, visual)`` of arrays or ``.npy`` paths;
            - a mapping with the ``input_keys`` (arrays or ``.npy`` paths)
              and optionally ``name`` and ``duration``;
            - a mapping with ``data_root`` (an AVE-format folder) and
              ``video_id``: its features and annotated event.
        extractor (AVFeatureExtractor, optional): Features of videos.
            Defaults to None.
        input_keys (Sequence[str]): The model's inputs. Defaults to
            ``('audio', 'visual')``.
        pipeline (callable, optional): A raw-video model's test pipeline
            before packing (``results -> results``). Defaults to None (a
            features model).
        progress (callable, optional): Told ``(stage, done, total)`` as a
            video is decoded (``'decoding'``) and its features extracted
            (``'extracting features'``). Defaults to None.

    Returns:
        FeatureInputs: The inputs, checked.

    Raises:
        TypeError: If ``inputs`` is none of these.
    """
    if is_features_file(inputs):
        path = os.fspath(inputs)
        if path.lower().endswith('.npz'):
            return _from_npz(path, input_keys)
        return _from_npy_layout(path, input_keys)
    if isinstance(inputs, (str, os.PathLike)):
        return _from_video(os.fspath(inputs), input_keys, extractor,
                           pipeline, progress)
    if isinstance(inputs, Mapping):
        if 'data_root' in inputs:
            return _from_ave_root(
                os.fspath(inputs['data_root']), str(inputs['video_id']))
        if set(input_keys) <= set(inputs):
            name = inputs.get('name')
            first = inputs[input_keys[0]]
            if name is None and not isinstance(first, np.ndarray):
                name = _name_of(first)
            duration = inputs.get('duration')
            return FeatureInputs(
                str(name or 'features'),
                {key: _as_array(inputs[key]) for key in input_keys},
                None if duration is None else float(duration))
    elif (isinstance(inputs, Sequence) and not isinstance(inputs, str)
          and len(inputs) == len(input_keys) == 2):
        return load_feature_inputs(dict(zip(input_keys, inputs)),
                                   input_keys=input_keys)
    raise TypeError(
        'inputs must be a video file, a features file (.npz, or .npy in '
        'folders named after the inputs), a pair (audio, visual) of arrays '
        f'or .npy paths, or a dict with {list(input_keys)} or with '
        f'"data_root" and "video_id"; got {type(inputs).__name__}.')
