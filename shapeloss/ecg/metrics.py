"""ECG delineation metrics: per-boundary sensitivity, PPV, F1 and timing error.

The usual LUDB protocol (Kalyakulina et al., 2020; Moskalenko et al., 2020):
a predicted boundary counts as a true positive when it lies within 150 ms of
an annotated boundary of the same kind, each annotation matched at most once
(:func:`shapeloss.metrics.match_peaks`, closest pairs first). The unannotated
first and last beats must not produce false positives, and the annotated span
of a lead *starts* at its first onset and *ends* at its last offset (in LUDB,
one QRS onset in nine is the first annotated sample of its lead): so predictions
are matched wherever they are, and an unmatched prediction counts as a false
positive only inside the span. Dropping every prediction outside the span
instead would turn a QRS onset predicted one sample early into a miss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .._validation import is_real
from ..errors import InvalidArgumentError, ShapeMismatchError
from ..peaks import find_peaks, match_peaks
from .ludb import BOUNDARIES

__all__ = ["DelineationCounts", "match_boundaries", "delineation_metrics", "pick_boundaries"]


class DelineationCounts:
    """Accumulates matches of one boundary kind over many leads."""

    def __init__(self) -> None:
        self.tp = 0
        self.fp = 0
        self.fn = 0
        self.errors: list[int] = []

    def add(
        self, predicted: Sequence[int], annotated: Sequence[int], tolerance: int, span: tuple[int, int] | None = None
    ) -> None:
        """Match one lead; with ``span = (start, stop)``, unmatched predictions
        outside ``[start, stop)`` are ignored rather than counted as false positives."""
        pairs = match_peaks(np.asarray(predicted, dtype=np.int64), np.asarray(annotated, dtype=np.int64), tolerance)
        self.tp += len(pairs)
        matched = {p for p, _ in pairs}
        unmatched = [p for p in predicted if p not in matched]
        if span is not None:
            unmatched = [p for p in unmatched if span[0] <= p < span[1]]
        self.fp += len(unmatched)
        self.fn += len(annotated) - len(pairs)
        self.errors.extend(p - a for p, a in pairs)

    def summary(self, sampling_rate: float) -> dict[str, float]:
        """Sensitivity, PPV, F1 (``nan`` where undefined) and the timing error in ms (prediction minus annotation)."""
        se = self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan
        ppv = self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan
        denom = 2 * self.tp + self.fp + self.fn
        f1 = 2 * self.tp / denom if denom else math.nan
        err = np.asarray(self.errors, dtype=np.float64) * 1000.0 / sampling_rate
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "sensitivity": se,
            "ppv": ppv,
            "f1": f1,
            "error_mean_ms": float(err.mean()) if err.size else math.nan,
            "error_std_ms": float(err.std()) if err.size else math.nan,
        }


def _tolerance_samples(tolerance_ms: float, sampling_rate: float) -> int:
    if not is_real(tolerance_ms) or not tolerance_ms >= 0:
        raise InvalidArgumentError(f"tolerance_ms: expected a non-negative float, got {tolerance_ms!r}")
    if not is_real(sampling_rate) or not sampling_rate > 0:
        raise InvalidArgumentError(f"sampling_rate: expected a positive float (Hz), got {sampling_rate!r}")
    return int(math.floor(tolerance_ms * sampling_rate / 1000.0 + 1e-9))


def match_boundaries(
    predicted: Sequence[int],
    annotated: Sequence[int],
    sampling_rate: float = 500.0,
    tolerance_ms: float = 150.0,
    span: tuple[int, int] | None = None,
) -> dict[str, float]:
    """Match one lead's predicted boundaries of one kind to the annotated ones.

    Args:
        predicted: sample indices of predicted boundaries.
        annotated: sample indices of annotated boundaries.
        sampling_rate: Hz.
        tolerance_ms: the largest accepted ``|predicted - annotated|``.
        span: ``(start, stop)`` of the annotated span: unmatched predictions
            outside it are not false positives (``None``: all count).

    Returns:
        The :meth:`DelineationCounts.summary` of this one lead.

    Example:
        >>> m = match_boundaries([100, 400], [110, 900], sampling_rate=500.0)
        >>> m["tp"], m["fp"], m["fn"], m["error_mean_ms"]
        (1, 1, 1, -20.0)
    """
    counts = DelineationCounts()
    counts.add(list(predicted), list(annotated), _tolerance_samples(tolerance_ms, sampling_rate), span)
    return counts.summary(sampling_rate)


def pick_boundaries(
    probabilities: np.ndarray, mask: np.ndarray | None = None, threshold: float = 0.5, distance: int = 100
) -> list[np.ndarray]:
    """Boundary positions from one lead's ``(6, L)`` boundary probabilities.

    Peaks ``>= threshold`` at least ``distance`` samples apart
    (:func:`shapeloss.metrics.find_peaks`), kept only where ``mask`` is true.
    """
    p = np.asarray(probabilities)
    if p.ndim != 2:
        raise ShapeMismatchError(f"probabilities: expected a 2-D (channels, L) array, got shape {p.shape}")
    if mask is not None and np.shape(mask) != (p.shape[1],):
        raise ShapeMismatchError(f"mask: expected shape ({p.shape[1]},), got {np.shape(mask)}")
    out = []
    for row in p:
        pos = find_peaks(row, height=threshold, distance=distance)
        if mask is not None:
            pos = pos[np.asarray(mask, dtype=bool)[pos]]
        out.append(pos)
    return out


def delineation_metrics(
    predicted: Sequence[Sequence[np.ndarray]],
    annotated: Sequence[Sequence[np.ndarray]],
    sampling_rate: float = 500.0,
    tolerance_ms: float = 150.0,
    names: Sequence[str] = BOUNDARIES,
    spans: Sequence[tuple[int, int]] | None = None,
) -> dict[str, dict[str, float]]:
    """Per-boundary metrics pooled over leads.

    Args:
        predicted: one entry per lead, each a list of position arrays, one per boundary kind.
        annotated: the same layout for the annotations.
        sampling_rate: Hz.
        tolerance_ms: matching tolerance (150 ms in the LUDB literature).
        names: one name per boundary kind.
        spans: one ``(start, stop)`` annotated span per lead; unmatched
            predictions outside it are not false positives (``None``: all count).

    Returns:
        ``{name: summary}`` (see :meth:`DelineationCounts.summary`).
    """
    if len(predicted) != len(annotated):
        raise ShapeMismatchError(f"annotated: expected {len(predicted)} leads (as predicted), got {len(annotated)}")
    tol = _tolerance_samples(tolerance_ms, sampling_rate)
    if spans is not None and len(spans) != len(predicted):
        raise ShapeMismatchError(f"spans: expected {len(predicted)} spans (one per lead), got {len(spans)}")
    counts = [DelineationCounts() for _ in names]
    for i, (pred, ann) in enumerate(zip(predicted, annotated)):
        if len(pred) != len(names) or len(ann) != len(names):
            raise ShapeMismatchError(
                f"predicted[{i}]: expected {len(names)} boundary kinds, got {len(pred)} predicted and {len(ann)} annotated"
            )
        for c in range(len(names)):
            span = None if spans is None else (int(spans[i][0]), int(spans[i][1]))
            counts[c].add(list(np.asarray(pred[c]).tolist()), list(np.asarray(ann[c]).tolist()), tol, span)
    return {name: counts[c].summary(sampling_rate) for c, name in enumerate(names)}
