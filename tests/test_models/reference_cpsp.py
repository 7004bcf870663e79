"""An independent float64 reference of CPSP, written from method.md.

Plain functions on the authors' state dict (official key names, with or
without ``module.``), in evaluation mode (no dropout). It shares no code with
mmcpsp: the LSTM is unrolled by hand, the attention runs segment by segment
and the losses loop over videos and anchors, so that agreement with the
package is evidence, not a tautology.
"""
import math
from typing import Dict, List, Sequence, Tuple

import torch

#: Key names and shapes of the released CPSP network for AVE (C = 28), as
#: listed in the project specification (official_cpsp_state_dict_keys.txt).
OFFICIAL_KEYS_AND_SHAPES: List[Tuple[str, Tuple[int, ...]]] = [
    ('fa.0.weight', (256, 128)),
    ('fa.1.weight', (128, 256)),
    ('fv.0.weight', (256, 512)),
    ('fv.1.weight', (128, 256)),
    ('linear_v.weight', (128, 512)),
    ('linear_v.bias', (128, )),
    ('attention.affine_audio.weight', (512, 128)),
    ('attention.affine_audio.bias', (512, )),
    ('attention.affine_video.weight', (512, 512)),
    ('attention.affine_video.bias', (512, )),
    ('attention.affine_v.weight', (49, 512)),
    ('attention.affine_g.weight', (49, 512)),
    ('attention.affine_h.weight', (1, 49)),
] + [(f'lstm_a_v.{lstm}.{name}{direction}', shape)
     for lstm in ('lstm_audio', 'lstm_video')
     for direction in ('', '_reverse')
     for name, shape in (('weight_ih_l0', (512, 128)),
                         ('weight_hh_l0', (512, 128)),
                         ('bias_ih_l0', (512, )), ('bias_hh_l0', (512, )))] + [
    ('psp.v_L1.weight', (256, 256)),
    ('psp.v_L2.weight', (256, 256)),
    ('psp.v_fc.weight', (256, 256)),
    ('psp.a_L1.weight', (256, 256)),
    ('psp.a_L2.weight', (256, 256)),
    ('psp.a_fc.weight', (256, 256)),
    ('psp.layer_norm.weight', (256, )),
    ('psp.layer_norm.bias', (256, )),
    ('v_classify.L1.weight', (64, 256)),
    ('v_classify.L2.weight', (28, 64)),
    ('a_classify.L1.weight', (64, 256)),
    ('a_classify.L2.weight', (28, 64)),
    ('L1.weight', (64, 256)),
    ('L2.weight', (28, 64)),
    ('event_classifier.0.weight', (1, 256)),
    ('event_classifier.0.bias', (1, )),
    ('category_classifier.0.weight', (28, 256)),
    ('category_classifier.0.bias', (28, )),
]


def random_official_state_dict(seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random float64 weights under the official names, ``module.`` first.

    Matrices are uniform in +-1/sqrt(fan_in), so activations stay of order
    one; the LayerNorm scale is around 1.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in OFFICIAL_KEYS_AND_SHAPES:
        bound = 1 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.1
        value = (torch.rand(shape, generator=generator, dtype=torch.float64) *
                 2 - 1) * bound
        if name == 'psp.layer_norm.weight':
            value = value + 1
        state['module.' + name] = value
    return state


def _param(state: Dict[str, torch.Tensor], name: str) -> torch.Tensor:
    return state[name] if name in state else state['module.' + name]


def _affine(x: torch.Tensor, weight: torch.Tensor, bias=None) -> torch.Tensor:
    out = torch.matmul(x, weight.t())
    return out if bias is None else out + bias


def _lstm_one_direction(seq: torch.Tensor, state: Dict[str, torch.Tensor],
                        prefix: str, suffix: str) -> torch.Tensor:
    """Unrolled LSTM over seq [T, In]; gates ordered i, f, g, o."""
    w_ih = _param(state, f'{prefix}.weight_ih_l0{suffix}')
    w_hh = _param(state, f'{prefix}.weight_hh_l0{suffix}')
    b_ih = _param(state, f'{prefix}.bias_ih_l0{suffix}')
    b_hh = _param(state, f'{prefix}.bias_hh_l0{suffix}')
    hidden_size = w_hh.shape[1]
    h = seq.new_zeros(hidden_size)
    c = seq.new_zeros(hidden_size)
    outputs = []
    for step in range(seq.shape[0]):
        gates = w_ih @ seq[step] + b_ih + w_hh @ h + b_hh
        gate_i = torch.sigmoid(gates[:hidden_size])
        gate_f = torch.sigmoid(gates[hidden_size:2 * hidden_size])
        gate_g = torch.tanh(gates[2 * hidden_size:3 * hidden_size])
        gate_o = torch.sigmoid(gates[3 * hidden_size:])
        c = gate_f * c + gate_i * gate_g
        h = gate_o * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs)


def _bilstm(seqs: torch.Tensor, state: Dict[str, torch.Tensor],
            prefix: str) -> torch.Tensor:
    videos = []
    for seq in seqs:
        forward = _lstm_one_direction(seq, state, prefix, '')
        backward = _lstm_one_direction(seq.flip(0), state, prefix,
                                       '_reverse').flip(0)
        videos.append(torch.cat([forward, backward], dim=-1))
    return torch.stack(videos)


def _attend(audio_embed: torch.Tensor, regions: torch.Tensor,
            state: Dict[str, torch.Tensor]) -> torch.Tensor:
    """One segment: audio_embed [128], regions [R, Cv] -> [Cv]."""
    h_v = torch.relu(
        _affine(regions, _param(state, 'attention.affine_video.weight'),
                _param(state, 'attention.affine_video.bias')))
    h_a = torch.relu(
        _affine(audio_embed, _param(state, 'attention.affine_audio.weight'),
                _param(state, 'attention.affine_audio.bias')))
    visual_term = _affine(h_v, _param(state, 'attention.affine_v.weight'))
    audio_term = _affine(h_a, _param(state, 'attention.affine_g.weight'))
    # E[r, u] = visual_term[r, u] + audio_term[r]: audio indexed by region.
    energy = torch.tanh(visual_term + audio_term[:, None])
    z = _affine(energy, _param(state, 'attention.affine_h.weight'))[:, 0]
    alpha = torch.exp(z - z.max())
    alpha = alpha / alpha.sum()
    return (alpha[:, None] * regions).sum(dim=0)


def _rownorm(matrix: torch.Tensor) -> torch.Tensor:
    return matrix / (matrix.sum(dim=-1, keepdim=True) + 1e-8)


def _layer_norm(x: torch.Tensor,
                state: Dict[str, torch.Tensor]) -> torch.Tensor:
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean)**2).mean(dim=-1, keepdim=True)
    return ((x - mean) / torch.sqrt(var + 1e-6) *
            _param(state, 'psp.layer_norm.weight') +
            _param(state, 'psp.layer_norm.bias'))


def _psp(audio_seq: torch.Tensor, visual_seq: torch.Tensor,
         state: Dict[str, torch.Tensor], threshold: float):
    """One video: A, Vs [T, 256] -> F, Vo, Ao."""

    def branch(name, x):
        return torch.relu(_affine(x, _param(state, f'psp.{name}.weight')))

    v1 = branch('v_L1', visual_seq)
    v2 = branch('v_L2', visual_seq)
    a1 = branch('a_L1', audio_seq)
    a2 = branch('a_L2', audio_seq)
    dim = v2.shape[-1]
    s = torch.relu(v2 @ a1.t() / math.sqrt(dim))
    b_va = _rownorm(s)
    b_av = _rownorm(s.t())
    g_va = _rownorm(torch.where(b_va > threshold, b_va, 0 * b_va))
    g_av = _rownorm(torch.where(b_av > threshold, b_av, 0 * b_av))
    v_p = visual_seq + g_va @ a2
    a_p = audio_seq + g_av @ v1
    v_o = _layer_norm(branch('v_fc', v_p), state)
    a_o = _layer_norm(branch('a_fc', a_p), state)
    return (v_o + a_o) / 2, v_o, a_o


def reference_forward(state: Dict[str, torch.Tensor], audio: torch.Tensor,
                      visual: torch.Tensor,
                      threshold: float) -> Dict[str, torch.Tensor]:
    """Run the CPSP network of method.md section 2 without dropout.

    Args:
        state: Official state dict (float64).
        audio: [B, T, 128]. visual: [B, T, H, W, Cv], channels last.
        threshold: PSP pruning threshold.

    Returns:
        dict with event_logits [B, T], category_logits [B, C] and fused,
        visual_out, audio_out [B, T, 256].
    """
    batch_size, num_segments = audio.shape[:2]
    audio_embeds = _affine(
        _affine(audio, _param(state, 'fa.0.weight')),
        _param(state, 'fa.1.weight'))
    regions = visual.reshape(batch_size, num_segments, -1, visual.shape[-1])
    attended = torch.stack([
        torch.stack([
            _attend(audio_embeds[b, t], regions[b, t], state)
            for t in range(num_segments)
        ]) for b in range(batch_size)
    ])
    visual_embeds = _affine(
        _affine(attended, _param(state, 'fv.0.weight')),
        _param(state, 'fv.1.weight'))
    audio_seq = _bilstm(audio_embeds, state, 'lstm_a_v.lstm_audio')
    visual_seq = _bilstm(visual_embeds, state, 'lstm_a_v.lstm_video')
    fused, visual_out, audio_out = (torch.stack(items) for items in zip(*[
        _psp(audio_seq[b], visual_seq[b], state, threshold)
        for b in range(batch_size)
    ]))
    event_logits = _affine(fused,
                           _param(state, 'event_classifier.0.weight'),
                           _param(state, 'event_classifier.0.bias'))[..., 0]
    category_logits = _affine(
        fused.mean(dim=1), _param(state, 'category_classifier.0.weight'),
        _param(state, 'category_classifier.0.bias'))
    return dict(
        event_logits=event_logits,
        category_logits=category_logits,
        fused=fused,
        visual_out=visual_out,
        audio_out=audio_out)


def one_hot_segment_labels(labels: Sequence[Sequence[int]],
                           num_classes: int) -> torch.Tensor:
    """y [B, T, C + 1] from class indices, background = C."""
    labels = torch.as_tensor(labels)
    y = torch.zeros(*labels.shape, num_classes + 1, dtype=torch.float64)
    for b in range(labels.shape[0]):
        for t in range(labels.shape[1]):
            y[b, t, labels[b, t]] = 1
    return y


def targets_from_one_hot(y: torch.Tensor) -> Tuple[torch.Tensor, List[int]]:
    """Section 3: event mask e [B, T] and video classes k."""
    num_classes = y.shape[-1] - 1
    events = (y[..., :num_classes].sum(dim=-1) > 0).to(torch.float64)
    classes = [
        max(int(y[b, t, :num_classes].argmax()) for t in range(y.shape[1]))
        for b in range(y.shape[0])
    ]
    return events, classes


def _normalize(vector: torch.Tensor) -> torch.Tensor:
    return vector / torch.clamp(vector.norm(), min=1e-12)


def _log_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return -torch.log1p(torch.exp(-x))


def fully_cls_loss(event_logits, category_logits, events, classes):
    bce = -(events * _log_sigmoid(event_logits) +
            (1 - events) * _log_sigmoid(-event_logits)).mean()
    ce = torch.stack([
        torch.logsumexp(category_logits[b], dim=0) - category_logits[b, k]
        for b, k in enumerate(classes)
    ]).mean()
    return bce + ce


def weak_video_prob(event_logits, category_logits):
    batch_size, num_classes = category_logits.shape
    rows = []
    for b in range(batch_size):
        scores = torch.sigmoid(event_logits[b])
        pooled = torch.stack([(scores * category_logits[b, c]).max()
                              for c in range(num_classes)])
        rows.append(torch.softmax(pooled, dim=0))
    return torch.stack(rows)


def weakly_cls_loss(video_prob, weak_label):
    return -(weak_label * _log_sigmoid(video_prob) +
             (1 - weak_label) * _log_sigmoid(-video_prob)).mean()


def avpsp_loss(visual_out, audio_out, events):
    batch_size, num_segments = events.shape
    total = 0
    for b in range(batch_size):
        sims = torch.stack([
            torch.dot(_normalize(visual_out[b, t]), _normalize(audio_out[b,
                                                                         t]))
            for t in range(num_segments)
        ])
        rectified = torch.relu(sims)
        s_hat = rectified / (rectified.sum() + 1e-8)
        q = events[b] / (events[b].sum() + 1e-6)
        total = total + ((s_hat - q)**2).sum()
    return total / (batch_size * num_segments)


def spsa_loss(fused, events, tau):
    video_losses = []
    for b in range(fused.shape[0]):
        positives = [t for t in range(fused.shape[1]) if events[b, t] > 0]
        negatives = [t for t in range(fused.shape[1]) if events[b, t] == 0]
        if not positives:
            continue
        if not negatives:
            video_losses.append(fused.new_zeros(()))
            continue
        z = torch.stack([_normalize(row) for row in fused[b]])
        anchor_losses = []
        for i in positives:
            pos = sum(
                torch.exp(torch.dot(z[i], z[j]) / tau) for j in positives)
            neg = sum(torch.exp(torch.dot(z[i], z[k]) / tau)
                      for k in negatives) / len(negatives)
            anchor_losses.append(-torch.log(pos / (pos + neg)))
        video_losses.append(torch.stack(anchor_losses).mean())
    if not video_losses:
        return fused.sum() * 0
    return torch.stack(video_losses).mean()


def _value(scalar: torch.Tensor) -> float:
    return scalar.detach().item()


def vpsa_loss(fused, classes, margin, topk):
    batch_size = fused.shape[0]
    g = [
        torch.stack([_normalize(row) for row in fused[b]]).mean(dim=0)
        for b in range(batch_size)
    ]
    hinges = []
    for a in range(batch_size):
        dists = [
            torch.sqrt(
                torch.clamp(
                    torch.dot(g[a], g[a]) + torch.dot(g[b], g[b]) -
                    2 * torch.dot(g[a], g[b]),
                    min=1e-12)) for b in range(batch_size)
        ]
        positive = max((dists[b] for b in range(batch_size)
                        if classes[b] == classes[a]),
                       key=_value)
        negatives = sorted((dists[b] for b in range(batch_size)
                            if classes[b] != classes[a]),
                           key=_value)[:topk]
        negatives += [fused.new_tensor(1e12)] * (topk - len(negatives))
        negative = torch.stack(negatives).mean()
        hinges.append(torch.relu(positive - negative + margin))
    return torch.stack(hinges).mean()


def sspsp_loss(audio_out, visual_out, tau):
    a = [_normalize(row) for row in audio_out.reshape(-1, audio_out.shape[-1])]
    v = [_normalize(row) for row in visual_out.reshape(-1,
                                                       visual_out.shape[-1])]
    losses = []
    for i in range(len(a)):
        logits = torch.stack([torch.dot(a[i], v[j]) / tau
                              for j in range(len(v))])
        losses.append(-(logits[i] - torch.logsumexp(logits, dim=0)))
    return torch.stack(losses).mean()
