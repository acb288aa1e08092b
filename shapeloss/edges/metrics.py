"""Boundary metrics for thin boundary maps, in 1D or 2D.

- :func:`boundary_f1`: precision, recall and F1 of thresholded boundary
  pixels against true boundary pixels, each matched within a pixel tolerance
  (a square window, the Chebyshev distance), per channel. A simplified form of
  the BSDS boundary measure, without one-to-one matching: a thick prediction is
  penalised by its precision where it spreads beyond the tolerance.
- :func:`boundary_peak_heights`: for every pixel on a label ridge, the highest
  prediction within the tolerance: the 2D form of the peak heights of
  :func:`shapeloss.metrics.suppression_report`. Suppressed boundaries show as
  heights in the 0.3 to 0.7 band.
- :func:`boundary_hausdorff`: per sample and channel, the (percentile)
  Hausdorff distance between thresholded boundary pixels and true ones.

Inputs are ``(B, C, L)`` or ``(B, C, H, W)``, numpy arrays or tensors;
predictions are probabilities in [0, 1].
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._validation import check_finite, check_range, check_same_shape, check_tensor, is_integer, is_real
from ..errors import InvalidArgumentError

__all__ = ["boundary_f1", "boundary_peak_heights", "boundary_hausdorff"]


def _tensor(x: object, name: str, floating: bool = True) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(np.ascontiguousarray(x))
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a numpy array or torch.Tensor, got {type(x).__name__}")
    x = x.detach().cpu()
    x = x.double() if (floating or x.dtype == torch.bool) else x
    check_tensor(x, name)
    check_finite(x, name)
    return x


def _tolerance(value: object) -> int:
    if not is_integer(value) or value < 0:
        raise InvalidArgumentError(f"tolerance: expected an int >= 0 (pixels), got {value!r}")
    return value


def _dilate(mask: torch.Tensor, tolerance: int) -> torch.Tensor:
    if tolerance == 0:
        return mask
    pool = F.max_pool1d if mask.ndim == 3 else F.max_pool2d
    return pool(mask, 2 * tolerance + 1, stride=1, padding=tolerance)


def boundary_f1(
    predictions: object, boundaries: object, threshold: float = 0.5, tolerance: int = 1
) -> dict[str, np.ndarray]:
    """Boundary precision, recall and F1 per channel, pooled over the batch.

    Args:
        predictions: ``(B, C, *)`` probabilities.
        boundaries: ``(B, C, *)`` true boundary pixels (bool or 0/1).
        threshold: a pixel is a predicted boundary pixel when ``>= threshold``.
        tolerance: pixels; a predicted pixel is correct when a true one lies in
            the ``(2 tolerance + 1)`` window around it, and conversely for recall.

    Returns:
        ``{"precision", "recall", "f1"}``, each a ``(C,)`` array (``nan`` where
        undefined: no predicted pixel for precision, no true pixel for recall).
    """
    p = _tensor(predictions, "predictions")
    b = _tensor(boundaries, "boundaries")
    check_same_shape(p, "predictions", b, "boundaries")
    check_range(p, "predictions", 0.0, 1.0)
    tolerance = _tolerance(tolerance)
    if not is_real(threshold) or not 0 <= threshold <= 1:
        raise InvalidArgumentError(f"threshold: expected a float in [0, 1], got {threshold!r}")
    pred = (p >= threshold).double()
    true = (b > 0.5).double()
    dims = [0] + list(range(2, p.ndim))
    tp_p = (pred * _dilate(true, tolerance)).sum(dims)
    tp_r = (true * _dilate(pred, tolerance)).sum(dims)
    n_pred, n_true = pred.sum(dims), true.sum(dims)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_pred > 0, (tp_p / n_pred.clamp_min(1)).numpy(), np.nan)
        recall = np.where(n_true > 0, (tp_r / n_true.clamp_min(1)).numpy(), np.nan)
        f1 = np.where((precision + recall) > 0, 2 * precision * recall / (precision + recall), 0.0)
        f1 = np.where(np.isnan(precision) & np.isnan(recall), np.nan, np.nan_to_num(f1))
    return {"precision": precision, "recall": recall, "f1": f1}


def boundary_peak_heights(
    predictions: object, labels: object, tolerance: int = 1, label_threshold: float = 0.8
) -> list[np.ndarray]:
    """For every label ridge pixel, the highest prediction within ``tolerance`` pixels.

    Args:
        predictions: ``(B, C, *)`` probabilities.
        labels: ``(B, C, *)`` boundary ridges in [0, 1] (height 1 on the boundary).
        tolerance: half-width of the square search window, pixels.
        label_threshold: a pixel is on the ridge when ``labels >= label_threshold``.

    Returns:
        One 1-D array of heights per channel.
    """
    p = _tensor(predictions, "predictions")
    y = _tensor(labels, "labels")
    check_same_shape(p, "predictions", y, "labels")
    check_range(p, "predictions", 0.0, 1.0)
    tolerance = _tolerance(tolerance)
    if not is_real(label_threshold) or not 0 < label_threshold <= 1:
        raise InvalidArgumentError(f"label_threshold: expected a float in (0, 1], got {label_threshold!r}")
    best = _dilate(p, tolerance)
    ridge = y >= label_threshold
    return [best[:, c][ridge[:, c]].numpy() for c in range(p.shape[1])]


def boundary_hausdorff(
    predictions: object, boundaries: object, threshold: float = 0.5, percentile: float = 100.0
) -> np.ndarray:
    """Symmetric Hausdorff distance (pixels) between predicted and true boundary pixels.

    For each sample and channel, the pixels ``>= threshold`` and the true
    boundary pixels are two point sets; the distance from each point to the
    nearest point of the other set is taken both ways and the ``percentile`` of
    all of them is returned (100: the Hausdorff distance, 95: the usual HD95).

    Args:
        predictions: ``(B, C, *)`` probabilities.
        boundaries: ``(B, C, *)`` true boundary pixels (bool or 0/1).
        threshold: a pixel is a predicted boundary pixel when ``>= threshold``.
        percentile: in ``(0, 100]``.

    Returns:
        A ``(B, C)`` array, Euclidean pixels; ``nan`` where either set is empty
        (nothing predicted, or no true boundary).
    """
    p = _tensor(predictions, "predictions")
    b = _tensor(boundaries, "boundaries")
    check_same_shape(p, "predictions", b, "boundaries")
    check_range(p, "predictions", 0.0, 1.0)
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
        raise InvalidArgumentError(f"threshold: expected a float in [0, 1], got {threshold!r}")
    if not isinstance(percentile, (int, float)) or isinstance(percentile, bool) or not 0 < percentile <= 100:
        raise InvalidArgumentError(f"percentile: expected a float in (0, 100], got {percentile!r}")
    grids = torch.meshgrid(*[torch.arange(s, dtype=torch.float64) for s in p.shape[2:]], indexing="ij")
    coords = torch.stack([g.reshape(-1) for g in grids], dim=-1)
    pred = (p >= threshold).flatten(2)
    true = (b > 0.5).flatten(2)
    out = np.full(p.shape[:2], np.nan)
    for i in range(p.shape[0]):
        for c in range(p.shape[1]):
            a, t = coords[pred[i, c]], coords[true[i, c]]
            if len(a) and len(t):
                d = torch.cdist(a, t)
                both = torch.cat([d.min(dim=1).values, d.min(dim=0).values]).numpy()
                out[i, c] = float(np.percentile(both, percentile))
    return out
