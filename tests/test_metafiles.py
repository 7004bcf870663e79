"""The model index: every canonical config in a metafile, every metafile in
model-index.yml, and every config with released weights naming the
authors' file, the conversion command and the published accuracy."""
import glob
import os.path as osp
import re

import yaml

from mmcpsp.models.utils import OFFICIAL_LAYOUTS

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _models():
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        metafiles = yaml.safe_load(f)['Import']
    assert sorted(metafiles) == sorted(
        osp.relpath(path, REPO_ROOT) for path in glob.glob(
            osp.join(REPO_ROOT, 'configs', '*', 'metafile.yml')))
    models = []
    for metafile in metafiles:
        with open(osp.join(REPO_ROOT, metafile)) as f:
            models += yaml.safe_load(f)['Models']
    return models


def test_every_canonical_config_is_indexed_once():
    configs = [model['Config'] for model in _models()]
    assert len(configs) == len(set(configs))
    canonical = {
        osp.relpath(path, REPO_ROOT)
        for path in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py'))
        if '_base_' not in path
    }
    assert set(configs) == canonical
    for model in _models():
        assert osp.basename(model['Config']) == model['Name'] + '.py'


def test_released_weights_name_file_command_and_accuracy():
    converted = [model for model in _models() if 'Converted From' in model]
    names = {model['Name'] for model in converted}
    # The layouts the authors released: CPSP (AVE), its VGGSound-AVEL
    # ResNet network, and both CVPR 2021 PSP networks.
    for name in ('cpsp_avga-vgg19-vggish_1xb64-45e_ave-fully',
                 'cpsp_avga-vgg19-vggish_1xb64-45e_ave-weakly',
                 'cpsp_avga-resnet-vggish_1xb64-45e_vggsound-avel100k-fully',
                 'psp-cvpr21_avga-vgg19-vggish_1xb128-300e_ave-fully',
                 'psp-cvpr21_avga-vgg19-vggish_1xb128-300e_ave-weakly'):
        assert name in names, name
    alias_layouts = {
        alias: layout
        for layout in OFFICIAL_LAYOUTS.values() for alias in layout.configs
    }
    for model in converted:
        source = model['Converted From']
        assert source['Code'].startswith('https://github.com/jasongief/')
        assert source['Weights'].startswith('https://')
        assert source['File']
        command = source['Conversion'].split()
        assert command[:2] == [
            'python', 'tools/model_converters/convert_official_cpsp.py'
        ]
        published = [
            metrics for result in model.get('Results', [])
            for metrics in [result['Metrics']]
            if 'Segment Accuracy (published)' in metrics
        ]
        assert published or 'Published Accuracy' in source, model['Name']
        assert model['Reproduced'].startswith('no')
        # The converted file goes to a config the detected layout serves.
        alias = osp.splitext(command[-1])[0] + '.py'
        assert alias in alias_layouts, alias
        with open(osp.join(REPO_ROOT, 'configs', alias)) as f:
            assert model['Config'].split('/', 1)[1] in f.read()


def test_cvpr21_numbers_sit_beside_the_cvpr21_models():
    for model in _models():
        metrics = [
            result['Metrics'].get('Segment Accuracy (published)')
            for result in model.get('Results', [])
        ]
        if 77.8 in metrics or 73.5 in metrics:
            assert model['Name'].startswith('psp-cvpr21_'), model['Name']


def test_weights_entries_name_published_files():
    # mmcpsp's own released files (none yet) are published with
    # tools/model_converters/publish_model.py: NAME-<sha256[:8]>.pth.
    for model in _models():
        if 'Weights' in model:
            assert re.search(r'-[0-9a-f]{8}\.pth$', model['Weights']), model
    for metafile in glob.glob(osp.join(REPO_ROOT, 'configs', '*',
                                       'metafile.yml')):
        with open(metafile) as f:
            assert 'publish_model.py' in f.read(), metafile
