"""An independent float64 reference of the CVPR 2021 PSP, from method.md 8.

Plain functions on the authors' state dicts, in evaluation mode (no
dropout), sharing no code with mmcpsp; the attention, LSTM and LayerNorm
come from ``reference_cpsp``. Also the key names and shapes of every
released layout, as the authors' module definitions build them
(jasongief/PSP_CVPR_2021 ``fully_model.psp_net`` and
``weakly_model.psp_net``; jasongief/CPSP ``resnet_psp_net``), for random
state dicts under those names.
"""
import importlib.util
import math
import os.path as osp
from typing import Dict, List, Tuple

import torch

_spec = importlib.util.spec_from_file_location(
    'reference_cpsp', osp.join(osp.dirname(__file__), 'reference_cpsp.py'))
ref_cpsp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref_cpsp)

KeyShapes = List[Tuple[str, Tuple[int, ...]]]


def _linear(name: str, out_dim: int, in_dim: int,
            bias: bool = False) -> KeyShapes:
    shapes = [(f'{name}.weight', (out_dim, in_dim))]
    return shapes + [(f'{name}.bias', (out_dim, ))] if bias else shapes


def _attention(visual_channels: int) -> KeyShapes:
    # AVGA(a_dim=128, v_dim, hidden_size=512, map_size=49)
    return (_linear('attention.affine_audio', 512, 128, bias=True) +
            _linear('attention.affine_video', 512, visual_channels,
                    bias=True) + _linear('attention.affine_v', 49, 512) +
            _linear('attention.affine_g', 49, 512) +
            _linear('attention.affine_h', 1, 49))


def _lstms() -> KeyShapes:
    # LSTM_A_V: nn.LSTM(128, 128, 1, bidirectional=True) per modality.
    return [(f'lstm_a_v.{lstm}.{kind}_{gate}_l0{direction}',
             (512, 128) if kind == 'weight' else (512, ))
            for lstm in ('lstm_audio', 'lstm_video')
            for kind in ('weight', 'bias') for gate in ('ih', 'hh')
            for direction in ('', '_reverse')]


def _psp_module(output_projection: bool) -> KeyShapes:
    names = ['v_L1', 'v_L2', 'a_L1', 'a_L2']
    if output_projection:
        names += ['v_fc', 'a_fc']
    return ([(f'psp.{name}.weight', (256, 256)) for name in names] +
            [('psp.layer_norm.weight', (256, )),
             ('psp.layer_norm.bias', (256, ))])


def _embeddings(visual_channels: int) -> KeyShapes:
    return (_linear('fa.0', 256, 128) + _linear('fa.1', 128, 256) +
            _linear('fv.0', 256, visual_channels) + _linear('fv.1', 128, 256))


def _classify(name: str) -> KeyShapes:
    # Classify(hidden_dim=256), category_num defaulting to 28.
    return _linear(f'{name}.L1', 64, 256) + _linear(f'{name}.L2', 28, 64)


def psp_cvpr21_fully_keys(num_classes: int = 28) -> KeyShapes:
    """fully_model.psp_net(128, 512, 128, category_num=C + 1)."""
    return (_embeddings(512) + _linear('linear_v', 128, 512, bias=True) +
            _attention(512) + _lstms() + _psp_module(True) +
            _classify('v_classify') + _classify('a_classify') +
            _linear('L1', 64, 256) + _linear('L2', num_classes + 1, 64) +
            _linear('L3', 64, 256, bias=True) +
            _linear('L4', 2, 64, bias=True))


def psp_cvpr21_weakly_keys(num_classes: int = 28) -> KeyShapes:
    """weakly_model.psp_net(128, 512, 128, category_num=C + 1)."""
    return ([('temperature', (1, num_classes + 1))] +
            _linear('linear_v', 128, 512, bias=True) + _attention(512) +
            _lstms() + _psp_module(False) + _linear('W1', 1, 256) +
            _linear('W2', 1, 64) + _linear('W3', 1, num_classes + 1) +
            _linear('L1', 64, 256) + _linear('L2', num_classes + 1, 64))


def cpsp_resnet_keys(num_classes: int = 141,
                     visual_channels: int = 1024) -> KeyShapes:
    """resnet_psp_net(vis_fea_type='resnet', last_layer=3, v_dim=512, C)."""
    inner = (_embeddings(visual_channels) +
             _linear('linear_v', 128, 512, bias=True) +
             _attention(visual_channels) + _lstms() + _psp_module(True) +
             _classify('v_classify') + _classify('a_classify') +
             _linear('L1', 64, 256) + _linear('L2', num_classes, 64) +
             _linear('event_classifier.0', 1, 256, bias=True) +
             _linear('category_classifier.0', num_classes, 256, bias=True))
    return (_linear('align_v', 512, visual_channels, bias=True) +
            [('psp.' + name, shape) for name, shape in inner])


def random_state_dict(keys: KeyShapes, seed: int = 0
                      ) -> Dict[str, torch.Tensor]:
    """Random float64 weights under ``keys``, ``module.`` first.

    Matrices are uniform in +-1/sqrt(fan_in); the LayerNorm scale is
    around 1.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in keys:
        bound = 1 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.1
        value = (torch.rand(shape, generator=generator, dtype=torch.float64) *
                 2 - 1) * bound
        if name.endswith('layer_norm.weight'):
            value = value + 1
        state['module.' + name] = value
    return state


_param = ref_cpsp._param
_affine = ref_cpsp._affine


def _psp_weakly(audio_seq, visual_seq, state, threshold):
    """One video, the weakly supervised PSP: no renormalisation after
    pruning, no output projection: F = (LN(Vp) + LN(Ap)) / 2."""

    def branch(name, x):
        return torch.relu(_affine(x, _param(state, f'psp.{name}.weight')))

    v1 = branch('v_L1', visual_seq)
    v2 = branch('v_L2', visual_seq)
    a1 = branch('a_L1', audio_seq)
    a2 = branch('a_L2', audio_seq)
    s = torch.relu(v2 @ a1.t() / math.sqrt(v2.shape[-1]))
    b_va = ref_cpsp._rownorm(s)
    b_av = ref_cpsp._rownorm(s.t())
    g_va = torch.where(b_va > threshold, b_va, 0 * b_va)
    g_av = torch.where(b_av > threshold, b_av, 0 * b_av)
    v_o = ref_cpsp._layer_norm(visual_seq + g_va @ a2, state)
    a_o = ref_cpsp._layer_norm(audio_seq + g_av @ v1, state)
    return (v_o + a_o) / 2, v_o, a_o


def _segment_mlp(fused, state):
    return _affine(
        torch.relu(_affine(fused, _param(state, 'L1.weight'))),
        _param(state, 'L2.weight'))


def fully_forward(state, audio, visual, threshold=0.099):
    """The fully supervised CVPR PSP: the section-2 network, then the MLP.

    Returns:
        dict with segment_logits [B, T, C + 1] and fused, visual_out,
        audio_out [B, T, 256].
    """
    outputs = _fully_trunk(state, audio, visual, threshold)
    outputs['segment_logits'] = _segment_mlp(outputs['fused'], state)
    return outputs


def _fully_trunk(state, audio, visual, threshold):
    batch_size, num_segments = audio.shape[:2]
    audio_embeds = _affine(
        _affine(audio, _param(state, 'fa.0.weight')),
        _param(state, 'fa.1.weight'))
    regions = visual.reshape(batch_size, num_segments, -1, visual.shape[-1])
    attended = torch.stack([
        torch.stack([
            ref_cpsp._attend(audio_embeds[b, t], regions[b, t], state)
            for t in range(num_segments)
        ]) for b in range(batch_size)
    ])
    visual_embeds = _affine(
        _affine(attended, _param(state, 'fv.0.weight')),
        _param(state, 'fv.1.weight'))
    audio_seq = ref_cpsp._bilstm(audio_embeds, state, 'lstm_a_v.lstm_audio')
    visual_seq = ref_cpsp._bilstm(visual_embeds, state,
                                  'lstm_a_v.lstm_video')
    fused, visual_out, audio_out = (torch.stack(items) for items in zip(*[
        ref_cpsp._psp(audio_seq[b], visual_seq[b], state, threshold)
        for b in range(batch_size)
    ]))
    return dict(fused=fused, visual_out=visual_out, audio_out=audio_out)


def weakly_forward(state, audio, visual, threshold=0.095):
    """The weakly supervised CVPR PSP network (method.md section 8).

    Returns:
        dict with segment_logits (gated) [B, T, C + 1], video_prob
        [B, C + 1] and fused [B, T, 256].
    """
    batch_size, num_segments = audio.shape[:2]
    regions = visual.reshape(batch_size, num_segments, -1, visual.shape[-1])
    # The raw 128-d audio drives the attention and the audio BiLSTM.
    attended = torch.stack([
        torch.stack([
            ref_cpsp._attend(audio[b, t], regions[b, t], state)
            for t in range(num_segments)
        ]) for b in range(batch_size)
    ])
    visual_embeds = _affine(attended, _param(state, 'linear_v.weight'),
                            _param(state, 'linear_v.bias'))
    audio_seq = ref_cpsp._bilstm(audio, state, 'lstm_a_v.lstm_audio')
    visual_seq = ref_cpsp._bilstm(visual_embeds, state, 'lstm_a_v.lstm_video')
    fused = torch.stack([
        _psp_weakly(audio_seq[b], visual_seq[b], state, threshold)[0]
        for b in range(batch_size)
    ])
    scores = _segment_mlp(fused, state)
    videos, probs = [], []
    for b in range(batch_size):
        rows = []
        for t in range(num_segments):
            gate_logit = torch.dot(_param(state, 'W3.weight')[0], scores[b, t])
            gate = torch.sigmoid(torch.relu(gate_logit))
            rows.append(gate * scores[b, t])
        gated = torch.stack(rows)
        videos.append(gated)
        probs.append(torch.softmax(gated.mean(dim=0), dim=0))
    return dict(
        segment_logits=torch.stack(videos),
        video_prob=torch.stack(probs),
        fused=fused)


def segment_ce_loss(segment_logits, labels):
    """Cross-entropy over C + 1 for every segment, mean over B * T."""
    losses = [
        torch.logsumexp(segment_logits[b, t], dim=0) -
        segment_logits[b, t, labels[b][t]]
        for b in range(segment_logits.shape[0])
        for t in range(segment_logits.shape[1])
    ]
    return torch.stack(losses).mean()


def video_bce_loss(video_prob, target):
    """Binary cross-entropy, mean over B * (C + 1)."""
    return -(target * torch.log(video_prob) +
             (1 - target) * torch.log(1 - video_prob)).mean()


def fully_loss(outputs, labels):
    """cross-entropy + 100 L_avpsp (section 4) on the segment labels."""
    num_classes = outputs['segment_logits'].shape[-1] - 1
    events = torch.tensor(
        [[float(label != num_classes) for label in row] for row in labels],
        dtype=torch.float64)
    return dict(
        loss_cls=segment_ce_loss(outputs['segment_logits'], labels),
        loss_avpsp=100 * ref_cpsp.avpsp_loss(outputs['visual_out'],
                                             outputs['audio_out'], events))
