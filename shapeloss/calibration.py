"""Post-hoc monotone peak calibration of probability curves.

A point-wise loss trained on scattered labels is calibrated point by point (a sample's output
estimates the expected label there), so where the labels scatter, its *peaks* stay low: an
event it ranks correctly still misses a fixed threshold such as 0.7. A monotone map of the
output, fitted once on development predictions and labels, lifts those peaks without
retraining. Because the map is strictly increasing it keeps every ranking: the
precision-recall curve over all thresholds is unchanged, only which threshold gives which
point moves. A gain that such a map also gives is a recalibration, not a detection gain.

Two methods, per channel:

* ``"isotonic"``: the predicted peaks of the dev curves are split into *true* peaks (the highest
  predicted peak within ``tolerance`` samples of a label peak; its target is the label's peak
  value) and *false* peaks (local maxima farther than ``tolerance`` from every label peak;
  target 0). An isotonic (non-decreasing) regression of the target on the peak height,
  interpolated linearly and anchored at (0, 0) and (1, 1), maps a peak of height ``h`` to the
  share of dev peaks of that height that were real events. (A point-wise regression of the label
  on the output would return about the identity for a BCE net: it is calibrated point by point.)
* ``"power"``: ``p -> p ** gamma`` with ``gamma`` chosen so that the median height of the true
  dev peaks maps to ``target`` (dev label peaks "reach ~1").

Inputs are ``(B, C, L)`` or ``(B, C, H, W)`` probabilities (numpy arrays or torch tensors); 2-D
maps are searched for peaks along their last axis (each image row is a curve).

Example:
    >>> import numpy as np
    >>> x = np.linspace(-5, 5, 101)
    >>> labels = np.exp(-0.5 * x**2)[None, None, :]
    >>> cal = fit_calibration(0.5 * labels, labels, method="power", target=0.9)
    >>> round(float(cal(0.5 * labels).max()), 3)
    0.9
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._validation import check_finite, check_range, check_same_shape, check_tensor
from .errors import InvalidArgumentError, ShapeMismatchError
from .peaks import _local_maxima
from .suppression import _nearby

__all__ = ["Calibration", "fit_calibration", "isotonic_fit", "METHODS"]

#: The calibration methods :func:`fit_calibration` knows.
METHODS = ("isotonic", "power")
#: Share of the identity blended into an isotonic map so that it is strictly increasing.
_TIE_BREAK = 1e-3
_EPS = 1e-6


def _as_array(x: object, name: str) -> np.ndarray:
    """Check a ``(B, C, L)`` / ``(B, C, H, W)`` array of probabilities and return float64 numpy."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
        t = torch.from_numpy(np.asarray(x, dtype=np.float64))
    elif isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name}: expected a real tensor, got dtype {x.dtype}")
        t = x.detach().to("cpu", torch.float64)
    else:
        raise TypeError(f"{name}: expected a numpy array or torch.Tensor, got {type(x).__name__}")
    check_tensor(t, name, ndim=(3, 4))
    check_finite(t, name)
    check_range(t, name, 0.0, 1.0)
    return t.numpy()


def _rows(x: np.ndarray) -> np.ndarray:
    """``(B, C, L)`` unchanged; ``(B, C, H, W)`` as ``(B * H, C, W)`` (rows as curves)."""
    if x.ndim == 3:
        return x
    b, c, h, w = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(b * h, c, w))


def isotonic_fit(y: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Non-decreasing least-squares fit to ``y`` (in the given order): pool adjacent violators.

    Uses :func:`scipy.optimize.isotonic_regression` where scipy (>= 1.12) is installed, else the
    same algorithm in numpy; both give the same result.
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    try:
        from scipy.optimize import isotonic_regression
    except ImportError:  # scipy is an optional dependency
        return _pool_adjacent_violators(y, w)
    return np.asarray(isotonic_regression(y, weights=w, increasing=True).x, dtype=np.float64)


def _pool_adjacent_violators(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    values, weights, sizes = [], [], []
    for yi, wi in zip(y.tolist(), w.tolist()):
        values.append(yi)
        weights.append(wi)
        sizes.append(1)
        while len(values) > 1 and values[-2] > values[-1]:
            v, wt, n = values.pop(), weights.pop(), sizes.pop()
            total = weights[-1] + wt
            values[-1] = (values[-1] * weights[-1] + v * wt) / total
            weights[-1] = total
            sizes[-1] += n
    return np.repeat(np.array(values, dtype=np.float64), sizes)


@dataclass(frozen=True)
class Calibration:
    """A fitted per-channel monotone map; call it on probabilities.

    Attributes:
        method: ``"isotonic"``, ``"power"`` or ``"threshold"`` (see :meth:`threshold_map`).
        params: one entry per channel: ``{"x": [...], "y": [...]}`` (knots of a piecewise-linear,
            non-decreasing map of [0, 1] onto [0, 1]) or ``{"gamma": g}``.
        n_true, n_false: dev peaks per channel the map was fitted on.
    """

    method: str
    params: tuple[dict[str, Any], ...]
    n_true: tuple[int, ...] = ()
    n_false: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.method != "threshold":
            _check_method(self.method)
        if not self.params:
            raise InvalidArgumentError("params: expected one entry per channel, got none")
        for c, p in enumerate(self.params):
            _check_params(self.method, p, f"params[{c}]")

    @classmethod
    def threshold_map(cls, thresholds: list[float | None], to: float = 0.7) -> "Calibration":
        """The piecewise-linear map sending each channel's threshold to ``to`` (``None``: identity).

        A threshold tuned per channel (say 0.35 for one phase, 0.55 for another) then reads as the
        common fixed threshold ``to``: every fixed-threshold measure applies unchanged.
        """
        if not isinstance(thresholds, (list, tuple)) or not thresholds:
            raise InvalidArgumentError(f"thresholds: expected a non-empty list, one per channel, got {thresholds!r}")
        if isinstance(to, bool) or not isinstance(to, (int, float)) or not 0.0 < float(to) < 1.0:
            raise InvalidArgumentError(f"to: expected a float in (0, 1), got {to!r}")
        params = []
        for c, t in enumerate(thresholds):
            if t is None:
                params.append({"x": [0.0, 1.0], "y": [0.0, 1.0]})
            elif isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 < float(t) < 1.0:
                raise InvalidArgumentError(f"thresholds[{c}]: expected a float in (0, 1) or None, got {t!r}")
            else:
                params.append({"x": [0.0, float(t), 1.0], "y": [0.0, float(to), 1.0]})
        return cls("threshold", tuple(params))

    @property
    def channels(self) -> int:
        return len(self.params)

    def __call__(self, probs: object) -> np.ndarray | torch.Tensor:
        """Apply the map to ``(B, C, L)`` or ``(B, C, H, W)`` probabilities.

        Returns the same type (numpy array or tensor, same dtype and device) and shape. The map is
        for evaluation: no gradient flows through it.
        """
        x = _as_array(probs, "probs")
        if x.shape[1] != self.channels:
            raise ShapeMismatchError(f"probs: expected {self.channels} channels (as fitted), got shape {tuple(x.shape)}")
        out = np.empty_like(x)
        for c, p in enumerate(self.params):
            if self.method == "power":
                out[:, c] = np.power(x[:, c], p["gamma"])
            else:
                out[:, c] = np.interp(x[:, c], p["x"], p["y"])
        np.clip(out, 0.0, 1.0, out=out)
        if isinstance(probs, torch.Tensor):
            return torch.from_numpy(out).to(device=probs.device, dtype=probs.dtype)
        return out.astype(probs.dtype if probs.dtype.kind == "f" else np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters; :meth:`from_dict` reads them back."""
        return {"method": self.method, "params": [dict(p) for p in self.params],
                "n_true": list(self.n_true), "n_false": list(self.n_false)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Calibration":
        if not isinstance(d, dict) or "method" not in d or "params" not in d:
            raise InvalidArgumentError(f"d: expected a dict with 'method' and 'params', got {d!r:.200}")
        params = d["params"]
        if not isinstance(params, (list, tuple)):
            raise InvalidArgumentError(f"d['params']: expected a list (one entry per channel), got {type(params).__name__}")
        return cls(d["method"], tuple(dict(p) if isinstance(p, dict) else p for p in params),
                   tuple(int(n) for n in d.get("n_true", ())), tuple(int(n) for n in d.get("n_false", ())))


def _check_method(method: object) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise InvalidArgumentError(f"method: expected one of {list(METHODS)}, got {method!r}")
    return method


def _check_params(method: str, p: object, name: str) -> None:
    if not isinstance(p, dict):
        raise InvalidArgumentError(f"{name}: expected a dict, got {type(p).__name__}")
    if method == "power":
        g = p.get("gamma")
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not math.isfinite(g) or g <= 0:
            raise InvalidArgumentError(f"{name}['gamma']: expected a finite float > 0, got {g!r}")
        return
    x, y = np.asarray(p.get("x", []), dtype=np.float64), np.asarray(p.get("y", []), dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise InvalidArgumentError(f"{name}: expected knots 'x' and 'y' of equal length >= 2, got shapes {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InvalidArgumentError(f"{name}: expected finite knots, got non-finite values")
    if x[0] != 0.0 or x[-1] != 1.0 or np.any(np.diff(x) <= 0):
        raise InvalidArgumentError(f"{name}['x']: expected strictly increasing knots from 0 to 1, got {x.tolist()!r:.200}")
    if y.min() < 0.0 or y.max() > 1.0 or np.any(np.diff(y) < 0):
        raise InvalidArgumentError(f"{name}['y']: expected non-decreasing values in [0, 1], got {y.tolist()!r:.200}")


def _peaks(p: np.ndarray, y: np.ndarray, tolerance: int, label_threshold: float):
    """Per channel: heights and targets of the true dev peaks, and heights of the false ones."""
    b, c, length = p.shape
    near = _nearby(p, y, tolerance, label_threshold, 1)
    target = y[near.batch, near.channel, near.position]
    # false peaks: local maxima farther than the tolerance from every label peak of their row
    rows = p.reshape(b * c, length)
    close = np.zeros(rows.shape, dtype=bool)
    label_row = near.batch * c + near.channel
    for d in range(-tolerance, tolerance + 1):
        pos = near.position + d
        ok = (pos >= 0) & (pos < length)
        close[label_row[ok], pos[ok]] = True
    mr, mp = _local_maxima(rows)
    far = ~close[mr, mp]
    false_rows, false_heights = mr[far], rows[mr[far], mp[far]]
    out = []
    for ch in range(c):
        mine = near.channel == ch
        out.append((near.height[mine], target[mine], false_heights[false_rows % c == ch]))
    return out


def fit_calibration(
    probs: object,
    labels: object,
    method: str = "isotonic",
    tolerance: int = 10,
    target: float = 0.9,
    label_threshold: float = 0.5,
) -> Calibration:
    """Fit a per-channel monotone peak calibration on development predictions and labels.

    Args:
        probs: ``(B, C, L)`` or ``(B, C, H, W)`` predicted probabilities on dev data.
        labels: peak-shaped targets in [0, 1], same shape.
        method: ``"isotonic"`` (share of real events among dev peaks of each height) or
            ``"power"`` (``p ** gamma``, the median true peak mapped to ``target``).
        tolerance: a predicted peak within ``tolerance`` samples of a label peak is that event's.
        target: ``"power"`` only: where the median height of the true dev peaks lands, in (0, 1).
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        A :class:`Calibration`. A channel without label peaks (or, for ``"isotonic"``, without
        any dev peak) gets the identity map.
    """
    method = _check_method(method)
    p = _as_array(probs, "probs")
    y = _as_array(labels, "labels")
    check_same_shape(torch.from_numpy(p), "probs", torch.from_numpy(y), "labels")
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, np.integer)) or tolerance < 0:
        raise InvalidArgumentError(f"tolerance: expected an int >= 0, got {tolerance!r}")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0.0 < float(target) < 1.0:
        raise InvalidArgumentError(f"target: expected a float in (0, 1), got {target!r}")
    if isinstance(label_threshold, bool) or not isinstance(label_threshold, (int, float)) or not 0.0 <= float(label_threshold) <= 1.0:
        raise InvalidArgumentError(f"label_threshold: expected a float in [0, 1], got {label_threshold!r}")
    peaks = _peaks(_rows(p), _rows(y), int(tolerance), float(label_threshold))
    params, n_true, n_false = [], [], []
    for heights, targets, false_heights in peaks:
        n_true.append(int(heights.size))
        n_false.append(int(false_heights.size))
        if method == "power":
            params.append({"gamma": _power_gamma(heights, float(target))})
        else:
            params.append(_isotonic_knots(heights, targets, false_heights))
    return Calibration(method, tuple(params), tuple(n_true), tuple(n_false))


def _power_gamma(heights: np.ndarray, target: float) -> float:
    if heights.size == 0:
        return 1.0
    median = float(np.clip(np.median(heights), _EPS, 1.0 - _EPS))
    return float(math.log(target) / math.log(median))


def _isotonic_knots(heights: np.ndarray, targets: np.ndarray, false_heights: np.ndarray) -> dict[str, list[float]]:
    h = np.concatenate([heights, false_heights])
    t = np.concatenate([targets, np.zeros_like(false_heights)])
    if heights.size == 0:  # no event to calibrate against
        return {"x": [0.0, 1.0], "y": [0.0, 1.0]}
    order = np.argsort(h, kind="stable")
    h, t = h[order], t[order]
    # equal heights form one point (their mean target), so that the fit does not depend on their order
    ux, start, counts = np.unique(h, return_index=True, return_counts=True)
    mean_t = np.add.reduceat(t, start) / counts
    fitted = isotonic_fit(mean_t, counts.astype(np.float64))
    x = np.concatenate(([0.0], ux, [1.0]))
    yv = np.concatenate(([0.0], fitted, [1.0]))
    keep = np.concatenate(([True], np.diff(x) > 0))  # heights of exactly 0 or 1 merge with the anchors
    x, yv = x[keep], np.maximum.accumulate(np.clip(yv[keep], 0.0, 1.0))
    if x[-1] != 1.0:
        x, yv = np.append(x, 1.0), np.append(yv, 1.0)
    # only the ends of each constant stretch: the same piecewise-linear map, a few knots
    change = np.diff(yv) != 0
    ends = np.concatenate(([True], change)) | np.concatenate((change, [True]))
    x, yv = x[ends], yv[ends]
    yv = (1.0 - _TIE_BREAK) * yv + _TIE_BREAK * x  # strictly increasing: every ranking is kept
    return {"x": x.tolist(), "y": yv.tolist()}
