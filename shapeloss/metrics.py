"""Peak metrics that measure amplitude suppression, for any peak-shaped label.

Every function takes predictions and labels of shape ``(B, C, L)``, as numpy
arrays or torch tensors: ``predictions`` are probabilities in [0, 1] (apply the
sigmoid or softmax first), ``labels`` are peak-shaped targets in [0, 1] (a
Gaussian, triangle or box around each event). Channels are evaluated
separately; what a channel means (a seismic phase, an ECG boundary) is up to
the caller, who can name them with ``channel_names``.

Two families of numbers:

* **suppression** (:func:`effective_detections`, :func:`suppression_report`):
  for each labelled peak, how high is the best predicted peak near it? A model
  that "sees" an event but stops at 0.5 is suppressed, not blind; the share of
  label peaks whose best nearby peak sits in a band below the threshold
  (``band_share``) is the signature of the problem shapeloss fixes.
* **picking** (:func:`pick_metrics`, :func:`threshold_sweep`): predicted peaks
  above a threshold matched one-to-one to label peaks within a tolerance,
  giving precision, recall, F1 and the time residuals of the matches.

:func:`bootstrap_ratio` compares two models' counts with a confidence interval.

Peak finding follows ``scipy.signal.find_peaks`` (scipy is not a dependency):
a peak is a sample (the middle of a flat top) strictly higher than its
neighbours on both sides. :func:`find_peaks` never counts the first and last
sample (as scipy); the matching (:func:`label_peaks`, :func:`best_peak_near_labels`,
:func:`effective_detections`, the suppression report, :func:`pick_metrics`,
:func:`threshold_sweep`) also counts an edge sample (or an edge plateau, at the
edge) that is strictly higher than its one neighbour: an event cut by the
window's border must not vanish from the counts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ._validation import (
    check_finite,
    check_positive_int,
    check_range,
    check_same_shape,
    check_tensor,
    is_integer,
    is_real,
)
from .errors import InvalidArgumentError, ShapeMismatchError

__all__ = [
    "find_peaks",
    "match_peaks",
    "label_peaks",
    "NearbyPeaks",
    "best_peak_near_labels",
    "effective_detections",
    "SuppressionReport",
    "suppression_report",
    "pick_metrics",
    "threshold_sweep",
    "bootstrap_ratio",
]

HISTOGRAM_BINS = np.linspace(0.0, 1.0, 21)
"""Edges of the peak-height histogram of :class:`SuppressionReport` (0.05 wide)."""


# --------------------------------------------------------------------------- input checks


def _as_float_tensor(x: object, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
        return torch.from_numpy(np.asarray(x, dtype=np.float64))
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name}: expected a real tensor, got dtype {x.dtype}")
        return x.detach().to("cpu", torch.float64)
    raise TypeError(f"{name}: expected a numpy array or torch.Tensor, got {type(x).__name__}")


def _probabilities(x: object, name: str) -> np.ndarray:
    """Check a ``(B, C, L)`` array of values in [0, 1] and return it as float64 numpy."""
    t = check_tensor(_as_float_tensor(x, name), name, ndim=3)
    check_finite(t, name)
    check_range(t, name, 0.0, 1.0)
    return t.numpy()


def _pair(predictions: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    p = _probabilities(predictions, "predictions")
    y = _probabilities(labels, "labels")
    check_same_shape(torch.from_numpy(p), "predictions", torch.from_numpy(y), "labels")
    return p, y


def _unit_interval(value: object, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{name}: expected a float in [0, 1], got {type(value).__name__} {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise InvalidArgumentError(f"{name}: expected a float in [0, 1], got {value!r}")
    return value


def _non_negative_int(value: object, name: str) -> int:
    return check_positive_int(value, name, minimum=0)


def _channel_names(names: Sequence[str] | None, channels: int) -> list[str]:
    if names is None:
        return [str(c) for c in range(channels)]
    names = [str(n) for n in names]
    if len(names) != channels:
        raise InvalidArgumentError(f"channel_names: expected {channels} names (one per channel), got {len(names)}")
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"channel_names: expected distinct names, got {names}")
    return names


def _positions(x: object, name: str) -> np.ndarray:
    arr = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name}: expected a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name}: expected integer sample indices, got dtype {arr.dtype}")
    return arr.astype(np.int64)


# --------------------------------------------------------------------------- peak finding


def _local_maxima(rows: np.ndarray, edges: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All local maxima of the rows of a 2-D array, as (row, position) index arrays.

    A flat top counts once, at its middle (rounded down), as in scipy; edges count
    only with ``edges=True``: a first (last) run strictly higher than the run after
    (before) it is a maximum at the first (last) sample. Results are sorted by
    (row, position). Vectorised over rows: runs of equal values are found on the
    flattened array with a new run forced at every row start.
    """
    n_rows, length = rows.shape
    if length < (2 if edges else 3):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    flat = rows.reshape(-1)
    new_run = np.ones(flat.size, dtype=bool)
    new_run[1:] = flat[1:] != flat[:-1]
    new_run[::length] = True
    starts = np.flatnonzero(new_run)
    ends = np.append(starts[1:], flat.size) - 1
    values = flat[starts]
    run_row = starts // length
    same_row_left = np.zeros(starts.size, dtype=bool)
    same_row_left[1:] = run_row[1:] == run_row[:-1]
    same_row_right = np.zeros(starts.size, dtype=bool)
    same_row_right[:-1] = same_row_left[1:]
    higher_left = np.zeros(starts.size, dtype=bool)
    higher_left[1:] = values[1:] > values[:-1]
    higher_right = np.zeros(starts.size, dtype=bool)
    higher_right[:-1] = values[:-1] > values[1:]
    is_peak = same_row_left & same_row_right & higher_left & higher_right
    middle = (starts[is_peak] + ends[is_peak]) // 2
    if edges:
        left_edge = ~same_row_left & same_row_right & higher_right
        right_edge = ~same_row_right & same_row_left & higher_left
        middle = np.sort(np.concatenate([middle, starts[left_edge], ends[right_edge]]))
    return middle // length, middle % length


def _select_by_distance(
    row: np.ndarray, pos: np.ndarray, height: np.ndarray, distance: int
) -> np.ndarray:
    """Boolean mask of the peaks kept when peaks closer than ``distance`` compete.

    Greedy as in scipy: highest first (lower position on ties), each kept peak
    removes the lower ones less than ``distance`` samples away. Peaks are only
    compared inside clusters (chains of gaps < distance), so isolated peaks
    cost no Python loop.
    """
    keep = np.ones(pos.size, dtype=bool)
    if distance <= 1 or pos.size < 2:
        return keep
    order = np.lexsort((pos, row))
    r, p = row[order], pos[order]
    joined = (r[1:] == r[:-1]) & (p[1:] - p[:-1] < distance)
    if not joined.any():
        return keep
    cluster = np.concatenate(([0], np.cumsum(~joined)))
    sorted_keep = np.ones(pos.size, dtype=bool)
    h = height[order]
    sizes = np.bincount(cluster)
    first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for start, size in zip(first[sizes > 1], sizes[sizes > 1]):
        cp, ch = p[start : start + size], h[start : start + size]
        alive = np.ones(size, dtype=bool)
        # cp is sorted inside a cluster: the peaks within distance of peak i form
        # one contiguous slice, found by bisection (long clusters stay linear-ish)
        low = np.searchsorted(cp, cp - distance, side="right")
        high = np.searchsorted(cp, cp + distance, side="left")
        for i in np.lexsort((cp, -ch)):
            if alive[i]:
                alive[low[i] : high[i]] = False
                alive[i] = True
        sorted_keep[start : start + size] = alive
    keep[order] = sorted_keep
    return keep


def _peaks_2d(
    rows: np.ndarray, height: float, distance: int, edges: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, position, value) of the peaks of each row, filtered by height and distance, sorted."""
    row, pos = _local_maxima(rows, edges)
    value = rows[row, pos]
    above = value >= height
    row, pos, value = row[above], pos[above], value[above]
    kept = _select_by_distance(row, pos, value, distance)
    row, pos, value = row[kept], pos[kept], value[kept]
    order = np.lexsort((pos, row))
    return row[order], pos[order], value[order]


def find_peaks(trace: object, height: float = 0.0, distance: int = 1, edges: bool = False) -> np.ndarray:
    """Local maxima of a 1-D trace, as sample indices in increasing order.

    Args:
        trace: 1-D array or tensor ``(L,)``, e.g. one channel of a prediction.
        height: keep peaks whose value is ``>= height``.
        distance: keep peaks at least ``distance`` samples apart; when two are
            closer, the higher one wins (the earlier one on a tie).
        edges: also count the first (last) sample when it is strictly higher than
            the samples after (before) it, as the matching functions do.

    Returns:
        ``np.ndarray`` of int64 positions. A flat top counts once, at its
        middle; the first and last samples are never peaks (as in scipy) unless
        ``edges=True``.

    Example:
        >>> find_peaks(np.array([0, 1, 0, 0.5, 0, 0.8, 0]), height=0.6, distance=1).tolist()
        [1, 5]
    """
    t = check_tensor(_as_float_tensor(trace, "trace"), "trace", ndim=1, allow_empty=True)
    check_finite(t, "trace")
    if not is_real(height):
        raise TypeError(f"height: expected a float, got {type(height).__name__} {height!r}")
    if math.isnan(float(height)):
        raise InvalidArgumentError(f"height: expected a number, got {height!r}")
    distance = check_positive_int(distance, "distance")
    _, pos, _ = _peaks_2d(t.numpy()[None, :], float(height), distance, bool(edges))
    return pos


def _greedy_match(
    group_p: np.ndarray, pred: np.ndarray, group_l: np.ndarray, lab: np.ndarray, tolerance: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into pred, into lab) of a greedy one-to-one matching inside groups.

    Candidate pairs are same-group pairs with ``|p - l| <= tolerance``; the
    closest pairs are accepted first (ties: earlier label, then earlier
    prediction), skipping any pair whose prediction or label is already used.
    """
    empty = np.zeros(0, dtype=np.int64)
    if pred.size == 0 or lab.size == 0:
        return empty, empty
    # Sort predictions by (group, position) so each label's candidates are a contiguous range.
    order = np.lexsort((pred, group_p))
    key = group_p[order].astype(np.int64) * (1 << 32) + pred[order]
    lo = np.searchsorted(key, group_l.astype(np.int64) * (1 << 32) + lab - tolerance, side="left")
    hi = np.searchsorted(key, group_l.astype(np.int64) * (1 << 32) + lab + tolerance, side="right")
    counts = hi - lo
    if counts.sum() == 0:
        return empty, empty
    li = np.repeat(np.arange(lab.size), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    pi = order[np.repeat(lo, counts) + offsets]
    gap = np.abs(pred[pi] - lab[li])
    ranked = np.lexsort((pred[pi], lab[li], group_l[li], gap))
    pi, li = pi[ranked], li[ranked]
    # Pairs whose prediction and label appear in no other pair need no arbitration.
    lone = (np.bincount(pi, minlength=pred.size)[pi] == 1) & (np.bincount(li, minlength=lab.size)[li] == 1)
    out_p, out_l = list(pi[lone]), list(li[lone])
    used_p, used_l = set(), set()
    for a, b in zip(pi[~lone].tolist(), li[~lone].tolist()):
        if a not in used_p and b not in used_l:
            used_p.add(a)
            used_l.add(b)
            out_p.append(a)
            out_l.append(b)
    return np.asarray(out_p, dtype=np.int64), np.asarray(out_l, dtype=np.int64)


def match_peaks(predicted: object, labeled: object, tolerance: int) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of predicted and labelled peak positions.

    Closest pairs are matched first; a pair farther apart than ``tolerance``
    samples is never matched; each position is used at most once.

    Args:
        predicted: 1-D integer array of predicted peak positions.
        labeled: 1-D integer array of labelled peak positions.
        tolerance: the largest accepted ``|predicted - labeled|``, in samples.

    Returns:
        ``[(predicted_position, labeled_position), ...]`` sorted by labelled position.

    Example:
        >>> match_peaks([10, 52, 300], [50, 100], tolerance=5)
        [(52, 50)]
    """
    pred = _positions(predicted, "predicted")
    lab = _positions(labeled, "labeled")
    tolerance = _non_negative_int(tolerance, "tolerance")
    pi, li = _greedy_match(np.zeros_like(pred), pred, np.zeros_like(lab), lab, tolerance)
    pairs = sorted(zip(lab[li].tolist(), pred[pi].tolist()))
    return [(p, l) for l, p in pairs]


def label_peaks(labels: object, label_threshold: float = 0.5, distance: int = 1) -> list[list[np.ndarray]]:
    """Positions of the label peaks of every ``(batch, channel)`` trace.

    Args:
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.
        distance: minimum separation of two events, in samples (1 keeps every maximum).

    Returns:
        ``peaks[b][c]``: int64 array of positions, increasing.
    """
    y = _probabilities(labels, "labels")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    distance = check_positive_int(distance, "distance")
    b, c, length = y.shape
    row, pos, _ = _peaks_2d(y.reshape(b * c, length), label_threshold, distance, edges=True)
    split = np.split(pos, np.searchsorted(row, np.arange(1, b * c)))
    return [split[i * c : (i + 1) * c] for i in range(b)]


# --------------------------------------------------------------------------- suppression


@dataclass(frozen=True)
class NearbyPeaks:
    """The best predicted peak near each label peak (one entry per label peak).

    Attributes:
        batch, channel, position: where the label peak is (int64 arrays).
        height: the highest predicted local maximum within the tolerance, or
            the highest predicted value in the window when it holds no local maximum.
        offset: signed position of that value minus the label position, in samples
            (positive: the prediction is late).
        is_local_max: whether ``height`` came from a local maximum.
    """

    batch: np.ndarray
    channel: np.ndarray
    position: np.ndarray
    height: np.ndarray
    offset: np.ndarray
    is_local_max: np.ndarray

    def __len__(self) -> int:
        return int(self.position.size)


def _nearby(p: np.ndarray, y: np.ndarray, tolerance: int, label_threshold: float, distance: int) -> NearbyPeaks:
    b, c, length = p.shape
    rows_p = p.reshape(b * c, length)
    row, pos, _ = _peaks_2d(y.reshape(b * c, length), label_threshold, distance, edges=True)
    # Window offsets ordered 0, -1, +1, -2, +2, ... so that argmax breaks ties towards the label.
    steps = np.arange(1, tolerance + 1)
    offsets = np.concatenate(([0], np.stack([-steps, steps], axis=1).reshape(-1)))
    idx = pos[:, None] + offsets[None, :]
    valid = (idx >= 0) & (idx < length)
    idx_c = np.clip(idx, 0, length - 1)
    values = rows_p[row[:, None], idx_c]
    peak_mask = np.zeros(rows_p.shape, dtype=bool)
    mr, mp = _local_maxima(rows_p, edges=True)
    peak_mask[mr, mp] = True
    is_peak = peak_mask[row[:, None], idx_c] & valid
    has_peak = is_peak.any(axis=1)
    use = np.where(has_peak[:, None], is_peak, valid)
    best = np.argmax(np.where(use, values, -np.inf), axis=1)
    take = np.arange(pos.size)
    return NearbyPeaks(
        batch=row // c,
        channel=row % c,
        position=pos,
        height=values[take, best],
        offset=offsets[best],
        is_local_max=has_peak,
    )


def best_peak_near_labels(
    predictions: object,
    labels: object,
    tolerance: int = 10,
    label_threshold: float = 0.5,
    label_distance: int = 1,
) -> NearbyPeaks:
    """For each label peak, the highest predicted peak within ``tolerance`` samples.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        tolerance: half-width of the search window around each label peak, in samples.
        label_threshold, label_distance: how label peaks are found (see :func:`label_peaks`).

    Returns:
        :class:`NearbyPeaks`, ordered by (batch, channel, position). Among equal
        heights the one closest to the label wins.
    """
    p, y = _pair(predictions, labels)
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    label_distance = check_positive_int(label_distance, "label_distance")
    return _nearby(p, y, tolerance, label_threshold, label_distance)


def effective_detections(
    predictions: object,
    labels: object,
    threshold: float = 0.7,
    tolerance: int = 10,
    label_threshold: float = 0.5,
) -> np.ndarray:
    """Number of label peaks per channel whose best nearby predicted peak reaches ``threshold``.

    The reference study counts a detection as effective when the predicted peak
    is ``>= 0.7`` within 10 samples of the label peak: the model fires clearly,
    not just "sees" the event at 0.4.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        threshold: the height a nearby predicted peak must reach.
        tolerance: search half-width in samples.
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        ``np.ndarray`` of shape ``(C,)``, int64 counts.
    """
    p, y = _pair(predictions, labels)
    threshold = _unit_interval(threshold, "threshold")
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    near = _nearby(p, y, tolerance, label_threshold, 1)
    hit = near.height >= threshold
    return np.bincount(near.channel[hit], minlength=p.shape[1]).astype(np.int64)


def _json_float(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class SuppressionReport:
    """Per-channel summary of how high the predictions rise at the label peaks.

    Array attributes have one entry per channel. Shares are ``nan`` for a
    channel without label peaks (they are undefined there).

    Attributes:
        channel_names: one name per channel.
        threshold, band, tolerance: the settings used.
        n_labels: label peaks per channel.
        effective: label peaks whose best nearby peak is ``>= threshold``.
        effective_share: ``effective / n_labels``.
        band_share: share of label peaks whose best nearby peak lies in
            ``[band[0], band[1])``: seen but suppressed.
        band_offset_mean: mean signed offset (samples, prediction minus label)
            of the peaks in the band; ``nan`` when none.
        heights, offsets: per channel, the best nearby height and offset of each label peak.
        histogram_edges: bin edges over [0, 1]; histogram: ``(C, bins)`` counts of ``heights``.
    """

    channel_names: list[str]
    threshold: float
    band: tuple[float, float]
    tolerance: int
    n_labels: np.ndarray
    effective: np.ndarray
    effective_share: np.ndarray
    band_share: np.ndarray
    band_offset_mean: np.ndarray
    heights: list[np.ndarray] = field(repr=False)
    offsets: list[np.ndarray] = field(repr=False)
    histogram_edges: np.ndarray = field(repr=False)
    histogram: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (``nan`` becomes ``None``), keyed by channel name under ``channels``."""
        channels = {}
        for c, name in enumerate(self.channel_names):
            channels[name] = {
                "n_labels": int(self.n_labels[c]),
                "effective": int(self.effective[c]),
                "effective_share": _json_float(self.effective_share[c]),
                "band_share": _json_float(self.band_share[c]),
                "band_offset_mean": _json_float(self.band_offset_mean[c]),
                "histogram": self.histogram[c].astype(int).tolist(),
                "heights": [float(h) for h in self.heights[c]],
                "offsets": [int(o) for o in self.offsets[c]],
            }
        return {
            "threshold": self.threshold,
            "band": list(self.band),
            "tolerance": self.tolerance,
            "histogram_edges": self.histogram_edges.tolist(),
            "channels": channels,
        }

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the best nearby peak heights, per channel, with the band and threshold marked.

        Args:
            ax: a matplotlib Axes; a new figure is made when ``None``.

        Returns:
            The Axes drawn on.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        edges = self.histogram_edges
        width = (edges[1] - edges[0]) / max(len(self.channel_names), 1)
        for c, name in enumerate(self.channel_names):
            share = "n/a" if not math.isfinite(self.band_share[c]) else f"{self.band_share[c]:.2f}"
            ax.bar(
                edges[:-1] + (c + 0.5) * width,
                self.histogram[c],
                width=width,
                label=f"{name} (n={int(self.n_labels[c])}, band share {share})",
            )
        ax.axvspan(self.band[0], self.band[1], color="0.85", zorder=0, label="suppression band")
        ax.axvline(self.threshold, color="k", linestyle="--", linewidth=1, label=f"threshold {self.threshold:g}")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xticks(edges[::2])
        ax.set_xlabel(f"best predicted peak within {self.tolerance} samples of a label peak")
        ax.set_ylabel("label peaks")
        ax.legend(fontsize="small")
        return ax


def suppression_report(
    predictions: object,
    labels: object,
    threshold: float = 0.7,
    band: tuple[float, float] = (0.3, 0.7),
    tolerance: int = 10,
    channel_names: Sequence[str] | None = None,
    label_threshold: float = 0.5,
) -> SuppressionReport:
    """Summarise amplitude suppression: effective detections and the share of peaks stuck in a band.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        threshold: height that makes a detection effective (0.7 in the reference study).
        band: ``(low, high)``; a best nearby peak in ``[low, high)`` is "seen but suppressed".
        tolerance: search half-width around each label peak, in samples.
        channel_names: one name per channel (default ``"0"``, ``"1"``, ...).
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        :class:`SuppressionReport`.

    Example:
        >>> y = np.exp(-0.5 * ((np.arange(200) - 100) / 20.0) ** 2)[None, None]
        >>> suppression_report(0.5 * y, y).band_share.tolist()
        [1.0]
    """
    p, y = _pair(predictions, labels)
    threshold = _unit_interval(threshold, "threshold")
    if isinstance(band, np.ndarray) and band.shape == (2,):
        band = tuple(band.tolist())
    if not isinstance(band, (tuple, list)) or len(band) != 2:
        raise InvalidArgumentError(f"band: expected a pair (low, high), got {band!r}")
    low = _unit_interval(band[0], "band[0]")
    high = _unit_interval(band[1], "band[1]")
    if not low < high:
        raise InvalidArgumentError(f"band: expected low < high, got {band!r}")
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    channels = p.shape[1]
    names = _channel_names(channel_names, channels)
    near = _nearby(p, y, tolerance, label_threshold, 1)

    n_labels = np.bincount(near.channel, minlength=channels)
    effective = np.bincount(near.channel[near.height >= threshold], minlength=channels)
    in_band = (near.height >= low) & (near.height < high)
    band_count = np.bincount(near.channel[in_band], minlength=channels)
    offset_sum = np.bincount(near.channel[in_band], weights=near.offset[in_band], minlength=channels)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective_share = np.where(n_labels > 0, effective / n_labels, np.nan)
        band_share = np.where(n_labels > 0, band_count / n_labels, np.nan)
        band_offset_mean = np.where(band_count > 0, offset_sum / band_count, np.nan)
    heights = [near.height[near.channel == c] for c in range(channels)]
    offsets = [near.offset[near.channel == c] for c in range(channels)]
    histogram = np.stack([np.histogram(h, bins=HISTOGRAM_BINS)[0] for h in heights])
    return SuppressionReport(
        channel_names=names,
        threshold=threshold,
        band=(low, high),
        tolerance=tolerance,
        n_labels=n_labels.astype(np.int64),
        effective=effective.astype(np.int64),
        effective_share=effective_share,
        band_share=band_share,
        band_offset_mean=band_offset_mean,
        heights=heights,
        offsets=offsets,
        histogram_edges=HISTOGRAM_BINS.copy(),
        histogram=histogram,
    )


# --------------------------------------------------------------------------- picking


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


# --------------------------------------------------------------------------- comparison


def bootstrap_ratio(
    numerator_hits: object,
    denominator_hits: object,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Ratio of two sums with a 95 % percentile bootstrap interval.

    Typical use: per-window effective detections of a new model (numerator) and
    of a baseline (denominator) on the same windows. Units (windows, events,
    stations) are resampled jointly, so the pairing between the two counts is kept.

    Args:
        numerator_hits: 1-D non-negative counts, one per unit.
        denominator_hits: 1-D non-negative counts, same length.
        n_boot: number of bootstrap resamples.
        seed: seed of the resampling generator (results are reproducible).

    Returns:
        ``(ratio, low, high)``. The ratio is ``inf`` when the denominator sums
        to 0 with a positive numerator, and ``nan`` when both sum to 0;
        resamples behave the same way, and resamples giving ``nan`` are left
        out of the interval. The interval uses the inverted-CDF percentile, so
        ``inf`` resamples give an ``inf`` bound rather than ``nan``.

    Example:
        >>> bootstrap_ratio([2, 3, 1], [1, 1, 1])[0]
        2.0
    """
    num = _counts(numerator_hits, "numerator_hits")
    den = _counts(denominator_hits, "denominator_hits")
    if num.shape != den.shape:
        raise ShapeMismatchError(f"denominator_hits: expected the shape of numerator_hits {num.shape}, got {den.shape}")
    n_boot = check_positive_int(n_boot, "n_boot")
    if not is_integer(seed):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__} {seed!r}")
    rng = np.random.default_rng(int(seed))
    idx = rng.integers(0, num.size, size=(n_boot, num.size))
    ratios = _safe_ratio(num[idx].sum(axis=1), den[idx].sum(axis=1))
    finite_or_inf = ratios[~np.isnan(ratios)]
    ratio = float(_safe_ratio(np.array([num.sum()]), np.array([den.sum()]))[0])
    if finite_or_inf.size == 0:
        return ratio, math.nan, math.nan
    low, high = np.quantile(finite_or_inf, [0.025, 0.975], method="inverted_cdf")
    return ratio, float(low), float(high)


def _counts(x: object, name: str) -> np.ndarray:
    t = _as_float_tensor(x if isinstance(x, (np.ndarray, torch.Tensor)) else np.asarray(x), name)
    t = check_tensor(t, name, ndim=1)
    check_finite(t, name)
    if float(t.min()) < 0:
        raise InvalidArgumentError(f"{name}: expected non-negative counts, got minimum {float(t.min()):.6g}")
    return t.numpy()


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.where(num > 0, np.inf, np.nan))
