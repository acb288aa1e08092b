"""Thresholded peak picking scored against labels: precision, recall, F1, time residuals.

Predicted picks are the peaks of ``(B, C, L)`` probabilities at or above a threshold, at
least ``distance`` samples apart (:mod:`shapeloss.peaks`); they are matched one-to-one to
label peaks within a tolerance, closest first. :func:`threshold_sweep` repeats the count
over many thresholds, finding the candidate peaks once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._metric_inputs import _channel_names, _non_negative_int, _pair, _unit_interval
from ._validation import check_positive_int
from .errors import InvalidArgumentError
from .peaks import _greedy_match, _local_maxima, _peaks_2d, _select_by_distance

__all__ = ["pick_metrics", "threshold_sweep"]


def _pick_counts(
    cand: tuple[np.ndarray, np.ndarray, np.ndarray],
    lab: tuple[np.ndarray, np.ndarray],
    channels: int,
    threshold: float,
    tolerance: int,
    distance: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """tp, fp, fn per channel and the residuals of the matches, from precomputed local maxima."""
    row, pos, value = cand
    above = value >= threshold
    row, pos, value = row[above], pos[above], value[above]
    kept = _select_by_distance(row, pos, value, distance)
    row, pos = row[kept], pos[kept]
    lrow, lpos = lab
    pi, li = _greedy_match(row, pos, lrow, lpos, tolerance)
    n_pred = np.bincount(row % channels, minlength=channels)
    n_lab = np.bincount(lrow % channels, minlength=channels)
    tp = np.bincount(lrow[li] % channels, minlength=channels)
    residual = pos[pi] - lpos[li]
    residuals = [residual[lrow[li] % channels == c] for c in range(channels)]
    return tp, n_pred - tp, n_lab - tp, residuals


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    # 2 tp / (2 tp + fp + fn): equals 2PR / (P + R) where both are defined, and is 0
    # (not undefined) when there are labels but no picks.
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _picking_inputs(predictions, labels, tolerance, distance, label_threshold):
    p, y = _pair(predictions, labels)
    tolerance = _non_negative_int(tolerance, "tolerance")
    distance = check_positive_int(distance, "distance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    b, c, length = p.shape
    rows_p = p.reshape(b * c, length)
    row, pos = _local_maxima(rows_p, edges=True)
    cand = (row, pos, rows_p[row, pos])
    lrow, lpos, _ = _peaks_2d(y.reshape(b * c, length), label_threshold, 1, edges=True)
    return cand, (lrow, lpos), c, tolerance, distance


def pick_metrics(
    predictions: object,
    labels: object,
    threshold: float = 0.5,
    tolerance: int = 10,
    distance: int = 100,
    channel_names: Sequence[str] | None = None,
    label_threshold: float = 0.5,
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and time residuals of thresholded peak picks, per channel.

    Predicted picks are the peaks ``>= threshold`` at least ``distance`` samples
    apart; they are matched one-to-one to label peaks within ``tolerance``
    samples (closest first). Undefined ratios (precision without picks, recall
    without labels, F1 without either) are ``nan``; F1 is ``2 tp / (2 tp + fp + fn)``.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        threshold: pick threshold on the prediction.
        tolerance: largest accepted ``|pick - label|`` in samples.
        distance: minimum separation of two picks in samples.
        channel_names: one name per channel (default ``"0"``, ``"1"``, ...).
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        ``{channel_name: {"tp", "fp", "fn", "precision", "recall", "f1",
        "residual_mean", "residual_std", "residual_mae"}}``; residuals are
        pick minus label, in samples.
    """
    threshold = _unit_interval(threshold, "threshold")
    cand, lab, c, tolerance, distance = _picking_inputs(predictions, labels, tolerance, distance, label_threshold)
    names = _channel_names(channel_names, c)
    tp, fp, fn, residuals = _pick_counts(cand, lab, c, threshold, tolerance, distance)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _f1(tp, fp, fn)
    out = {}
    for i, name in enumerate(names):
        r = residuals[i].astype(np.float64)
        out[name] = {
            "tp": int(tp[i]),
            "fp": int(fp[i]),
            "fn": int(fn[i]),
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "residual_mean": float(r.mean()) if r.size else math.nan,
            "residual_std": float(r.std()) if r.size else math.nan,
            "residual_mae": float(np.abs(r).mean()) if r.size else math.nan,
        }
    return out


def threshold_sweep(
    predictions: object,
    labels: object,
    thresholds: Sequence[float] | np.ndarray = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)),
    tolerance: int = 10,
    distance: int = 100,
    channel_names: Sequence[str] | None = None,
    label_threshold: float = 0.5,
) -> dict[str, dict[str, np.ndarray]]:
    """Precision, recall and F1 of :func:`pick_metrics` over a range of pick thresholds.

    Returns:
        ``{channel_name: {"thresholds", "precision", "recall", "f1"}}`` with one
        array entry per threshold (``nan`` where undefined).
    """
    ths = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    if ths.size == 0:
        raise InvalidArgumentError("thresholds: expected at least one threshold, got an empty sequence")
    for i, t in enumerate(ths):
        _unit_interval(float(t), f"thresholds[{i}]")
    cand, lab, c, tolerance, distance = _picking_inputs(predictions, labels, tolerance, distance, label_threshold)
    names = _channel_names(channel_names, c)
    precision = np.empty((c, ths.size))
    recall = np.empty((c, ths.size))
    f1 = np.empty((c, ths.size))
    for j, t in enumerate(ths):
        tp, fp, fn, _ = _pick_counts(cand, lab, c, float(t), tolerance, distance)
        precision[:, j] = _ratio(tp, tp + fp)
        recall[:, j] = _ratio(tp, tp + fn)
        f1[:, j] = _f1(tp, fp, fn)
    return {
        name: {"thresholds": ths.copy(), "precision": precision[i], "recall": recall[i], "f1": f1[i]}
        for i, name in enumerate(names)
    }
