"""An independent float64 reference of the AVVP networks, from avvp.md 3-7.

Plain functions on the authors' state dicts (their key names, with or
without ``module.``), in evaluation mode (no dropout), sharing no code with
mmcpsp: the frames are averaged one segment at a time, the attention and
the MMIL pooling run video by video, the losses loop over rows and anchors.
The LSTM and the PSP module come from ``reference_cpsp``. Also the key
names and shapes of both released state dicts, as listed by the project
specification (official_avvp_state_dict_keys.txt), for random state dicts
under those names.
"""
import importlib.util
import math
import os.path as osp
from typing import Dict, List, Optional, Tuple

import torch

_spec = importlib.util.spec_from_file_location(
    'reference_cpsp', osp.join(osp.dirname(__file__), 'reference_cpsp.py'))
ref_cpsp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref_cpsp)

KeyShapes = List[Tuple[str, Tuple[int, ...]]]

_INPUTS_AND_HEAD = '''
fc_prob.weight 25,512
fc_prob.bias 25
fc_frame_att.weight 25,512
fc_frame_att.bias 25
fc_av_att.weight 25,512
fc_av_att.bias 25
fc_a.weight 512,128
fc_a.bias 512
fc_v.weight 512,2048
fc_v.bias 512
fc_st.weight 512,512
fc_st.bias 512
fc_fusion.weight 512,1024
fc_fusion.bias 512
'''
_LSTM = '''
weight_ih_l0 1024,512
weight_hh_l0 1024,256
bias_ih_l0 1024
bias_hh_l0 1024
weight_ih_l0_reverse 1024,512
weight_hh_l0_reverse 1024,256
bias_ih_l0_reverse 1024
bias_hh_l0_reverse 1024
'''
_PSP = '''
psp.v_L1.weight 512,512
psp.v_L2.weight 512,512
psp.v_fc.weight 512,512
psp.a_L1.weight 512,512
psp.a_L2.weight 512,512
psp.a_fc.weight 512,512
psp.layer_norm.weight 512
psp.layer_norm.bias 512
'''
#: The parameters of one attention (nn.MultiheadAttention(512, 1)).
_ATTENTION = '''
in_proj_weight 1536,512
in_proj_bias 1536
out_proj.weight 512,512
out_proj.bias 512
'''
_FEEDFORWARD = '''
linear1.weight 512,512
linear1.bias 512
linear2.weight 512,512
linear2.bias 512
'''
_NORMS = '''
norm1.weight 512
norm1.bias 512
norm2.weight 512
norm2.bias 512
'''


def _table(text: str, prefix: str = '') -> KeyShapes:
    rows = []
    for line in text.split('\n'):
        if not line:
            continue
        name, shape = line.split()
        rows.append((prefix + name,
                     tuple(int(size) for size in shape.split(','))))
    return rows


#: PSP_MMIL_Net (cpsp_avvp/nets/psp_net.py): 38 tensors, all used.
PSP_MMIL_KEYS: KeyShapes = (
    _table(_INPUTS_AND_HEAD) + _table(_LSTM, 'lstm.lstm_audio.') +
    _table(_LSTM, 'lstm.lstm_video.') + _table(_PSP))

#: HAN's MMIL_Net (nets/net_audiovisual.py): 74 tensors, 16 + 14 used.
HAN_KEYS: KeyShapes = (
    _table(_INPUTS_AND_HEAD) +
    [(key, shape) for encoder in ('audio_encoder', 'visual_encoder')
     for key, shape in
     _table(_ATTENTION, f'{encoder}.layers.0.self_attn.') +
     _table(_FEEDFORWARD + _NORMS, f'{encoder}.layers.0.')] +
    _table(_ATTENTION, 'cmt_encoder.layers.0.self_attn.') +
    _table(_FEEDFORWARD + _NORMS, 'cmt_encoder.layers.0.') +
    _table(_NORMS, 'cmt_encoder.') +
    _table(_ATTENTION, 'hat_encoder.layers.0.self_attn.') +
    _table(_ATTENTION, 'hat_encoder.layers.0.cm_attn.') +
    _table(_FEEDFORWARD + _NORMS, 'hat_encoder.layers.0.') +
    _table(_NORMS, 'hat_encoder.'))

#: The modules of HAN's MMIL_Net that its forward never calls.
HAN_UNUSED = ('audio_encoder.', 'visual_encoder.', 'cmt_encoder.',
              'hat_encoder.norm1.', 'hat_encoder.norm2.')

KEYS = dict(psp_mmil=PSP_MMIL_KEYS, han=HAN_KEYS)


def random_official_state_dict(arch: str,
                               seed: int = 0,
                               prefix: str = '') -> Dict[str, torch.Tensor]:
    """Random float64 weights under the official names of ``arch``.

    Matrices are uniform in +-1/sqrt(fan_in), so activations stay of order
    one; LayerNorm scales are around 1.
    """
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for name, shape in KEYS[arch]:
        bound = 1 / math.sqrt(shape[-1]) if len(shape) == 2 else 0.1
        value = (torch.rand(shape, generator=generator, dtype=torch.float64) *
                 2 - 1) * bound
        if 'norm' in name and name.endswith('.weight'):
            value = value + 1
        state[prefix + name] = value
    return state


def used_parameter_count(arch: str) -> int:
    return sum(
        math.prod(shape) for name, shape in KEYS[arch]
        if not name.startswith(HAN_UNUSED))


_param = ref_cpsp._param
_affine = ref_cpsp._affine


def _linear(state, name, x):
    return _affine(x, _param(state, f'{name}.weight'),
                   _param(state, f'{name}.bias'))


def input_stage(state, audio, visual, visual_st):
    """Section 3: audio [B,T,128], visual [B,8T,2048], visual_st [B,T,512]
    -> A0, V0 [B,T,512]."""
    audio_inputs = _linear(state, 'fc_a', audio)
    frames = _linear(state, 'fc_v', visual)  # [B, 8T, 512]
    segments = torch.stack([
        sum(frames[:, 8 * t + k] for k in range(8)) / 8
        for t in range(audio.shape[1])
    ], dim=1)
    clips = _linear(state, 'fc_st', visual_st)
    visual_inputs = _linear(state, 'fc_fusion',
                            torch.cat([segments, clips], dim=-1))
    return audio_inputs, visual_inputs


def mmil(state, audio_feats, visual_feats):
    """Section 6, video by video: p [B,T,2,C], g, g_a, g_v [B,C]."""
    frame_probs, globals_, audio_globals, visual_globals = [], [], [], []
    for feats_a, feats_v in zip(audio_feats, visual_feats):
        x = torch.stack([feats_a, feats_v], dim=1)  # [T, 2, d]
        p = torch.sigmoid(_linear(state, 'fc_prob', x))
        w_logits = _linear(state, 'fc_frame_att', x)
        w = torch.exp(w_logits - w_logits.max(dim=0).values)
        w = w / w.sum(dim=0)
        u_logits = _linear(state, 'fc_av_att', x)
        u = torch.exp(u_logits - u_logits.max(dim=1, keepdim=True).values)
        u = u / u.sum(dim=1, keepdim=True)
        frame_probs.append(p)
        globals_.append(sum((w[t, m] * p[t, m] * u[t, m]
                             for t in range(x.shape[0]) for m in (0, 1))))
        audio_globals.append(sum(w[t, 0] * p[t, 0]
                                 for t in range(x.shape[0])))
        visual_globals.append(sum(w[t, 1] * p[t, 1]
                                  for t in range(x.shape[0])))
    return dict(
        frame_probs=torch.stack(frame_probs),
        global_probs=torch.stack(globals_),
        audio_global_probs=torch.stack(audio_globals),
        visual_global_probs=torch.stack(visual_globals),
        mmil_inputs=torch.stack([audio_feats, visual_feats], dim=2))


def psp_mmil_forward(state, audio, visual, visual_st, threshold):
    """Section 4 without dropout; visual [B, 80, 2048]."""
    audio_inputs, visual_inputs = input_stage(state, audio, visual, visual_st)
    audio_seq = ref_cpsp._bilstm(audio_inputs, state, 'lstm.lstm_audio')
    visual_seq = ref_cpsp._bilstm(visual_inputs, state, 'lstm.lstm_video')
    outputs = [
        ref_cpsp._psp(audio_seq[b], visual_seq[b], state, threshold)
        for b in range(audio.shape[0])
    ]
    visual_feats = torch.stack([visual_out for _, visual_out, _ in outputs])
    audio_feats = torch.stack([audio_out for _, _, audio_out in outputs])
    return dict(
        mmil(state, audio_feats, visual_feats),
        audio_feats=audio_feats,
        visual_feats=visual_feats,
        visual_inputs=visual_inputs)


def _layer_norm(x, state, name, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean)**2).mean(dim=-1, keepdim=True)
    return ((x - mean) / torch.sqrt(var + eps) *
            _param(state, f'{name}.weight') + _param(state, f'{name}.bias'))


def _attention(state, name, query, key):
    """One head over one video: query, key [T, d] -> [T, d]."""
    weight = _param(state, f'{name}.in_proj_weight')
    bias = _param(state, f'{name}.in_proj_bias')
    dim = query.shape[-1]
    q = _affine(query, weight[:dim], bias[:dim])
    k = _affine(key, weight[dim:2 * dim], bias[dim:2 * dim])
    v = _affine(key, weight[2 * dim:], bias[2 * dim:])
    logits = q @ k.t() / math.sqrt(dim)
    attn = torch.exp(logits - logits.max(dim=-1, keepdim=True).values)
    attn = attn / attn.sum(dim=-1, keepdim=True)
    return _linear(state, f'{name}.out_proj', attn @ v)


def _hybrid_attention(state, query, other):
    layer = 'hat_encoder.layers.0'
    cross = _attention(state, f'{layer}.cm_attn', query, other)
    self_att = _attention(state, f'{layer}.self_attn', query, query)
    hidden = _layer_norm(query + cross + self_att, state, f'{layer}.norm1')
    ffn = _linear(state, f'{layer}.linear2',
                  torch.relu(_linear(state, f'{layer}.linear1', hidden)))
    return _layer_norm(hidden + ffn, state, f'{layer}.norm2')


def han_forward(state, audio, visual, visual_st):
    """Section 5 without dropout; visual [B, 80, 2048]."""
    audio_inputs, visual_inputs = input_stage(state, audio, visual, visual_st)
    audio_feats = torch.stack([
        _hybrid_attention(state, a, v)
        for a, v in zip(audio_inputs, visual_inputs)
    ])
    visual_feats = torch.stack([
        _hybrid_attention(state, v, a)
        for a, v in zip(audio_inputs, visual_inputs)
    ])
    return dict(
        mmil(state, audio_feats, visual_feats),
        audio_feats=audio_feats,
        visual_feats=visual_feats,
        visual_inputs=visual_inputs)


def _bce(probs, target):
    probs = torch.clamp(probs, 1e-7, 1 - 1e-7)
    return -(target * torch.log(probs) +
             (1 - target) * torch.log(1 - probs)).mean()


def bce_terms(outputs, weak_label):
    """Section 7: the three BCE terms."""
    return dict(
        loss_audio=_bce(outputs['audio_global_probs'], weak_label),
        loss_visual=_bce(outputs['visual_global_probs'],
                         0.9 * weak_label + 0.05),
        loss_global=_bce(outputs['global_probs'], weak_label))


def _normalize(vector):
    return vector / torch.clamp(vector.norm(), min=1e-12)


def segment_loss(audio_feats, visual_inputs, temperature=0.2):
    """L_seg: label-smoothed CE of each audio segment over the visual
    segments of its video."""
    rows = []
    num_segments = audio_feats.shape[1]
    for feats_a, feats_v in zip(audio_feats, visual_inputs):
        for i in range(num_segments):
            sims = torch.stack([
                torch.dot(_normalize(feats_a[i]), _normalize(feats_v[j]))
                for j in range(num_segments)
            ]) / temperature
            log_probs = sims - torch.logsumexp(sims, dim=0)
            target = [0.9 if j == i else 0.1 / (num_segments - 1)
                      for j in range(num_segments)]
            rows.append(-sum(q * log_p
                             for q, log_p in zip(target, log_probs)))
    return torch.stack(rows).mean()


def vcon_loss(mmil_inputs, weak_label, ratio=0.9,
              eta=0.2) -> Optional[torch.Tensor]:
    """L_vcon; None when some anchor has no negative (the term dropped)."""
    z = [_normalize(x.mean(dim=(0, 1))) for x in mmil_inputs]
    labels = [set(torch.nonzero(row).flatten().tolist())
              for row in weak_label]
    anchors = []
    for a, classes_a in enumerate(labels):
        negatives = [b for b, classes_b in enumerate(labels)
                     if not classes_a & classes_b]
        positives = [b for b, classes_b in enumerate(labels)
                     if len(classes_a & classes_b) / len(classes_a) >= ratio]
        if not negatives:
            return None
        affinity = [torch.exp(torch.dot(z[a], z[b]) / eta)
                    for b in range(len(z))]
        pos = sum(affinity[b] for b in positives) / len(positives)
        neg = sum(affinity[b] for b in negatives) / len(negatives)
        anchors.append(-torch.log(pos / (pos + neg)))
    return torch.stack(anchors).mean()


def predict_labels(outputs, filter_by):
    """Section 9.1: A, V [B, T, C], 0/1."""
    probs = outputs['frame_probs']
    if filter_by == 'modality':
        filters = (outputs['audio_global_probs'],
                   outputs['visual_global_probs'])
    else:
        filters = (outputs['global_probs'], ) * 2
    return [((probs[:, :, m] >= 0.5) &
             (filters[m][:, None] >= 0.5)).long() for m in (0, 1)]
