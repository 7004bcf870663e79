"""The result type of each task, for tools that serve every model."""
from typing import Dict, Mapping, Sequence

from .localization_result import LocalizationResult
from .parsing_result import ParsingResult
from .segment_fields import PRED_PREFIX

#: Task of a head (``BaseSegmentHead.task``) -> its result type, which has
#: ``from_predictions`` (inference over any length) and
#: ``from_data_sample`` (a predicted test sample).
RESULT_TYPES: Dict[str, type] = {
    result_type.task: result_type
    for result_type in (LocalizationResult, ParsingResult)
}


def result_type_of(task: str) -> type:
    """The result type of a task (``'avel'`` ...)."""
    if task not in RESULT_TYPES:
        raise KeyError(f'No result type for task {task!r}; known: '
                       f'{sorted(RESULT_TYPES)}.')
    return RESULT_TYPES[task]


def result_from_data_sample(name: str, data_sample: Mapping,
                            classes: Sequence[str], **kwargs):
    """The result of a predicted data sample of any task: the type whose
    label fields (``pred_<label>``) the sample holds.

    Args:
        name (str): Name of the video.
        data_sample (Mapping | ActionDataSample): The predicted sample.
        classes (Sequence[str]): The C class names.
        **kwargs: Passed to the type's ``from_data_sample``.
    """
    for result_type in RESULT_TYPES.values():
        if all(PRED_PREFIX + key in data_sample
               for key in result_type.label_keys):
            return result_type.from_data_sample(name, data_sample, classes,
                                                **kwargs)
    expected = [[PRED_PREFIX + key for key in result_type.label_keys]
                for result_type in RESULT_TYPES.values()]
    raise KeyError('The sample holds the labels of no task: expected one '
                   f'of {expected}.')
