"""95 % bootstrap intervals of the operating-point measures, resampling groups.

Groups (records, traces, stations) are drawn with replacement, with the events and false
picks they hold; two pickers on the same groups are resampled together (paired
differences). The measures themselves are in :mod:`shapeloss.operating_measures`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._validation import check_positive_int
from .errors import InvalidArgumentError, ShapeMismatchError
from .operating_measures import PickCounts, _check_pair, _metrics, _settings, _strata, _totals, _transfer

__all__ = ["bootstrap_operating_points", "compare_operating_points", "bootstrap_transfer"]


def _resamples(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, n, size=(n_boot, n))


def _interval(point: dict, boot: dict) -> dict[str, dict[str, float]]:
    out = {}
    for key, value in point.items():
        b = np.asarray(boot[key], dtype=np.float64)
        b = b[np.isfinite(b)]
        low, high = np.quantile(b, [0.025, 0.975]) if b.size else (math.nan, math.nan)
        out[key] = {"value": float(value), "low": float(low), "high": float(high)}
    return out


def _boot_args(n_boot: object, seed: object) -> tuple[int, np.random.Generator]:
    n_boot = check_positive_int(n_boot, "n_boot")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__} {seed!r}")
    return n_boot, np.random.default_rng(int(seed))


def bootstrap_operating_points(
    counts: PickCounts, n_boot: int = 1000, seed: int = 0, **settings: Any
) -> dict[str, dict[str, float]]:
    """:func:`operating_points` with 95 % percentile intervals over resampled groups.

    Args:
        counts: from :func:`count_picks`.
        n_boot: resamples of the groups (with replacement).
        seed: the resampling generator's seed.
        **settings: as :func:`operating_points` (``f1_at``, ``precision``, ...).

    Returns:
        ``{measure: {"value", "low", "high"}}``; resamples where a measure is undefined are left
        out of its interval.
    """
    s = _settings(counts, **_defaults(settings))
    n_boot, rng = _boot_args(n_boot, seed)
    point = _metrics(*_totals(counts), counts.thresholds, s)
    boot = _metrics(*_totals(counts, _resamples(counts.n_groups, n_boot, rng)), counts.thresholds, s)
    return _interval(point, boot)


def _defaults(settings: dict) -> dict:
    known = {"f1_at": (0.5, 0.7), "precision": 0.9, "recall": 0.8, "near_best": 0.02, "rate_scale": 1.0}
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise InvalidArgumentError(f"settings: expected names among {sorted(known)}, got {unknown}")
    return {**known, **settings}


def compare_operating_points(
    baseline: PickCounts, candidate: PickCounts, n_boot: int = 1000, seed: int = 0, **settings: Any
) -> dict[str, dict[str, float]]:
    """Paired differences ``candidate - baseline`` of every measure, resampling the shared groups.

    Both count sets must come from the same groups in the same order (two pickers on the same
    records), so that each resample draws the same records for both.

    Returns:
        ``{measure: {"value", "low", "high"}}`` of the differences.
    """
    _check_pair(baseline, candidate, "baseline", "candidate", same_groups=True)
    s = _settings(baseline, **_defaults(settings))
    n_boot, rng = _boot_args(n_boot, seed)
    idx = _resamples(baseline.n_groups, n_boot, rng)
    diff = _difference(lambda g: _metrics(*_totals(candidate, g), candidate.thresholds, s),
                       lambda g: _metrics(*_totals(baseline, g), baseline.thresholds, s))
    return _interval(diff(None), diff(idx))


def _difference(f: Callable, g: Callable) -> Callable:
    def run(idx):
        a, b = f(idx), g(idx)
        return {k: a[k] - b[k] for k in a}
    return run


def bootstrap_transfer(
    source: PickCounts | Sequence[PickCounts],
    target: PickCounts | Sequence[PickCounts],
    n_boot: int = 1000,
    seed: int = 0,
    baseline: tuple[object, object] | None = None,
) -> dict[str, dict[str, float]]:
    """:func:`threshold_transfer` with 95 % intervals, source and target groups resampled independently.

    Args:
        source, target: counts on the set the threshold is chosen on and the set it is applied to;
            or equally long lists of them, one per stratum (e.g. per training seed: each
            stratum's own picker chooses its own threshold), whose measures are averaged.
            Groups are resampled within each stratum.
        n_boot: resamples.
        seed: the resampling generator's seed.
        baseline: ``(source, target)`` counts of another picker on the same groups (same
            strata): the result is then the paired difference (this picker minus the baseline)
            of every transfer measure.

    Returns:
        ``{measure: {"value", "low", "high"}}``.
    """
    src, tgt = _strata(source, "source"), _strata(target, "target")
    if len(src) != len(tgt):
        raise ShapeMismatchError(f"target: expected {len(src)} strata (as source), got {len(tgt)}")
    for a, b in zip(src, tgt):
        _check_pair(a, b, "source", "target", same_groups=False)
    n_boot, rng = _boot_args(n_boot, seed)
    draws = [(_resamples(a.n_groups, n_boot, rng), _resamples(b.n_groups, n_boot, rng)) for a, b in zip(src, tgt)]

    def one(sources, targets):
        def run(resampled: bool):
            parts = [_transfer(_totals(a, i if resampled else None), _totals(b, j if resampled else None), a.thresholds)
                     for a, b, (i, j) in zip(sources, targets, draws)]
            return {k: np.mean([p[k] for p in parts], axis=0) for k in parts[0]}
        return run

    run = one(src, tgt)
    if baseline is not None:
        if not isinstance(baseline, tuple) or len(baseline) != 2:
            raise InvalidArgumentError(f"baseline: expected a (source, target) pair of PickCounts, got {type(baseline).__name__}")
        b_src, b_tgt = _strata(baseline[0], "baseline[0]"), _strata(baseline[1], "baseline[1]")
        if len(b_src) != len(src) or len(b_tgt) != len(tgt):
            raise ShapeMismatchError(f"baseline: expected {len(src)} strata (as source), got {len(b_src)} and {len(b_tgt)}")
        for a, b in zip(src, b_src):
            _check_pair(a, b, "source", "baseline[0]", same_groups=True)
        for a, b in zip(tgt, b_tgt):
            _check_pair(a, b, "target", "baseline[1]", same_groups=True)
        run = _difference(run, one(b_src, b_tgt))
    return _interval(run(False), run(True))
