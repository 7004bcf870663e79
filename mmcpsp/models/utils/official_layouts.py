"""The state-dict layouts of the networks the authors released.

Key names come from the authors' module definitions (jasongief/CPSP,
``cpsp_avel/model/psp_family.py`` and ``cpsp_avvp/nets/psp_net.py``;
jasongief/PSP_CVPR_2021, ``fully_model.py`` and ``weakly_model.py``;
YapengTian/AVVP-ECCV20, ``nets/net_audiovisual.py``), without the
``module.`` prefix of ``DataParallel``. Each layout maps the keys the
forward pass uses onto an ``AVELLocalizer`` and lists the modules it holds
but never calls. :data:`OFFICIAL_LAYOUTS` are the event localization
networks (AVE, VGGSound-AVEL), :data:`OFFICIAL_AVVP_LAYOUTS` the video
parsing networks (LLP).
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Tuple


@dataclass(frozen=True)
class OfficialLayout:
    """One released layout.

    Attributes:
        name (str): Name used by ``--arch``.
        description (str): The authors' class, for messages and metadata.
        renames (Mapping[str, str]): Used official key -> mmcpsp key.
        unused (tuple[str]): Modules (or parameters) held but never called:
            a key is dropped when it equals one or starts with one plus
            ``'.'``.
        configs (tuple[str]): Aliases of the configs it converts for.
    """

    name: str
    description: str
    renames: Mapping[str, str]
    unused: Tuple[str, ...]
    configs: Tuple[str, ...]

    def is_unused(self, key: str) -> bool:
        """Whether ``key`` belongs to a module the forward pass never calls."""
        return any(key == name or key.startswith(name + '.')
                   for name in self.unused)


_LSTM_SUFFIXES = tuple(f'{kind}_{gate}_l0{direction}'
                       for direction in ('', '_reverse')
                       for kind in ('weight', 'bias')
                       for gate in ('ih', 'hh'))

#: The audio-guided visual attention (AVGA) of every layout.
_ATTENTION = {
    'attention.affine_audio.weight': 'backbone.attention.audio_hidden.weight',
    'attention.affine_audio.bias': 'backbone.attention.audio_hidden.bias',
    'attention.affine_video.weight':
    'backbone.attention.visual_hidden.weight',
    'attention.affine_video.bias': 'backbone.attention.visual_hidden.bias',
    'attention.affine_v.weight': 'backbone.attention.visual_energy.weight',
    'attention.affine_g.weight': 'backbone.attention.audio_energy.weight',
    'attention.affine_h.weight': 'backbone.attention.region_score.weight',
}
#: The two BiLSTMs of every layout.
_LSTMS = {
    f'lstm_a_v.{official}.{suffix}': f'backbone.{ours}.{suffix}'
    for official, ours in (('lstm_audio', 'audio_lstm'),
                           ('lstm_video', 'visual_lstm'))
    for suffix in _LSTM_SUFFIXES
}
#: Audio and visual embeddings (two bias-free layers each), PSP and CPSP.
_EMBEDDINGS = {
    f'{official}.{layer}.weight': f'backbone.{ours}.{layer}.weight'
    for official, ours in (('fa', 'audio_embedding'),
                           ('fv', 'visual_embedding'))
    for layer in (0, 1)
}
#: The message and affinity projections and the shared LayerNorm of PSP.
_PSP_CORE = {
    'psp.v_L1.weight': 'neck.visual_message_proj.weight',
    'psp.v_L2.weight': 'neck.visual_affinity_proj.weight',
    'psp.a_L1.weight': 'neck.audio_affinity_proj.weight',
    'psp.a_L2.weight': 'neck.audio_message_proj.weight',
    'psp.layer_norm.weight': 'neck.layer_norm.weight',
    'psp.layer_norm.bias': 'neck.layer_norm.bias',
}
_PSP_OUTPUT = {
    'psp.v_fc.weight': 'neck.visual_out_proj.weight',
    'psp.a_fc.weight': 'neck.audio_out_proj.weight',
}
#: The per-segment MLP of the CVPR 2021 PSP heads.
_SEGMENT_MLP = {
    'L1.weight': 'head.segment_hidden.weight',
    'L2.weight': 'head.segment_classifier.weight',
}

_CPSP_RENAMES: Dict[str, str] = {
    **_EMBEDDINGS,
    **_ATTENTION,
    **_LSTMS,
    **_PSP_CORE,
    **_PSP_OUTPUT,
    'event_classifier.0.weight': 'head.event_classifier.weight',
    'event_classifier.0.bias': 'head.event_classifier.bias',
    'category_classifier.0.weight': 'head.category_classifier.weight',
    'category_classifier.0.bias': 'head.category_classifier.bias',
}
_CPSP_UNUSED = ('linear_v', 'v_classify', 'a_classify', 'L1', 'L2')

CPSP = OfficialLayout(
    name='cpsp',
    description='CPSP codebase fully_psp_net / weakly_psp_net (AVE, VGG-19 '
    'maps)',
    renames=_CPSP_RENAMES,
    unused=_CPSP_UNUSED,
    configs=('cpsp_fully_ave.py', 'cpsp_weakly_ave.py', 'psp_fully_ave.py',
             'psp_weakly_ave.py', 'sspsp_fully_ave.py'))

#: resnet_psp_net / weakly_resnet_psp_net wrap the same network under
#: ``psp.`` and hold an ``align_v`` Linear that forward never calls.
CPSP_RESNET = OfficialLayout(
    name='cpsp_resnet',
    description='CPSP codebase resnet_psp_net / weakly_resnet_psp_net '
    '(VGGSound-AVEL, ResNet maps)',
    renames={
        'psp.' + key: value
        for key, value in _CPSP_RENAMES.items()
    },
    unused=('align_v', ) + tuple('psp.' + name for name in _CPSP_UNUSED),
    configs=('cpsp_fully_vggsound_avel100k.py',
             'cpsp_weakly_vggsound_avel100k.py',
             'cpsp_fully_vggsound_avel50k.py',
             'cpsp_weakly_vggsound_avel50k.py',
             'psp_fully_vggsound_avel100k.py',
             'psp_weakly_vggsound_avel100k.py',
             'psp_fully_vggsound_avel50k.py', 'psp_weakly_vggsound_avel50k.py',
             'sspsp_fully_vggsound_avel100k.py',
             'sspsp_fully_vggsound_avel50k.py'))

PSP_CVPR21_FULLY = OfficialLayout(
    name='psp_cvpr21_fully',
    description='PSP_CVPR_2021 fully_model.psp_net',
    renames={
        **_EMBEDDINGS,
        **_ATTENTION,
        **_LSTMS,
        **_PSP_CORE,
        **_PSP_OUTPUT,
        **_SEGMENT_MLP
    },
    unused=('linear_v', 'v_classify', 'a_classify', 'L3', 'L4'),
    configs=('psp_cvpr21_fully_ave.py', ))

PSP_CVPR21_WEAKLY = OfficialLayout(
    name='psp_cvpr21_weakly',
    description='PSP_CVPR_2021 weakly_model.psp_net',
    renames={
        **_ATTENTION,
        **_LSTMS,
        **_PSP_CORE,
        'linear_v.weight': 'backbone.visual_embedding.weight',
        'linear_v.bias': 'backbone.visual_embedding.bias',
        **_SEGMENT_MLP,
        'W3.weight': 'head.temporal_gate.weight',
    },
    unused=('temperature', 'W1', 'W2'),
    configs=('psp_cvpr21_weakly_ave.py', ))

#: Every released layout, by name, in the order detection tries them.
OFFICIAL_LAYOUTS: Dict[str, OfficialLayout] = {
    layout.name: layout
    for layout in (CPSP, CPSP_RESNET, PSP_CVPR21_FULLY, PSP_CVPR21_WEAKLY)
}

#: The input stage of both video parsing networks (avvp.md section 3).
_AVVP_INPUTS = {
    f'{official}.{param}': f'backbone.{ours}.{param}'
    for official, ours in (('fc_a', 'audio_proj'), ('fc_v', 'frame_proj'),
                           ('fc_st', 'clip_proj'), ('fc_fusion', 'fusion'))
    for param in ('weight', 'bias')
}
#: The MMIL head of both video parsing networks (avvp.md section 6).
_MMIL_HEAD = {
    f'{official}.{param}': f'head.{ours}.{param}'
    for official, ours in (('fc_prob', 'frame_classifier'),
                           ('fc_frame_att', 'temporal_attention'),
                           ('fc_av_att', 'modality_attention'))
    for param in ('weight', 'bias')
}

PSP_MMIL = OfficialLayout(
    name='psp_mmil',
    description='CPSP codebase cpsp_avvp PSP_MMIL_Net (LLP)',
    renames={
        **_AVVP_INPUTS,
        **{
            f'lstm.{official}.{suffix}': f'neck.{ours}.{suffix}'
            for official, ours in (('lstm_audio', 'audio_lstm'),
                                   ('lstm_video', 'visual_lstm'))
            for suffix in _LSTM_SUFFIXES
        },
        **{
            key: 'neck.psp.' + value[len('neck.'):]
            for key, value in {
                **_PSP_CORE,
                **_PSP_OUTPUT
            }.items()
        },
        **_MMIL_HEAD,
    },
    unused=(),
    configs=('cpsp_avvp_llp.py', 'psp_avvp_llp.py'))

_HAN_LAYER = 'hat_encoder.layers.0.'
_ATTENTION_PARAMS = ('in_proj_weight', 'in_proj_bias', 'out_proj.weight',
                     'out_proj.bias')

HAN = OfficialLayout(
    name='han',
    description='AVVP-ECCV20 nets/net_audiovisual.py MMIL_Net (HAN, LLP)',
    renames={
        **_AVVP_INPUTS,
        **{
            f'{_HAN_LAYER}{official}.{param}': f'neck.{ours}.{param}'
            for official, ours in (('self_attn', 'self_attn'),
                                   ('cm_attn', 'cross_attn'))
            for param in _ATTENTION_PARAMS
        },
        **{
            f'{_HAN_LAYER}{official}.{param}': f'neck.{ours}.{param}'
            for official, ours in (('linear1', 'ffn_hidden'),
                                   ('linear2', 'ffn_out'),
                                   ('norm1', 'attention_norm'),
                                   ('norm2', 'ffn_norm'))
            for param in ('weight', 'bias')
        },
        **_MMIL_HEAD,
    },
    # Built by MMIL_Net but never called by its forward; its Encoder has no
    # final norm, so hat_encoder.norm1/norm2 are unused too.
    unused=('audio_encoder', 'visual_encoder', 'cmt_encoder',
            'hat_encoder.norm1', 'hat_encoder.norm2'),
    configs=('han_avvp_llp.py', ))

#: The released video parsing layouts, by name, in detection order.
OFFICIAL_AVVP_LAYOUTS: Dict[str, OfficialLayout] = {
    layout.name: layout
    for layout in (PSP_MMIL, HAN)
}
