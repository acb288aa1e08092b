"""Peak finding and one-to-one peak matching, for any peak-shaped trace.

Peak finding follows ``scipy.signal.find_peaks`` (scipy is not a dependency):
a peak is a sample (the middle of a flat top) strictly higher than its
neighbours on both sides. :func:`find_peaks` never counts the first and last
sample (as scipy) unless ``edges=True``; :func:`label_peaks` and the metrics built
on these functions (:mod:`shapeloss.suppression`, :mod:`shapeloss.picking`) also
count an edge sample (or an edge plateau, at the edge) that is strictly higher than
its one neighbour: an event cut by the window's border must not vanish from the counts.

Matching (:func:`match_peaks`) is greedy and one-to-one, closest pairs first.
:func:`find_peaks_batch` and :func:`match_peaks_grouped` do the same for many traces at
once, vectorised (a trace is a row, or a group of positions). The
seismic picker (:mod:`shapeloss.seismic.annotate`), the ECG delineation metrics
(:mod:`shapeloss.ecg.metrics`) and the operating points use these functions.
"""

from __future__ import annotations

import math

import numpy as np

from ._metric_inputs import _as_float_tensor, _non_negative_int, _positions, _probabilities, _unit_interval
from ._validation import check_bool, check_finite, check_positive_int, check_tensor, is_real
from .errors import InvalidArgumentError, ShapeMismatchError

__all__ = ["find_peaks", "find_peaks_batch", "match_peaks", "match_peaks_grouped", "label_peaks"]


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
    t = _traces(trace, "trace", ndim=1)
    height = _height(height)
    distance = check_positive_int(distance, "distance")
    _, pos, _ = _peaks_2d(t[None, :], height, distance, bool(edges))
    return pos


def _traces(x: object, name: str, ndim: int) -> np.ndarray:
    t = check_tensor(_as_float_tensor(x, name), name, ndim=ndim, allow_empty=True)
    check_finite(t, name)
    return t.numpy()


def _height(height: object) -> float:
    if not is_real(height):
        raise TypeError(f"height: expected a float, got {type(height).__name__} {height!r}")
    if math.isnan(float(height)):
        raise InvalidArgumentError(f"height: expected a number, got {height!r}")
    return float(height)


def find_peaks_batch(
    traces: object, height: float = 0.0, distance: int = 1, edges: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The peaks of every row of ``(N, L)`` traces: :func:`find_peaks` on each row, vectorised.

    Args:
        traces: 2-D array or tensor ``(N, L)``, one trace per row (e.g. a channel of a
            ``(B, C, L)`` prediction: ``probs[:, c]``); converted to float64.
        height: keep peaks whose value is ``>= height``.
        distance: keep peaks at least ``distance`` samples apart within a row; when two
            are closer, the higher one wins (the earlier one on a tie).
        edges: also count a row's first (last) sample when it is strictly higher than the
            samples after (before) it.

    Returns:
        ``(row, position, value)``: three ``(P,)`` arrays (int64, int64, float64), one entry
        per peak, sorted by row then position; ``position[row == i]`` is
        ``find_peaks(traces[i], height, distance, edges)``.

    Example:
        >>> row, pos, val = find_peaks_batch(np.array([[0, 1, 0, 0.5, 0], [0, 0, 0.8, 0, 0]]), height=0.6)
        >>> row.tolist(), pos.tolist(), val.tolist()
        ([0, 1], [1, 2], [1.0, 0.8])
    """
    rows = _traces(traces, "traces", ndim=2)
    height = _height(height)
    distance = check_positive_int(distance, "distance")
    return _peaks_2d(rows, height, distance, check_bool(edges, "edges"))


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


_INDEX_LIMIT = 2**31  # groups and positions share one int64 sort key (group * 2**32 + position)


def _indices(x: object, name: str, size: int | None = None, size_of: str = "") -> np.ndarray:
    arr = _positions(x, name)
    if size is not None and arr.size != size:
        raise ShapeMismatchError(f"{name}: expected {size} entries (one per entry of {size_of}), got {arr.size}")
    if arr.size and (arr.min() < 0 or arr.max() >= _INDEX_LIMIT):
        raise InvalidArgumentError(
            f"{name}: expected integers in [0, 2**31), got values from {int(arr.min())} to {int(arr.max())}"
        )
    return arr


def match_peaks_grouped(
    predicted_groups: object,
    predicted: object,
    labeled_groups: object,
    labeled: object,
    tolerance: int,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`match_peaks` for many traces at once: greedy one-to-one matching inside groups.

    A predicted and a labelled peak can match only when they are in the same group (a
    trace: a row of :func:`find_peaks_batch`, a record, a lead) and at most ``tolerance``
    samples apart; the closest pairs are matched first (ties: the earlier label, then the
    earlier prediction), and each peak is used at most once.

    Args:
        predicted_groups: ``(P,)`` integer group of each predicted peak.
        predicted: ``(P,)`` integer positions of the predicted peaks.
        labeled_groups: ``(Q,)`` integer group of each labelled peak.
        labeled: ``(Q,)`` integer positions of the labelled peaks.
        tolerance: the largest accepted ``|predicted - labeled|``, in samples.

    Groups and positions are sample indices in ``[0, 2**31)``.

    Returns:
        ``(predicted_index, labeled_index)``: two ``(M,)`` int64 arrays, one entry per
        matched pair, indexing ``predicted`` and ``labeled``.

    Example:
        >>> pi, li = match_peaks_grouped([0, 0, 1], [10, 52, 50], [0, 1], [50, 50], tolerance=5)
        >>> sorted(zip(pi.tolist(), li.tolist()))
        [(1, 0), (2, 1)]
    """
    pred = _indices(predicted, "predicted")
    group_p = _indices(predicted_groups, "predicted_groups", pred.size, "predicted")
    lab = _indices(labeled, "labeled")
    group_l = _indices(labeled_groups, "labeled_groups", lab.size, "labeled")
    tolerance = check_positive_int(tolerance, "tolerance", minimum=0)
    if tolerance >= _INDEX_LIMIT:
        raise InvalidArgumentError(f"tolerance: expected an int in [0, 2**31), got {tolerance}")
    return _greedy_match(group_p, pred, group_l, lab, tolerance)


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
