"""Audio and visual features of raw videos, as the published AVE files."""
from dataclasses import dataclass
from typing import Dict, Optional, Union

import numpy as np
import torch

from mmcpsp.datasets.transforms.video import decode_video
from mmcpsp.models.backbones.vgg19_pool5 import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VGG19Pool5,
)

from .extractor_base import (
    ChannelNorm,
    VideoFeatureExtractor,
    log_mel_examples,
)

#: Frame size of the AVE recipe (VGG-19 pool5 maps of 7 x 7).
AVE_FRAME_SIZE = 224


@dataclass
class DecodedInputs:
    """What the networks of :class:`AVFeatureExtractor` take for a video.

    Attributes:
        frames (np.ndarray): uint8 [T, N, S, S, 3], RGB (S the frame size).
        examples (np.ndarray): float32 [T, 96, 64], VGGish log-mel.
        duration (float): Length of the video in seconds.
    """
    frames: np.ndarray
    examples: np.ndarray
    duration: float


def decode_inputs(video_path: str,
                  frames_per_segment: int = 16,
                  frame_size: int = AVE_FRAME_SIZE,
                  num_segments: Optional[int] = None) -> DecodedInputs:
    """Decode a video into the inputs of VGG-19 and VGGish (CPU only).

    A module-level function, so that DataLoader workers can run it.

    Args:
        video_path (str): The video file.
        frames_per_segment (int): N. Defaults to 16.
        frame_size (int): Side of the square frames. Defaults to 224.
        num_segments (int, optional): T; None for the video's own.

    Raises:
        DataValidationError: When the file is missing or undecodable.
    """
    decoded = decode_video(
        video_path,
        num_segments=num_segments,
        frames_per_segment=frames_per_segment,
        frame_size=(frame_size, frame_size))
    return DecodedInputs(decoded.frames,
                         log_mel_examples(decoded, decoded.frames.shape[0]),
                         decoded.duration)


class AVFeatureExtractor(VideoFeatureExtractor):
    """Extract AVE-style features from a video of any length.

    A video is cut into T one-second segments [t, t + 1) (T from its
    duration, :func:`~mmcpsp.datasets.transforms.video.count_segments`):

    - audio: one VGGish log-mel example per segment, embedded by VGGish
      (ReLU'd 128-d, before PCA), as the AVE audio features;
    - visual: ``frames_per_segment`` frames sampled uniformly in each
      segment, resized to ``frame_size`` squared (224, bilinear),
      normalised as torchvision's VGG-19 weights expect (RGB, ImageNet mean and std), their VGG-19 pool5
      maps averaged per segment, channels last, as the AVE visual features.
      (The published AVE features used Keras's VGG-19 with caffe-style BGR
      mean subtraction; values therefore differ from the released files.)

    Decoding (:meth:`decode`) and the networks (:meth:`embed`) are separate
    so that decoding can run in DataLoader workers while the networks run
    on the GPU; :meth:`extract` does both.

    Args:
        audio_weights (str, optional): The PyTorch port's
            ``vggish-10086976.pth``. None keeps random weights (tests).
        visual_weights (str, optional): torchvision's
            ``vgg19-dcbb9e9d.pth``. None keeps random weights (tests).
        device (str | torch.device): Where the networks run. Defaults to
            ``'cpu'``.
        frames_per_segment (int): N. Defaults to 16 (the AVE recipe).
        batch_size (int): Frames per VGG-19 forward pass, and log-mel
            examples per VGGish pass. Defaults to 16.
        frame_size (int): Side S of the square frames given to VGG-19; the
            maps are S / 32 on a side. Defaults to 224 (the AVE recipe:
            7 x 7); smaller sizes make fast tests.
        amp (bool): VGG-19 under bfloat16 autocast (see
            :class:`VideoFeatureExtractor`). Defaults to False.

    Example:
        >>> extractor = AVFeatureExtractor('vggish-10086976.pth',
        ...                                'vgg19-dcbb9e9d.pth')
        >>> features = extractor.extract('video.mp4')
        >>> features['audio'].shape, features['visual'].shape
        ((10, 128), (10, 7, 7, 512))
    """

    def __init__(self,
                 audio_weights: Optional[str],
                 visual_weights: Optional[str],
                 device: Union[str, torch.device] = 'cpu',
                 frames_per_segment: int = 16,
                 batch_size: int = 16,
                 frame_size: int = AVE_FRAME_SIZE,
                 amp: bool = False) -> None:
        if frames_per_segment < 1:
            raise ValueError('frames_per_segment must be positive')
        super().__init__(audio_weights, device, batch_size,
                         dict(VGGish=audio_weights, VGG19=visual_weights),
                         amp=amp)
        self.frames_per_segment = frames_per_segment
        self.frame_size = frame_size
        self.visual_model = self.prepare(
            VGG19Pool5(pretrained=visual_weights))

    def decode(self,
               video_path: str,
               num_segments: Optional[int] = None) -> DecodedInputs:
        """Decode a video into the networks' inputs (CPU only); see
        :func:`decode_inputs`."""
        return decode_inputs(video_path, self.frames_per_segment,
                             self.frame_size, num_segments)

    def embed(self, inputs: DecodedInputs) -> Dict[str, np.ndarray]:
        """Run VGGish and VGG-19 on decoded inputs.

        Returns:
            dict: ``audio`` float32 [T, 128], ``visual`` float32
            [T, 7, 7, 512] (at 224 x 224) and ``duration`` (float, s).
            :meth:`extract` returns the same for a video file; a fixed T
            (10 for the AVE files) pads a shorter video (last frame,
            silence) and cuts a longer one.
        """
        num_segments, frames_per_segment = inputs.frames.shape[:2]
        maps = self.forward_pixels(
            self.visual_model, inputs.frames.reshape(
                -1, *inputs.frames.shape[2:]),
            ChannelNorm(IMAGENET_MEAN, IMAGENET_STD), self.batch_size)
        maps = maps.view(num_segments, frames_per_segment, *maps.shape[1:])
        visual = maps.mean(dim=1).permute(0, 2, 3, 1)  # [T, 7, 7, 512]
        return dict(
            audio=self.embed_audio(inputs.examples),
            visual=np.ascontiguousarray(visual.numpy()),
            duration=inputs.duration)
