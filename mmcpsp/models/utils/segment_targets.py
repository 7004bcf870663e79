"""Training targets derived from class-index labels (background = C).

A segment label ``l`` in ``[0, C]`` is the index of the one-hot row
``y_t`` over C + 1 columns, background last.
"""
import torch
import torch.nn.functional as F


def event_mask(segment_labels: torch.Tensor,
               num_classes: int) -> torch.Tensor:
    """Whether each segment holds an event.

    Args:
        segment_labels (torch.Tensor): Class index per segment [B, T],
            background = C.
        num_classes (int): Number of event classes C.

    Returns:
        torch.Tensor: Bool mask e [B, T], True on event segments.
    """
    return segment_labels != num_classes


def video_classes_from_segments(segment_labels: torch.Tensor,
                                num_classes: int) -> torch.Tensor:
    """Video class k = max over t of the argmax of the foreground columns.

    The argmax over the C foreground columns of a background row is 0, so
    an all-background video gets class 0.

    Args:
        segment_labels (torch.Tensor): Class index per segment [B, T],
            background = C.
        num_classes (int): Number of event classes C.

    Returns:
        torch.Tensor: Video classes k [B], long.
    """
    foreground_argmax = torch.where(
        event_mask(segment_labels, num_classes), segment_labels,
        torch.zeros_like(segment_labels))
    return foreground_argmax.max(dim=1).values


def weak_labels(video_labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """C-dimensional one-hot of the video class, background column dropped.

    Args:
        video_labels (torch.Tensor): Video class [B], long; C marks a
            background-only video, whose weak label is all zeros.
        num_classes (int): Number of event classes C.

    Returns:
        torch.Tensor: Weak labels [B, C], long.
    """
    return F.one_hot(video_labels, num_classes + 1)[:, :num_classes]

