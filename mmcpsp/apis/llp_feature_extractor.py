"""Features of raw videos as the LLP release made them: VGGish audio,
ResNet-152 frames, R(2+1)D-18 clips (``feats/`` of avvp.md section 2.3)."""
import math
from dataclasses import dataclass
from functools import partial
from typing import Dict, Optional, Tuple, Union

import av
import numpy as np
import torch
from PIL import Image

from mmcpsp.datasets.llp.files import FRAMES_PER_SEGMENT
from mmcpsp.datasets.transforms.ffmpeg_rate import FFmpegRateSampler
from mmcpsp.datasets.transforms.pil_frames import (
    center_crop,
    resize_exact,
    resize_shorter_side,
    to_array,
)
from mmcpsp.datasets.transforms.video import (
    count_segments,
    decode_frames,
    to_rgb,
)
from mmcpsp.models.backbones.r2plus1d18 import (
    KINETICS_UNIT_MEAN,
    KINETICS_UNIT_STD,
    R2Plus1D18,
)
from mmcpsp.models.backbones.resnet_pooled import (
    IMAGENET_UNIT_MEAN,
    IMAGENET_UNIT_STD,
    ResNetPooled,
)

from .extractor_base import (
    ChannelNorm,
    VideoFeatureExtractor,
    log_mel_examples,
)

#: Side of the ResNet-152 crop of the LLP recipe.
LLP_FRAME_SIZE = 224
#: Side of the R(2+1)D-18 frames of the LLP recipe.
LLP_CLIP_SIZE = 112
#: ``pretrainedmodels``' crop ratio: frames are resized to
#: ``floor(crop / 0.875)`` on their shorter side (256 for 224), then
#: centre-cropped.
CROP_RATIO = 0.875


@dataclass
class LLPDecodedInputs:
    """What the networks of :class:`LLPFeatureExtractor` take for a video.

    Attributes:
        frames (np.ndarray): uint8 [8T, S, S, 3], RGB, the ResNet-152
            crops (S the frame size).
        clips (np.ndarray): uint8 [T, 8, C, C, 3], RGB, the same 8T frames
            resized for R(2+1)D-18 (C the clip size), 8 per clip.
        examples (np.ndarray): float32 [T, 96, 64], VGGish log-mel.
        duration (float): Length of the video in seconds.
    """
    frames: np.ndarray
    clips: np.ndarray
    examples: np.ndarray
    duration: float


def linspace_indices(available: int, count: int) -> np.ndarray:
    """The frames HAN's extraction scripts take: ``count`` of ``available``
    at ``np.round(np.linspace(0, available - 1, count))`` (some repeated
    when fewer are available)."""
    return np.round(np.linspace(0, available - 1, count)).astype(np.int64)


def llp_network_frames(frame: av.VideoFrame, frame_size: int,
                       clip_size: int) -> Tuple[np.ndarray, np.ndarray]:
    """One frame as both networks of the LLP recipe take it.

    - ResNet-152: shorter side resized to ``floor(frame_size / 0.875)``,
      centre crop of ``frame_size`` (``pretrainedmodels``'
      ``TransformImage``: 256, then 224);
    - R(2+1)D-18: resized to ``clip_size`` squared, aspect ratio not kept
      (HAN's ``scripts/utils.py``: ``Resize((112, 112))``).

    Both from the full frame, with PIL's bilinear filter as torchvision did.

    Returns:
        tuple[np.ndarray, np.ndarray]: uint8 [S, S, 3] and [C, C, 3], RGB.
    """
    image = Image.fromarray(to_rgb(frame))
    resized = resize_shorter_side(image,
                                  int(math.floor(frame_size / CROP_RATIO)))
    return (to_array(center_crop(resized, frame_size)),
            to_array(resize_exact(image, (clip_size, clip_size))))


def decode_llp_inputs(video_path: str,
                      num_segments: Optional[int] = None,
                      frame_size: int = LLP_FRAME_SIZE,
                      clip_size: int = LLP_CLIP_SIZE) -> LLPDecodedInputs:
    """Decode a video into the inputs of the three LLP networks (CPU only).

    The frames are those of ``ffmpeg -i VIDEO -r 8`` (HAN's
    ``extract_frames.py``; :class:`FFmpegRateSampler`), of which 8T are
    taken at rounded linspace indices (HAN's ``extract_rgb_feat.py`` and
    ``extract_3D_feat.py``, with 80 for the 10 s LLP clips); frames
    8t .. 8t + 7 belong to segment t and make its clip. A module-level
    function, so that DataLoader workers can run it.

    Args:
        video_path (str): The video file.
        num_segments (int, optional): T. Defaults to None, meaning
            :func:`~mmcpsp.datasets.transforms.video.count_segments` of the
            video's duration (10 for an LLP clip).
        frame_size (int): ResNet-152 crop side. Defaults to 224.
        clip_size (int): R(2+1)D-18 frame side. Defaults to 112.

    Raises:
        DataValidationError: When the file is missing or undecodable.
    """
    convert = partial(llp_network_frames, frame_size=frame_size,
                      clip_size=clip_size)
    decoded = decode_frames(
        video_path, lambda stream, duration: FFmpegRateSampler(
            FRAMES_PER_SEGMENT, stream.guessed_rate, convert))
    if num_segments is None:
        num_segments = count_segments(decoded.duration)
    picked = [
        decoded.frames[index] for index in linspace_indices(
            len(decoded.frames), num_segments * FRAMES_PER_SEGMENT)
    ]
    clips = np.stack([clip_frame for _, clip_frame in picked])
    return LLPDecodedInputs(
        frames=np.stack([resnet_frame for resnet_frame, _ in picked]),
        clips=clips.reshape(num_segments, FRAMES_PER_SEGMENT,
                            *clips.shape[1:]),
        examples=log_mel_examples(decoded, num_segments),
        duration=decoded.duration)


class LLPFeatureExtractor(VideoFeatureExtractor):
    """Extract LLP-style features from a video of any length.

    The three extractors of the LLP release (HAN, ECCV 2020), for a video
    of T one-second segments (T = 10 for an LLP clip):

    - ``audio`` float32 [T, 128]: VGGish as for AVE (one log-mel example
      per segment, ReLU'd embedding before PCA; ``feats/vggish``);
    - ``visual`` float32 [8T, 2048]: ImageNet ResNet-152 (torchvision's
      weights, through :class:`~mmcpsp.models.backbones.ResNetPooled`),
      globally average-pooled, on the 8 frames a second of
      :func:`decode_llp_inputs`, each resized to 256 on its shorter side,
      centre-cropped to 224 and normalised with ImageNet's mean and std
      (RGB in [0, 1]; ``feats/res152``);
    - ``visual_st`` float32 [T, 512]: Kinetics-400 R(2+1)D-18
      (torchvision's weights, through
      :class:`~mmcpsp.models.backbones.R2Plus1D18`), pooled, on one clip a
      segment: its 8 frames resized to 112 x 112 and normalised with
      Kinetics' mean and std (``feats/r2plus1d_18``).

    The keys are those of :class:`~mmcpsp.datasets.LLPDataset`'s loading
    transform. Decoding (:meth:`decode`) and the networks (:meth:`embed`)
    are separate, as for :class:`AVFeatureExtractor`.

    Args:
        audio_weights (str, optional): ``vggish-10086976.pth``.
        res152_weights (str, optional): torchvision's
            ``resnet152-b121ed2d.pth`` (or ``resnet152-394f9c45.pth``).
        r2plus1d_weights (str, optional): torchvision's
            ``r2plus1d_18-91a641e6.pth``. Each None keeps random weights
            (tests).
        device (str | torch.device): Where the networks run. Defaults to
            ``'cpu'``.
        batch_size (int): Frames per network pass (ResNet-152 frames; R(2+1)D
            clips of 8 frames: ``batch_size // 8`` of them, at least one;
            VGGish examples). Defaults to 16.
        frame_size (int): ResNet-152 crop side. Defaults to 224 (the
            recipe); smaller sizes make fast tests.
        clip_size (int): R(2+1)D-18 frame side. Defaults to 112 (the
            recipe).
        amp (bool): ResNet-152 and R(2+1)D-18 under bfloat16 autocast (see
            :class:`VideoFeatureExtractor`). Defaults to False.

    Example:
        >>> extractor = LLPFeatureExtractor(
        ...     'vggish-10086976.pth', 'resnet152-b121ed2d.pth',
        ...     'r2plus1d_18-91a641e6.pth')
        >>> features = extractor.extract('BjCEufrlXm4.mp4')
        >>> [features[key].shape for key in ('audio', 'visual', 'visual_st')]
        [(10, 128), (80, 2048), (10, 512)]
    """

    def __init__(self,
                 audio_weights: Optional[str],
                 res152_weights: Optional[str],
                 r2plus1d_weights: Optional[str],
                 device: Union[str, torch.device] = 'cpu',
                 batch_size: int = 16,
                 frame_size: int = LLP_FRAME_SIZE,
                 clip_size: int = LLP_CLIP_SIZE,
                 amp: bool = False) -> None:
        if frame_size < 1 or clip_size < 1:
            raise ValueError('frame_size and clip_size must be positive')
        super().__init__(
            audio_weights, device, batch_size,
            dict(VGGish=audio_weights, ResNet152=res152_weights,
                 R2Plus1D18=r2plus1d_weights), amp=amp)
        self.frame_size = frame_size
        self.clip_size = clip_size
        self.frame_model = self.prepare(
            ResNetPooled(depth=152, pretrained=res152_weights))
        self.clip_model = self.prepare(
            R2Plus1D18(pretrained=r2plus1d_weights, global_pool=True))

    def decode(self,
               video_path: str,
               num_segments: Optional[int] = None) -> LLPDecodedInputs:
        """Decode a video into the networks' inputs (CPU only); see
        :func:`decode_llp_inputs`."""
        return decode_llp_inputs(video_path, num_segments, self.frame_size,
                                 self.clip_size)

    def embed(self, inputs: LLPDecodedInputs) -> Dict[str, np.ndarray]:
        """Run the three networks on decoded inputs.

        Returns:
            dict: ``audio`` float32 [T, 128], ``visual`` [8T, 2048],
            ``visual_st`` [T, 512] and ``duration`` (float, s).
        """
        visual = self.forward_pixels(
            self.frame_model, inputs.frames,
            ChannelNorm(IMAGENET_UNIT_MEAN, IMAGENET_UNIT_STD, 255.0),
            self.batch_size)
        visual_st = self.forward_pixels(
            self.clip_model, inputs.clips,
            ChannelNorm(KINETICS_UNIT_MEAN, KINETICS_UNIT_STD, 255.0),
            max(1, self.batch_size // FRAMES_PER_SEGMENT))
        return dict(
            audio=self.embed_audio(inputs.examples),
            visual=visual.numpy(),
            visual_st=visual_st.numpy(),
            duration=inputs.duration)
