"""Thresholded peak picking scored against labels: precision, recall, F1, time residuals.

Predicted picks are the peaks of ``(B, C, L)`` probabilities at or above a threshold, at
least ``distance`` samples apart (:mod:`shapeloss.peaks`); they are matched one-to-one to
label peaks within a tolerance, closest first. :func:`threshold_sweep` repeats the count
over many thresholds, finding the candidate peaks once; :func:`threshold_counts` gives the
counts behind it (true picks, false picks, missed events per channel and threshold).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ._metric_inputs import _channel_names, _non_negative_int, _pair, _unit_interval
from ._validation import check_positive_int
from .errors import InvalidArgumentError, ShapeMismatchError
from .peaks import _greedy_match, _local_maxima, _peaks_2d, _select_by_distance

__all__ = ["pick_metrics", "threshold_sweep", "threshold_counts"]


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


def _sweep_thresholds(thresholds: object) -> np.ndarray:
    try:
        ths = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"thresholds: expected a sequence of floats in [0, 1], got {thresholds!r}") from None
    if ths.size == 0:
        raise InvalidArgumentError("thresholds: expected at least one threshold, got an empty sequence")
    for i, t in enumerate(ths):
        _unit_interval(float(t), f"thresholds[{i}]")
    return ths


def _counts_over(
    ths: np.ndarray, predictions: object, labels: object, tolerance: int, distance: int, label_threshold: float
) -> np.ndarray:
    """``(C, T, 3)`` tp, fp, fn per channel at each of the checked thresholds ``ths``."""
    cand, lab, c, tolerance, distance = _picking_inputs(predictions, labels, tolerance, distance, label_threshold)
    counts = np.zeros((c, ths.size, 3), dtype=np.int64)
    for j, t in enumerate(ths):
        tp, fp, fn, _ = _pick_counts(cand, lab, c, float(t), tolerance, distance)
        counts[:, j] = np.stack([tp, fp, fn], axis=1)
    return counts


def threshold_counts(
    predictions: object,
    labels: object,
    thresholds: Sequence[float] | np.ndarray = tuple(np.round(np.arange(0.05, 1.0, 0.05), 2)),
    tolerance: int = 10,
    distance: int = 100,
    label_threshold: float = 0.5,
) -> np.ndarray:
    """True picks, false picks and missed events of :func:`pick_metrics`, per channel and threshold.

    The counts behind :func:`threshold_sweep`, for measures of one's own (sums over
    windows, bootstrap resamples of them): the candidate peaks are found once, then, at
    each threshold, the peaks ``>= threshold`` at least ``distance`` samples apart are
    matched one-to-one to the label peaks within ``tolerance`` samples (closest first).
    Counts are summed over the batch; to keep windows apart, put them on the channel axis
    (``(1, W, L)``). Picks given as positions and scores go to
    :func:`shapeloss.operating_points.count_picks` instead.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        thresholds: ``(T,)`` pick thresholds in [0, 1], in any order (repeats allowed).
        tolerance: largest accepted ``|pick - label|`` in samples.
        distance: minimum separation of two picks in samples.
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        ``(C, T, 3)`` int64: ``[c, t]`` is ``(tp, fp, fn)`` of channel ``c`` at
        ``thresholds[t]``.

    Example:
        >>> y = np.zeros((1, 1, 50)); y[0, 0, 20] = 1.0
        >>> p = np.zeros((1, 1, 50)); p[0, 0, 22] = 0.6; p[0, 0, 40] = 0.3
        >>> threshold_counts(p, y, [0.2, 0.5, 0.9], tolerance=5, distance=10)[0].tolist()
        [[1, 1, 0], [1, 0, 0], [0, 0, 1]]
    """
    if np.ndim(thresholds) != 1:
        raise ShapeMismatchError(f"thresholds: expected a 1-D sequence, got shape {np.shape(thresholds)}")
    return _counts_over(_sweep_thresholds(thresholds), predictions, labels, tolerance, distance, label_threshold)


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
    ths = _sweep_thresholds(thresholds)
    counts = _counts_over(ths, predictions, labels, tolerance, distance, label_threshold)
    names = _channel_names(channel_names, counts.shape[0])
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    precision, recall, f1 = _ratio(tp, tp + fp), _ratio(tp, tp + fn), _f1(tp, fp, fn)
    return {
        name: {"thresholds": ths.copy(), "precision": precision[i], "recall": recall[i], "f1": f1[i]}
        for i, name in enumerate(names)
    }
