"""Pick counts over a grid of thresholds and the measures read from them (no resampling).

:func:`count_picks` matches picks to labelled events at every threshold, per group;
:func:`pr_curve`, :func:`operating_points` and :func:`threshold_transfer` read the totals.
The bootstrap intervals of these measures are in :mod:`shapeloss.operating_intervals`;
:mod:`shapeloss.operating_points` gathers both (see it for what each measure means).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._metric_inputs import _positions
from ._validation import check_positive_int
from .errors import InvalidArgumentError, ShapeMismatchError
from .peaks import _greedy_match

__all__ = [
    "PickCounts",
    "count_picks",
    "pr_curve",
    "operating_points",
    "threshold_transfer",
    "concat_counts",
    "DEFAULT_THRESHOLDS",
]

#: Thresholds 0.05, 0.06, ..., 0.95.
DEFAULT_THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)


@dataclass(frozen=True)
class PickCounts:
    """True / false picks and missed events per group and threshold.

    Attributes:
        thresholds: ``(T,)`` increasing thresholds.
        tp, fp, fn: ``(G, T)`` int64 matched picks, unmatched picks, unmatched labels.
        noise_fp: ``(G, T)`` unmatched picks inside the group's noise-only intervals.
        noise_samples: ``(G,)`` samples of noise-only time per group (0 when none given).
        tolerance: the matching tolerance, in samples.
    """

    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    noise_fp: np.ndarray
    noise_samples: np.ndarray
    tolerance: int

    @property
    def n_groups(self) -> int:
        return int(self.tp.shape[0])

    @property
    def n_labels(self) -> np.ndarray:
        """``(G,)`` labelled events per group."""
        return self.tp[:, 0] + self.fn[:, 0]

    def take(self, groups: np.ndarray) -> PickCounts:
        """The counts of the given groups (repeats allowed: a bootstrap resample)."""
        g = np.asarray(groups, dtype=np.int64)
        return PickCounts(self.thresholds, self.tp[g], self.fp[g], self.fn[g], self.noise_fp[g],
                          self.noise_samples[g], self.tolerance)


# --------------------------------------------------------------------------- checks


def _thresholds(values: object) -> np.ndarray:
    t = np.asarray(values, dtype=np.float64).reshape(-1) if not isinstance(values, str) else np.zeros(0)
    if t.size == 0:
        raise InvalidArgumentError(f"thresholds: expected a non-empty increasing sequence of numbers, got {values!r}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise InvalidArgumentError(f"thresholds: expected finite, strictly increasing values, got {t.tolist()}")
    return t


def _groups(values: object, name: str, n: int | None) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name}: expected a sequence with one entry per group, got {type(values).__name__}")
    if n is not None and len(values) != n:
        raise ShapeMismatchError(f"{name}: expected {n} groups (one per group of pick_positions), got {len(values)}")
    return list(values)


def _scores(x: object, name: str, size: int) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).reshape(-1) if np.ndim(x) <= 1 else None
    if arr is None:
        raise ShapeMismatchError(f"{name}: expected a 1-D array of scores, got shape {np.shape(x)}")
    if arr.size != size:
        raise ShapeMismatchError(f"{name}: expected {size} scores (one per pick), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise InvalidArgumentError(f"{name}: expected finite scores, got {int((~np.isfinite(arr)).sum())} NaN/Inf")
    return arr


def _intervals(x: object, name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ShapeMismatchError(f"{name}: expected (k, 2) [start, stop) intervals, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr[:, 1] < arr[:, 0]):
        raise InvalidArgumentError(f"{name}: expected finite intervals with start <= stop, got {arr.tolist()[:5]}")
    return arr


def _unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not 0 <= float(value) <= 1:
        raise InvalidArgumentError(f"{name}: expected a float in [0, 1], got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- counting


def count_picks(
    pick_positions: Sequence[object],
    pick_scores: Sequence[object],
    label_positions: Sequence[object],
    thresholds: Sequence[float] | np.ndarray = DEFAULT_THRESHOLDS,
    tolerance: int = 10,
    noise_intervals: Sequence[object] | None = None,
) -> PickCounts:
    """Match picks to labels at every threshold, per group.

    Args:
        pick_positions: one 1-D integer array of candidate pick positions per group.
        pick_scores: one 1-D array of scores per group, aligned with ``pick_positions``.
        label_positions: one 1-D integer array of labelled event positions per group.
        thresholds: increasing thresholds; the picks at ``t`` are the candidates scoring ``>= t``.
        tolerance: the largest accepted ``|pick - label|``, in samples.
        noise_intervals: per group, ``(k, 2)`` ``[start, stop)`` sample intervals holding no
            event; unmatched picks inside them are counted as ``noise_fp``.

    Returns:
        :class:`PickCounts`.

    Example:
        >>> c = count_picks([[10, 50]], [[0.9, 0.3]], [[12]], thresholds=[0.2, 0.5], tolerance=5)
        >>> c.tp.tolist(), c.fp.tolist()
        ([[1, 1]], [[1, 0]])
    """
    positions = _groups(pick_positions, "pick_positions", None)
    n = len(positions)
    if n == 0:
        raise InvalidArgumentError("pick_positions: expected at least one group, got an empty sequence")
    scores = _groups(pick_scores, "pick_scores", n)
    labels = _groups(label_positions, "label_positions", n)
    noise = _groups(noise_intervals, "noise_intervals", n) if noise_intervals is not None else [np.zeros((0, 2))] * n
    ths = _thresholds(thresholds)
    tolerance = check_positive_int(tolerance, "tolerance", minimum=0)

    pos = [_positions(p, f"pick_positions[{g}]") for g, p in enumerate(positions)]
    sc = [_scores(s, f"pick_scores[{g}]", p.size) for g, (s, p) in enumerate(zip(scores, pos))]
    lab = [_positions(l, f"label_positions[{g}]") for g, l in enumerate(labels)]
    iv = [_intervals(x, f"noise_intervals[{g}]") for g, x in enumerate(noise)]
    in_noise = [np.zeros(p.size, dtype=bool) if not i.size else
                ((p[:, None] >= i[None, :, 0]) & (p[:, None] < i[None, :, 1])).any(axis=1) for p, i in zip(pos, iv)]
    noise_samples = np.array([float(np.sum(i[:, 1] - i[:, 0])) for i in iv])

    group_p = np.concatenate([np.full(p.size, g, dtype=np.int64) for g, p in enumerate(pos)])
    group_l = np.concatenate([np.full(l.size, g, dtype=np.int64) for g, l in enumerate(lab)])
    all_p, all_s, all_l = np.concatenate(pos), np.concatenate(sc), np.concatenate(lab)
    all_noise = np.concatenate(in_noise)
    n_lab = np.bincount(group_l, minlength=n)
    shape = (n, ths.size)
    tp, fp, noise_fp = np.zeros(shape, np.int64), np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for j, t in enumerate(ths):
        kept = np.flatnonzero(all_s >= t)
        pi, li = _greedy_match(group_p[kept], all_p[kept], group_l, all_l, tolerance)
        matched = np.zeros(kept.size, dtype=bool)
        matched[pi] = True
        tp[:, j] = np.bincount(group_l[li], minlength=n)
        fp[:, j] = np.bincount(group_p[kept], minlength=n) - tp[:, j]
        noise_fp[:, j] = np.bincount(group_p[kept][~matched & all_noise[kept]], minlength=n)
    return PickCounts(ths, tp, fp, n_lab[:, None] - tp, noise_fp, noise_samples, tolerance)


# --------------------------------------------------------------------------- metrics on totals


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _curves(tp, fp, fn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def _index_of(thresholds: np.ndarray, value: float, name: str) -> int:
    hits = np.flatnonzero(np.isclose(thresholds, value, rtol=0, atol=1e-9))
    if not hits.size:
        raise InvalidArgumentError(f"{name}: expected a threshold on the grid {thresholds.tolist()}, got {value!r}")
    return int(hits[0])


def _take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[..., idx]`` per leading entry, ``nan`` where ``idx < 0``."""
    out = np.take_along_axis(a, np.maximum(idx, 0)[..., None], axis=-1)[..., 0]
    return np.where(idx >= 0, out, np.nan)


def _last_true(mask: np.ndarray) -> np.ndarray:
    """Index of the last True along the last axis, -1 where none."""
    rev = np.argmax(mask[..., ::-1], axis=-1)
    return np.where(mask.any(axis=-1), mask.shape[-1] - 1 - rev, -1)


def _metrics(tp, fp, fn, noise_fp, noise_samples, t: np.ndarray, s: dict) -> dict[str, np.ndarray]:
    """Every scalar measure, vectorised over leading axes of the ``(..., T)`` totals."""
    precision, recall, f1 = _curves(tp, fp, fn)
    f1z = np.nan_to_num(f1, nan=-1.0)
    best = np.argmax(f1z, axis=-1)  # the lowest threshold on ties
    best_f1 = _take(f1, best)
    # near-best range: the contiguous run of thresholds around the best within near_best of it
    near = f1z >= (np.nan_to_num(best_f1, nan=2.0)[..., None] - s["near_best"] - 1e-12)
    k = np.arange(t.size)
    below = ~near & (k <= best[..., None])
    above = ~near & (k >= best[..., None])
    lo = np.where(below.any(-1), _last_true(below) + 1, 0)
    hi = np.where(above.any(-1), np.argmax(above, axis=-1) - 1, t.size - 1)
    defined = np.isfinite(best_f1)
    lo, hi = np.where(defined, lo, 0), np.where(defined, hi, 0)
    # recall at a fixed precision: the largest recall among thresholds reaching it
    ok = np.nan_to_num(precision, nan=-1.0) >= s["precision"]
    rec_at_p = np.where(ok.any(-1), np.max(np.where(ok, recall, -1.0), axis=-1), 0.0)
    # area under the step PR curve, thresholds from high to low, recall made non-decreasing
    r_desc = np.maximum.accumulate(np.nan_to_num(recall[..., ::-1], nan=0.0), axis=-1)
    d_r = np.diff(np.concatenate([np.zeros(r_desc.shape[:-1] + (1,)), r_desc], axis=-1), axis=-1)
    auc = np.sum(d_r * np.nan_to_num(precision[..., ::-1], nan=0.0), axis=-1)
    # the highest threshold reaching the target recall, and the false picks in noise there
    at_r = _last_true(np.nan_to_num(recall, nan=-1.0) >= s["recall"])
    rate = _ratio(_take(noise_fp.astype(np.float64), at_r), noise_samples) * s["rate_scale"]
    out = {
        "n_labels": (tp + fn)[..., 0].astype(np.float64),
        "best_f1": best_f1, "best_threshold": t[best],
        "near_best_low": np.where(defined, t[lo], np.nan), "near_best_high": np.where(defined, t[hi], np.nan),
        "near_best_width": np.where(defined, t[hi] - t[lo], np.nan),
        "recall_at_precision": rec_at_p, "pr_auc": auc,
        "threshold_at_recall": np.where(at_r >= 0, t[np.maximum(at_r, 0)], np.nan),
        "false_pick_rate_at_recall": np.where(at_r >= 0, rate, np.nan),
        "false_pick_rate_at_best": _ratio(_take(noise_fp.astype(np.float64), best), noise_samples) * s["rate_scale"],
    }
    for value, j in s["f1_at"]:
        out[f"f1_at_{value:g}"] = f1[..., j]
        out[f"precision_at_{value:g}"] = precision[..., j]
        out[f"recall_at_{value:g}"] = recall[..., j]
        out[f"false_pick_rate_at_{value:g}"] = _ratio(noise_fp[..., j].astype(np.float64), noise_samples) * s["rate_scale"]
    return out


def _settings(counts: PickCounts, f1_at, precision, recall, near_best, rate_scale) -> dict:
    if not isinstance(counts, PickCounts):
        raise TypeError(f"counts: expected a PickCounts (from count_picks), got {type(counts).__name__}")
    if isinstance(near_best, bool) or not isinstance(near_best, (int, float)) or not near_best >= 0:
        raise InvalidArgumentError(f"near_best: expected a non-negative float, got {near_best!r}")
    if isinstance(rate_scale, bool) or not isinstance(rate_scale, (int, float)) or not (rate_scale > 0 and math.isfinite(rate_scale)):
        raise InvalidArgumentError(f"rate_scale: expected a positive finite float, got {rate_scale!r}")
    ats = [(float(v), _index_of(counts.thresholds, float(v), "f1_at")) for v in f1_at]
    return {"f1_at": ats, "precision": _unit(precision, "precision"), "recall": _unit(recall, "recall"),
            "near_best": float(near_best), "rate_scale": float(rate_scale)}


def _totals(c: PickCounts, groups: np.ndarray | None = None) -> tuple:
    if groups is None:
        return (c.tp.sum(0), c.fp.sum(0), c.fn.sum(0), c.noise_fp.sum(0), c.noise_samples.sum())
    return (c.tp[groups].sum(-2), c.fp[groups].sum(-2), c.fn[groups].sum(-2), c.noise_fp[groups].sum(-2),
            c.noise_samples[groups].sum(-1))


def pr_curve(counts: PickCounts) -> dict[str, np.ndarray]:
    """``{"thresholds", "precision", "recall", "f1", "noise_fp"}`` summed over groups (``nan`` where undefined)."""
    if not isinstance(counts, PickCounts):
        raise TypeError(f"counts: expected a PickCounts (from count_picks), got {type(counts).__name__}")
    tp, fp, fn, noise_fp, _ = _totals(counts)
    precision, recall, f1 = _curves(tp, fp, fn)
    return {"thresholds": counts.thresholds.copy(), "precision": precision, "recall": recall, "f1": f1, "noise_fp": noise_fp}


def operating_points(
    counts: PickCounts,
    f1_at: Sequence[float] = (0.5, 0.7),
    precision: float = 0.9,
    recall: float = 0.8,
    near_best: float = 0.02,
    rate_scale: float = 1.0,
) -> dict[str, float]:
    """Threshold-free and fixed-threshold measures of one set of counts (summed over groups).

    Args:
        counts: from :func:`count_picks`.
        f1_at: thresholds (on the grid) at which F1, precision and recall are reported.
        precision: the precision of ``recall_at_precision`` (0 when no threshold reaches it).
        recall: the recall of ``false_pick_rate_at_recall``: the false picks in noise at the
            highest threshold whose recall is at least this (``nan`` when none is).
        near_best: the F1 margin of the near-best threshold range.
        rate_scale: false picks per noise sample are multiplied by this (360000 turns samples at
            100 Hz into hours).

    Returns:
        ``best_f1``, ``best_threshold`` (lowest on ties), ``near_best_low`` / ``_high`` /
        ``_width`` (the contiguous run of grid thresholds around the best whose F1 is within
        ``near_best``), ``recall_at_precision``, ``pr_auc`` (area under the step PR curve that the
        grid traces, from recall 0 to the recall at the lowest threshold), ``threshold_at_recall``,
        ``false_pick_rate_at_recall``, ``false_pick_rate_at_best``, ``f1_at_<t>``,
        ``precision_at_<t>``, ``recall_at_<t>``, ``false_pick_rate_at_<t>``, ``n_labels``.
    """
    s = _settings(counts, f1_at, precision, recall, near_best, rate_scale)
    return {k: float(v) for k, v in _metrics(*_totals(counts), counts.thresholds, s).items()}


def _transfer(src_tot: tuple, tgt_tot: tuple, t: np.ndarray) -> dict[str, np.ndarray]:
    _, _, f1_src = _curves(*src_tot[:3])
    _, _, f1_tgt = _curves(*tgt_tot[:3])
    j = np.argmax(np.nan_to_num(f1_src, nan=-1.0), axis=-1)
    best_tgt = np.max(np.nan_to_num(f1_tgt, nan=0.0), axis=-1)
    at_src = np.nan_to_num(_take(f1_tgt, j), nan=0.0)
    return {"source_threshold": t[j], "target_best_threshold": t[np.argmax(np.nan_to_num(f1_tgt, nan=-1.0), axis=-1)],
            "target_best_f1": best_tgt, "target_f1_at_source_threshold": at_src, "f1_lost": best_tgt - at_src}


def _check_pair(a: PickCounts, b: PickCounts, a_name: str, b_name: str, same_groups: bool) -> None:
    for x, name in ((a, a_name), (b, b_name)):
        if not isinstance(x, PickCounts):
            raise TypeError(f"{name}: expected a PickCounts (from count_picks), got {type(x).__name__}")
    if a.thresholds.shape != b.thresholds.shape or not np.allclose(a.thresholds, b.thresholds):
        raise InvalidArgumentError(
            f"{b_name}: expected the threshold grid of {a_name} {a.thresholds.tolist()}, got {b.thresholds.tolist()}")
    if same_groups and a.n_groups != b.n_groups:
        raise ShapeMismatchError(f"{b_name}: expected the {a.n_groups} groups of {a_name} (paired), got {b.n_groups}")


def threshold_transfer(source: PickCounts, target: PickCounts) -> dict[str, float]:
    """F1 lost when the best-F1 threshold of ``source`` is applied unchanged to ``target``.

    Returns:
        ``source_threshold``, ``target_best_threshold``, ``target_best_f1``,
        ``target_f1_at_source_threshold`` and ``f1_lost`` (best minus transferred, ``>= 0``).
    """
    _check_pair(source, target, "source", "target", same_groups=False)
    return {k: float(v) for k, v in _transfer(_totals(source), _totals(target), source.thresholds).items()}


def _strata(x: object, name: str) -> list[PickCounts]:
    items = [x] if isinstance(x, PickCounts) else list(x) if isinstance(x, (list, tuple)) else None
    if not items or not all(isinstance(c, PickCounts) for c in items):
        raise TypeError(f"{name}: expected a PickCounts or a non-empty list of them (one per stratum), got {type(x).__name__}")
    return items


def concat_counts(counts: Sequence[PickCounts]) -> PickCounts:
    """The groups of several :class:`PickCounts` on one grid, one after the other (e.g. the
    records of several seeds)."""
    items = _strata(list(counts) if not isinstance(counts, PickCounts) else counts, "counts")
    for c in items[1:]:
        _check_pair(items[0], c, "counts[0]", "counts[k]", same_groups=False)
    cat = lambda name: np.concatenate([getattr(c, name) for c in items])  # noqa: E731
    return PickCounts(items[0].thresholds, cat("tp"), cat("fp"), cat("fn"), cat("noise_fp"), cat("noise_samples"),
                      items[0].tolerance)
