"""What the feature extractors of raw videos share: the device, VGGish on
log-mel examples, batches of uint8 frames through a network."""
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn

from mmcpsp.datasets.transforms.audio import waveform_to_examples
from mmcpsp.datasets.transforms.video import DecodedVideo
from mmcpsp.engine.optim_wrappers import inference_autocast
from mmcpsp.models.backbones.vggish import VGGish


@dataclass(frozen=True)
class ChannelNorm:
    """Per-channel normalisation of RGB values: ``(x / divisor - mean) /
    std``, in that order (torchvision's ``ToTensor`` then ``Normalize`` for
    ``divisor=255``).

    Attributes:
        mean (Sequence[float]): R, G, B.
        std (Sequence[float]): R, G, B.
        divisor (float): Defaults to 1 (mean and std in pixel values).
    """
    mean: Sequence[float]
    std: Sequence[float]
    divisor: float = 1.0

    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        """Normalise float ``pixels`` with channels on axis 1."""
        shape = (1, 3) + (1, ) * (pixels.dim() - 2)
        mean = torch.tensor(self.mean, device=pixels.device).view(shape)
        std = torch.tensor(self.std, device=pixels.device).view(shape)
        return pixels.div(self.divisor).sub(mean).div(std)


def log_mel_examples(decoded: DecodedVideo, num_segments: int) -> np.ndarray:
    """VGGish examples float32 [T, 96, 64] of a decoded video's audio; a
    video without an audio track gets silence (VGGishLogMel's default)."""
    if decoded.waveform is None:
        return waveform_to_examples(np.zeros(0, np.float32), 16000,
                                    num_segments)
    return waveform_to_examples(decoded.waveform, decoded.sample_rate,
                                num_segments)


class VideoFeatureExtractor:
    """Base of the extractors: VGGish audio, networks on a device.

    Subclasses build their visual networks with :meth:`prepare` and define
    :meth:`decode` (CPU only, a picklable module-level function behind it
    so that DataLoader workers can run it) and :meth:`embed` (the
    networks).

    Args:
        audio_weights (str, optional): The PyTorch VGGish port's
            ``vggish-10086976.pth``. None keeps random weights (tests).
        device (str | torch.device): Where the networks run.
        batch_size (int): Frames per visual pass, and log-mel examples per
            VGGish pass.
        weights (dict): Name -> weight file of every network, for the
            warning about random weights.
        amp (bool): Run the visual networks (where the time goes) under
            bfloat16 autocast, channels-last, on a CPU with bfloat16
            kernels (checked), or under the GPU's autocast; the features
            come out float32. Defaults to False: float32, the published
            recipe. Its measured difference is in tools/data/README.md.
    """

    def __init__(self, audio_weights: Optional[str],
                 device: Union[str, torch.device], batch_size: int,
                 weights: Dict[str, Optional[str]],
                 amp: bool = False) -> None:
        if batch_size < 1:
            raise ValueError('batch_size must be positive')
        self.amp = amp
        if amp:
            # One line before any weights are read, where there is no
            # bfloat16 (or GPU) to run on.
            with inference_autocast(device):
                pass
        missing = [name for name, path in weights.items() if path is None]
        if missing:
            warnings.warn(f'{type(self).__name__} without weight files for '
                          f'{", ".join(missing)}: random weights, the '
                          'features mean nothing')
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.audio_model = self.prepare(VGGish(pretrained=audio_weights))

    def prepare(self, model: nn.Module) -> nn.Module:
        """Initialise (load its weight file), move to the device, eval
        (with ``amp``, 4D weights channels-last, as oneDNN's bfloat16
        convolutions want them)."""
        model.init_weights()
        model = model.to(self.device).eval()
        if self.amp:
            model = model.to(memory_format=torch.channels_last)
        return model

    @torch.inference_mode()
    def embed_audio(self, examples: np.ndarray) -> np.ndarray:
        """VGGish embeddings float32 [T, 128] of examples [T, 96, 64]."""
        examples = torch.from_numpy(examples)
        return torch.cat([
            self.audio_model(batch.to(self.device)).cpu()
            for batch in examples.split(self.batch_size)
        ]).numpy()

    @torch.inference_mode()
    def forward_pixels(self, model: nn.Module, pixels: np.ndarray,
                       norm: ChannelNorm, items_per_pass: int) -> torch.Tensor:
        """Run ``model`` on uint8 channels-last inputs, in passes.

        Args:
            model (nn.Module): Takes normalised float inputs, channels on
                axis 1.
            pixels (np.ndarray): uint8 [N, ..., 3] (frames [N, H, W, 3] or
                clips [N, T, H, W, 3]).
            norm (ChannelNorm): The normalisation the weights expect.
            items_per_pass (int): Inputs per forward pass.

        Returns:
            torch.Tensor: The outputs, concatenated, on the CPU.
        """
        outputs = []
        with inference_autocast(self.device, self.amp):
            for batch in torch.from_numpy(pixels).split(items_per_pass):
                # A view of channels-last memory: normalised in float32.
                batch = batch.to(self.device).movedim(-1, 1).float()
                outputs.append(model(norm(batch)).float().cpu())
        return torch.cat(outputs)

    def decode(self, video_path: str, num_segments: Optional[int] = None
               ) -> Any:
        """The networks' inputs of a video (CPU only)."""
        raise NotImplementedError

    def embed(self, inputs: Any) -> Dict[str, Any]:
        """Run the networks on decoded inputs."""
        raise NotImplementedError

    def extract(self, video_path: str,
                num_segments: Optional[int] = None) -> Dict[str, Any]:
        """Features of one video of any length (:meth:`decode` then
        :meth:`embed`).

        Args:
            video_path (str): The video file (any container and codecs
                FFmpeg decodes).
            num_segments (int, optional): T. Defaults to None, meaning the
                video's own number of one-second segments.

        Raises:
            DataValidationError: When the file is missing or undecodable.
        """
        return self.embed(self.decode(video_path, num_segments))
