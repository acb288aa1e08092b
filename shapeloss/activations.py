"""Activations by name: how a model's outputs become probabilities.

An activation is an explicit choice, never guessed (as in MONAI): ``"sigmoid"`` for
independent channels (multi-label: a P and an S pick may overlap), ``"softmax"`` over the
channel dimension ``dim=1`` of ``(B, C, *)`` logits (the channels are exclusive classes,
e.g. P, S, noise), or any callable ``logits -> probabilities``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ._validation import check_choice

__all__ = ["ACTIVATIONS", "resolve_activation"]

#: The activations known by name.
ACTIVATIONS = ("sigmoid", "softmax")


def resolve_activation(activation: str | Callable[[Tensor], Tensor]) -> Callable[[Tensor], Tensor]:
    """``"sigmoid"`` (independent channels), ``"softmax"`` (over dim 1) or a callable.

    Args:
        activation: a name in :data:`ACTIVATIONS` or a callable, returned as is.

    Returns:
        A callable mapping ``(B, C, *)`` logits to probabilities of the same shape.

    Raises:
        InvalidArgumentError: an unknown name (``"activation: expected one of ..., got ..."``).

    Example:
        >>> resolve_activation("softmax")(torch.zeros(1, 2, 3)).sum(dim=1).tolist()
        [[1.0, 1.0, 1.0]]
    """
    if callable(activation):
        return activation
    check_choice(activation, "activation", ACTIVATIONS)
    if activation == "sigmoid":
        return torch.sigmoid
    return _softmax_over_channels


def _softmax_over_channels(logits: Tensor) -> Tensor:
    return torch.softmax(logits, dim=1)
