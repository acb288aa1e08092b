"""Cheap shape-aware baselines to compare :class:`shapeloss.ShapeLoss` against.

Each is a function plus a thin module calling it, with ``(logits, target)``
arguments so any of them can also serve as the base loss of ``ShapeLoss``.
Inputs are logits ``(B, C, *)`` and targets on the probability scale in
``[0, 1]`` of the same shape (Gaussian peaks or thin boundary ridges).

- :func:`weighted_bce`: BCE with the positive term weighted (class imbalance).
- :func:`cdf_l1_loss`: BCE plus the 1D Wasserstein-1 distance between the
  normalised prediction and label, i.e. the L1 distance between their
  cumulative distributions along ``L`` (1D only).
- :func:`soft_argmax_loss`: BCE plus an L1 regression of the soft-argmax
  position of each channel to the label's peak position (1D only).
- :func:`boundary_distance_loss`: BCE plus the boundary loss of Kervadec et al.
  (2019): the mean of the probabilities weighted by the distance to the nearest
  label pixel, which penalises mass far from any boundary.
- :func:`masked_bce`: BCE averaged over the elements where ``mask`` is true
  (unannotated spans excluded).

``reduction`` is ``"mean"`` (a scalar), ``"sum"`` or ``"none"`` (one value per
sample, shape ``(B,)``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from .._validation import (
    check_choice,
    check_finite,
    check_range,
    check_same_shape,
    check_tensor,
    check_weight,
)
from ..errors import InvalidArgumentError, ShapeMismatchError

__all__ = [
    "weighted_bce",
    "cdf_l1_loss",
    "soft_argmax_loss",
    "boundary_distance_loss",
    "distance_to_labels",
    "masked_bce",
    "WeightedBCELoss",
    "CDFL1Loss",
    "SoftArgmaxLoss",
    "BoundaryDistanceLoss",
    "MaskedBCELoss",
]

REDUCTIONS = ("mean", "sum", "none")


def _check(logits: object, target: object, ndim=(3, 4)) -> None:
    check_tensor(logits, "logits", ndim=ndim)
    check_tensor(target, "target", ndim=ndim)
    check_same_shape(logits, "logits", target, "target")
    check_finite(logits, "logits")
    check_finite(target, "target")
    check_range(target, "target", 0.0, 1.0)


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _bce_per_sample(logits: Tensor, target: Tensor, pos_weight: float = 1.0) -> Tensor:
    pw = None if pos_weight == 1.0 else torch.tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    bce = F.binary_cross_entropy_with_logits(logits, target, pos_weight=pw, reduction="none")
    return rearrange(bce, "b c ... -> b (c ...)").mean(dim=1)


def weighted_bce(logits: Tensor, target: Tensor, pos_weight: float = 10.0, reduction: str = "mean") -> Tensor:
    """Class-weighted BCE: ``-(w y log p + (1 - y) log(1 - p))``, averaged per sample.

    Args:
        logits: ``(B, C, *)`` logits.
        target: ``(B, C, *)`` targets in ``[0, 1]``.
        pos_weight: ``w``, the weight of the positive term (> 0); 1 gives plain BCE.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (shape ``(B,)``).
    """
    _check(logits, target)
    w = check_weight(pos_weight, "pos_weight", allow_inf=False)
    if w == 0:
        raise InvalidArgumentError(f"pos_weight: expected a positive float, got {pos_weight!r}")
    check_choice(reduction, "reduction", REDUCTIONS)
    return _reduce(_bce_per_sample(logits, target, w), reduction)


def _cdf(x: Tensor, eps: float) -> Tensor:
    mass = x.sum(dim=-1, keepdim=True)
    return torch.cumsum(x, dim=-1) / (mass + eps)


def cdf_l1_loss(
    logits: Tensor, target: Tensor, weight: float = 1.0, eps: float = 1e-6, reduction: str = "mean"
) -> Tensor:
    """BCE plus ``weight`` times the 1D Wasserstein-1 distance between prediction and label.

    Both ``sigmoid(logits)`` and ``target`` are normalised to unit mass along
    ``L``; the distance is the mean over ``L`` of the absolute difference of
    their cumulative sums, so it lies in ``[0, 1]``. Channels whose label has no
    mass (nothing to align to) contribute only their BCE.

    Args:
        logits: ``(B, C, L)`` logits.
        target: ``(B, C, L)`` targets in ``[0, 1]``.
        weight: weight of the Wasserstein term (>= 0).
        eps: added to the masses before dividing.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    _check(logits, target, ndim=3)
    weight = check_weight(weight, "weight", allow_inf=False)
    check_choice(reduction, "reduction", REDUCTIONS)
    bce = _bce_per_sample(logits, target)
    p = torch.sigmoid(logits)
    has_label = (target.sum(dim=-1) > eps).to(p.dtype)  # (B, C)
    w1 = (_cdf(p, eps) - _cdf(target, eps)).abs().mean(dim=-1)  # (B, C)
    w1 = (w1 * has_label).sum(dim=1) / has_label.sum(dim=1).clamp_min(1.0)
    return _reduce(bce + weight * w1, reduction)


def soft_argmax_loss(
    logits: Tensor, target: Tensor, weight: float = 1.0, temperature: float = 1.0, reduction: str = "mean"
) -> Tensor:
    """BCE plus an L1 regression of each channel's soft-argmax position to the label peak.

    The soft-argmax is ``sum_t t softmax(logits / temperature)_t``; the label
    position is ``argmax_t target``. The position error is divided by ``L`` so
    the term lies in ``[0, 1]``. Channels whose label maximum is below 0.5 (no
    event) contribute only their BCE.

    Args:
        logits: ``(B, C, L)`` logits.
        target: ``(B, C, L)`` targets in ``[0, 1]``.
        weight: weight of the position term (>= 0).
        temperature: softmax temperature (> 0); lower is sharper.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    _check(logits, target, ndim=3)
    weight = check_weight(weight, "weight", allow_inf=False)
    temperature = check_weight(temperature, "temperature", allow_inf=False)
    if temperature == 0:
        raise InvalidArgumentError(f"temperature: expected a positive float, got {temperature!r}")
    check_choice(reduction, "reduction", REDUCTIONS)
    L = logits.shape[-1]
    t = torch.arange(L, dtype=logits.dtype, device=logits.device)
    position = (torch.softmax(logits / temperature, dim=-1) * t).sum(dim=-1)  # (B, C)
    peak, label_position = target.max(dim=-1)
    has_label = (peak >= 0.5).to(logits.dtype)
    error = (position - label_position.to(logits.dtype)).abs() / L
    error = (error * has_label).sum(dim=1) / has_label.sum(dim=1).clamp_min(1.0)
    return _reduce(_bce_per_sample(logits, target) + weight * error, reduction)


def distance_to_labels(target: Tensor, threshold: float = 0.5) -> Tensor:
    """Euclidean distance (in samples or pixels) from each element to the nearest
    element where ``target >= threshold``, per sample and channel.

    Channels without any such element get distance 0 everywhere (no boundary
    to be far from). Exact, by brute force over label elements; meant for the
    small sizes of the benchmarks.

    Args:
        target: ``(B, C, L)`` or ``(B, C, H, W)``.
        threshold: what counts as a label element.

    Returns:
        Distances of ``target``'s shape and dtype, without gradient.
    """
    check_tensor(target, "target")
    with torch.no_grad():
        spatial = target.shape[2:]
        grids = torch.meshgrid(*[torch.arange(s, dtype=target.dtype, device=target.device) for s in spatial],
                               indexing="ij")
        coords = torch.stack([g.reshape(-1) for g in grids], dim=-1)  # (N, D)
        flat = rearrange(target, "b c ... -> (b c) (...)")
        out = torch.zeros_like(flat)
        for i in range(flat.shape[0]):
            on = flat[i] >= threshold
            if bool(on.any()):
                out[i] = torch.cdist(coords, coords[on]).min(dim=1).values
        return out.reshape(target.shape)


def boundary_distance_loss(
    logits: Tensor,
    target: Tensor,
    weight: float = 1.0,
    distance: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """BCE plus the boundary loss ``mean(sigmoid(logits) * D)`` of Kervadec et al. (2019).

    ``D`` is the distance to the nearest label element (:func:`distance_to_labels`),
    divided by the largest spatial size so the term stays ``O(1)``. It only
    pushes probability off places far from any label; it has no term that raises
    a low peak.

    Args:
        logits: ``(B, C, *)`` logits.
        target: ``(B, C, *)`` targets in ``[0, 1]``.
        weight: weight of the distance term (>= 0).
        distance: precomputed :func:`distance_to_labels` of ``target`` (saves time).
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    _check(logits, target)
    weight = check_weight(weight, "weight", allow_inf=False)
    check_choice(reduction, "reduction", REDUCTIONS)
    if distance is None:
        distance = distance_to_labels(target)
    elif distance.shape != target.shape:
        raise ShapeMismatchError(f"distance: expected the shape of target {tuple(target.shape)}, got {tuple(distance.shape)}")
    scale = float(max(target.shape[2:]))
    term = rearrange(torch.sigmoid(logits) * distance / scale, "b c ... -> b (c ...)").mean(dim=1)
    return _reduce(_bce_per_sample(logits, target) + weight * term, reduction)


def masked_bce(logits: Tensor, target: Tensor, mask: Tensor, reduction: str = "mean") -> Tensor:
    """BCE averaged over the elements where ``mask`` is true, per sample.

    Args:
        logits: ``(B, C, *)`` logits.
        target: ``(B, C, *)`` targets in ``[0, 1]``.
        mask: boolean or 0/1 tensor broadcastable to ``target`` (e.g. ``(B, 1, L)``).
            A sample whose mask is empty contributes 0.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    """
    _check(logits, target)
    if not isinstance(mask, Tensor):
        raise TypeError(f"mask: expected a torch.Tensor, got {type(mask).__name__}")
    try:
        mask = torch.broadcast_to(mask, target.shape).to(logits.dtype)
    except RuntimeError:
        raise ShapeMismatchError(
            f"mask: expected a shape broadcastable to target {tuple(target.shape)}, got {tuple(mask.shape)}"
        ) from None
    check_choice(reduction, "reduction", REDUCTIONS)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none") * mask
    per_sample = rearrange(bce, "b c ... -> b (c ...)").sum(1) / rearrange(mask, "b c ... -> b (c ...)").sum(1).clamp_min(1.0)
    return _reduce(per_sample, reduction)


class WeightedBCELoss(nn.Module):
    """Module form of :func:`weighted_bce`."""

    def __init__(self, pos_weight: float = 10.0, reduction: str = "mean") -> None:
        super().__init__()
        self.pos_weight = check_weight(pos_weight, "pos_weight", allow_inf=False)
        self.reduction = check_choice(reduction, "reduction", REDUCTIONS)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return weighted_bce(logits, target, self.pos_weight, self.reduction)


class CDFL1Loss(nn.Module):
    """Module form of :func:`cdf_l1_loss`."""

    def __init__(self, weight: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        self.weight = check_weight(weight, "weight", allow_inf=False)
        self.reduction = check_choice(reduction, "reduction", REDUCTIONS)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return cdf_l1_loss(logits, target, self.weight, reduction=self.reduction)


class SoftArgmaxLoss(nn.Module):
    """Module form of :func:`soft_argmax_loss`."""

    def __init__(self, weight: float = 1.0, temperature: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        self.weight = check_weight(weight, "weight", allow_inf=False)
        self.temperature = check_weight(temperature, "temperature", allow_inf=False)
        self.reduction = check_choice(reduction, "reduction", REDUCTIONS)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return soft_argmax_loss(logits, target, self.weight, self.temperature, self.reduction)


class BoundaryDistanceLoss(nn.Module):
    """Module form of :func:`boundary_distance_loss` (distances computed per call)."""

    def __init__(self, weight: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        self.weight = check_weight(weight, "weight", allow_inf=False)
        self.reduction = check_choice(reduction, "reduction", REDUCTIONS)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return boundary_distance_loss(logits, target, self.weight, reduction=self.reduction)


class MaskedBCELoss(nn.Module):
    """Module form of :func:`masked_bce`, called as ``loss(logits, target, mask)``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = check_choice(reduction, "reduction", REDUCTIONS)

    def forward(self, logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return masked_bce(logits, target, mask, self.reduction)
