"""Read the weights of a whole pickled ``nn.Module`` without running it.

The PSP release of CVPR 2021 saved its models with ``torch.save(net_model,
...)`` (torch 1.2: the legacy format, which also stores each module class's
source): the pickle names the authors' classes (``fully_model.psp_net``,
``weakly_model.psp_net`` ...) and torch's own modules, which
``torch.load(weights_only=True)`` refuses and a plain ``torch.load`` would
import and run. Here the pickle is first read without running it, and
accepted only when every global it names is a module class or a type or
function that ``weights_only`` allows. It is then unpickled with an
unpickler that resolves each module class to an inert record keeping only
the state the pickle hands it, each allowed name to torch's own object and
any other name to an error; the parameters are collected from the records.
"""
import pickle
import pickletools
import types
import warnings
import zipfile
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import OrderedDict
from typing import IO, Dict, List, Optional, Set

import torch

#: Modules whose classes may appear in a pickled network: torch's modules
#: and backends, and the model files of the authors' releases.
MODULE_CLASS_PREFIXES = ('torch.nn.modules.', 'torch.nn.backends.',
                         'fully_model.', 'weakly_model.')
#: A legacy (pre zip) torch.save file holds these pickles before the data.
_LEGACY_PICKLES = 4


class _Record:
    """Stands for a class of the pickle; keeps what it is given."""

    def __init__(self, *args, **kwargs) -> None:
        self.args = args

    def __setstate__(self, state) -> None:
        self.state = state


def _globals_of_pickle(stream: IO[bytes]) -> Set[str]:
    names = set()
    for opcode, arg, _ in pickletools.genops(stream):
        if opcode.name == 'GLOBAL':
            module, name = arg.split(' ', 1)
            # Protocol 2 writes Python 2 names (__builtin__.set), which
            # unpickling maps to Python 3 ones, as torch does.
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            else:
                module = IMPORT_MAPPING.get(module, module)
            names.add(f'{module}.{name}')
        elif opcode.name == 'STACK_GLOBAL':
            # Names built on the stack cannot be read without running the
            # pickle machine: refuse rather than guess.
            names.add('<STACK_GLOBAL>')
    return names


def pickle_globals(path: str) -> Set[str]:
    """Every global (``module.name``) the pickle of a torch file refers to.

    Args:
        path (str): A ``torch.save`` file, zip or legacy format.

    Returns:
        set[str]: The names, without running the pickle.
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            (data_pkl, ) = [
                name for name in archive.namelist()
                if name.endswith('/data.pkl') or name == 'data.pkl'
            ]
            with archive.open(data_pkl) as stream:
                return _globals_of_pickle(stream)
    names = set()
    with open(path, 'rb') as stream:
        for _ in range(_LEGACY_PICKLES):
            names |= _globals_of_pickle(stream)
    return names


def _is_module_class(name: str) -> bool:
    return name.startswith(MODULE_CLASS_PREFIXES)


def module_classes(path: str) -> Optional[List[str]]:
    """The module classes a pickled network names, or None if it is not one.

    Returns:
        list[str] | None: The names of the classes to stand in for, when the
        pickle refers to module classes and to nothing else that the
        weights-only unpickler does not allow already; otherwise None.
    """
    from torch._weights_only_unpickler import _get_allowed_globals
    try:
        names = pickle_globals(path)
    except (OSError, ValueError, zipfile.BadZipFile, pickle.UnpicklingError,
            EOFError):
        return None
    unknown = names - set(_get_allowed_globals())
    if not unknown or not all(_is_module_class(name) for name in unknown):
        return None
    return sorted(unknown)


def _collect(record: _Record, prefix: str,
             state: 'OrderedDict[str, torch.Tensor]') -> None:
    attributes = getattr(record, 'state', None)
    if not isinstance(attributes, dict):
        raise pickle.UnpicklingError(
            f'the pickled module {prefix or "(root)"} holds no state')
    for group in ('_parameters', '_buffers'):
        for name, value in (attributes.get(group) or {}).items():
            if isinstance(value, torch.Tensor):
                state[prefix + name] = value.detach()
    for name, child in (attributes.get('_modules') or {}).items():
        if isinstance(child, _Record):
            _collect(child, f'{prefix}{name}.', state)


def _restricted_pickle_module(classes: List[str]) -> types.SimpleNamespace:
    """A ``pickle_module`` for ``torch.load`` that builds records for
    ``classes``, torch's weights-only globals, and nothing else."""
    from torch._weights_only_unpickler import _get_allowed_globals
    records = {
        name: type(name.rsplit('.', 1)[-1], (_Record, ), {})
        for name in classes
    }
    allowed = _get_allowed_globals()

    class RestrictedUnpickler(pickle.Unpickler):

        def find_class(self, module: str, name: str):
            if (module, name) in NAME_MAPPING:
                module, name = NAME_MAPPING[(module, name)]
            else:
                module = IMPORT_MAPPING.get(module, module)
            full_name = f'{module}.{name}'
            if full_name in records:
                return records[full_name]
            if full_name in allowed:
                return allowed[full_name]
            raise pickle.UnpicklingError(
                f'refusing {full_name}: not a module class nor a type '
                'torch loads with weights_only')

    def load(file: IO[bytes], **kwargs):
        return RestrictedUnpickler(file, **kwargs).load()

    return types.SimpleNamespace(
        Unpickler=RestrictedUnpickler, load=load, __name__=__name__)


def load_pickled_module_state(path: str,
                              classes: List[str]) -> Dict[str, torch.Tensor]:
    """The state dict of a whole pickled module, read without running it.

    Args:
        path (str): The ``torch.save(module)`` file, zip or legacy format.
        classes (list[str]): What :func:`module_classes` returned for it.

    Returns:
        dict[str, torch.Tensor]: Parameters and buffers under the names
        ``module.state_dict()`` gives them.
    """
    with warnings.catch_warnings():
        # The records have no source to compare with the saved one.
        warnings.filterwarnings('ignore', "Couldn't retrieve source code")
        root = torch.load(
            path,
            map_location='cpu',
            pickle_module=_restricted_pickle_module(classes),
            weights_only=False)
    if not isinstance(root, _Record):
        raise pickle.UnpicklingError(
            f'{path} holds a {type(root).__name__}, not a pickled module')
    state = OrderedDict()
    _collect(root, '', state)
    return state
