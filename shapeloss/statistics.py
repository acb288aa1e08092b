"""Statistics that compare models: ratios of counts with bootstrap confidence intervals.

Units (windows, events, stations) are resampled jointly, so the pairing between two
models' counts on the same units is kept.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ._metric_inputs import _as_float_tensor
from ._validation import check_finite, check_positive_int, check_tensor, is_integer
from .errors import InvalidArgumentError, ShapeMismatchError

__all__ = ["bootstrap_ratio"]


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
