import torch
import torch.nn as nn
import torch.nn.functional as F


class AudioGuidedVisualAttention(nn.Module):
    """Audio-guided visual attention over the regions of a feature map.

    The attention of AVEL (Tian et al., ECCV 2018) as used by PSP and CPSP.
    For each segment, with R regions ``X`` [R, Cv] and the embedded audio
    ``e``:

    - ``h_v = ReLU(W_vh X + b_vh)`` [R, H] and ``h_a = ReLU(W_ah e + b_ah)``
      [H];
    - ``E[r, u] = tanh((W_ve h_v)[r, u] + (W_ae h_a)[r])`` [R, R]: the audio
      term is indexed by the region ``r`` and broadcast over ``u``, as in the
      published network;
    - ``alpha = softmax_r(W_s E[r, :])`` and the output is
      ``sum_r alpha_r X[r]``, a weighted sum of the raw region features.

    Args:
        audio_channels (int): Channels of the embedded audio. Defaults to 128.
        visual_channels (int): Channels Cv of a region. Defaults to 512.
        hidden_channels (int): Channels H of ``h_v`` and ``h_a``.
            Defaults to 512.
        num_regions (int): Number of regions R per segment. Defaults to 49.
    """

    def __init__(self,
                 audio_channels: int = 128,
                 visual_channels: int = 512,
                 hidden_channels: int = 512,
                 num_regions: int = 49) -> None:
        super().__init__()
        self.num_regions = num_regions
        self.audio_hidden = nn.Linear(audio_channels, hidden_channels)
        self.visual_hidden = nn.Linear(visual_channels, hidden_channels)
        self.visual_energy = nn.Linear(
            hidden_channels, num_regions, bias=False)
        self.audio_energy = nn.Linear(hidden_channels, num_regions, bias=False)
        self.region_score = nn.Linear(num_regions, 1, bias=False)
        for layer in (self.visual_energy, self.audio_energy,
                      self.region_score, self.audio_hidden,
                      self.visual_hidden):
            nn.init.xavier_uniform_(layer.weight)

    def region_weights(self, audio_embeds: torch.Tensor,
                       region_feats: torch.Tensor) -> torch.Tensor:
        """The attention weights ``alpha`` of the regions of every segment.

        Args:
            audio_embeds (torch.Tensor): Embedded audio [N, Ca].
            region_feats (torch.Tensor): Region features [N, R, Cv].

        Returns:
            torch.Tensor: Weights [N, R], summing to 1 over the regions.
        """
        visual_hidden = F.relu(self.visual_hidden(region_feats))  # [N, R, H]
        audio_hidden = F.relu(self.audio_hidden(audio_embeds))  # [N, H]
        energy = torch.tanh(
            self.visual_energy(visual_hidden) +
            self.audio_energy(audio_hidden).unsqueeze(2))  # [N, R, R]
        region_logits = self.region_score(energy).squeeze(2)  # [N, R]
        return F.softmax(region_logits, dim=-1)

    def forward(self, audio_embeds: torch.Tensor,
                region_feats: torch.Tensor) -> torch.Tensor:
        """Attend the regions of every segment under its audio.

        Args:
            audio_embeds (torch.Tensor): Embedded audio [N, Ca].
            region_feats (torch.Tensor): Region features [N, R, Cv].

        Returns:
            torch.Tensor: Attended visual features [N, Cv].
        """
        region_weights = self.region_weights(audio_embeds, region_feats)
        return torch.bmm(region_weights.unsqueeze(1),
                         region_feats).squeeze(1)
