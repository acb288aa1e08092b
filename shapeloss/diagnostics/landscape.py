"""Loss landscapes: why a point-wise loss lets a peak-shaped label sink, and a template loss does not.

Two views of the same label shape ``g`` (a 1-D array whose maximum marks the event):

* :func:`pointwise_landscape`: the loss of a **single predicted value** of height
  ``h`` placed at offset ``t`` from the label centre, ``loss(h, g(t))``. A
  point-wise loss (BCE, MSE, focal) judges each sample alone, so away from the
  centre its minimum sits at low heights: on both sides of the label there are
  wide low-loss regions at low height. With ``spread > 0`` the target is
  averaged over a jittered label position (the uncertainty of a pick), which
  lowers and widens the ridge the prediction can climb.
* :func:`template_landscape`: the mean loss of a **whole template**, the label
  shape scaled to height ``h`` and shifted by ``t``, against the label. Judged
  as a shape, the prediction has a single minimum at ``t = 0, h = 1``.

Both return a :class:`Landscape` (arrays with their axes, a contour plot).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import torch

from .._validation import check_choice, check_finite, check_range, check_tensor, is_real
from ..errors import InvalidArgumentError

__all__ = [
    "POINTWISE_LOSSES",
    "Landscape",
    "gaussian_label",
    "resolve_pointwise_loss",
    "pointwise_landscape",
    "template_landscape",
]

PointwiseLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LossSpec = Union[str, PointwiseLoss]

_EPS = 1e-6


def _bce(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    p = p.clamp(_EPS, 1 - _EPS)
    return -(torch.xlogy(y, p) + torch.xlogy(1 - y, 1 - p))


def _mse(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (p - y) ** 2


def _focal(p: torch.Tensor, y: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    # Soft-target focal loss (Lin et al., 2017, with y in [0, 1]): BCE with each side
    # down-weighted by how confident the prediction already is.
    p = p.clamp(_EPS, 1 - _EPS)
    return -(torch.xlogy(y, p) * (1 - p) ** gamma + torch.xlogy(1 - y, 1 - p) * p**gamma)


POINTWISE_LOSSES: dict[str, PointwiseLoss] = {"bce": _bce, "mse": _mse, "focal": _focal}
"""Point-wise losses on probabilities, by name: ``f(prediction, target) -> element-wise loss``."""


def resolve_pointwise_loss(loss: LossSpec) -> tuple[str, PointwiseLoss]:
    """``(name, function)`` for a loss name in :data:`POINTWISE_LOSSES` or a callable.

    A callable takes ``(probabilities, targets)`` tensors of equal shape and
    returns the element-wise loss (same shape, no reduction).
    """
    if callable(loss):
        return getattr(loss, "__name__", type(loss).__name__), loss
    name = check_choice(loss, "loss", POINTWISE_LOSSES)
    return name, POINTWISE_LOSSES[name]


def gaussian_label(sigma: float = 20.0, half_width: int | None = None) -> np.ndarray:
    """A Gaussian label of unit height, ``2 * half_width + 1`` samples, centred.

    Args:
        sigma: standard deviation in samples (20 samples = 0.2 s at 100 Hz).
        half_width: samples on each side of the centre (default ``ceil(6 sigma)``).
    """
    if not is_real(sigma) or not sigma > 0 or math.isinf(sigma):
        raise InvalidArgumentError(f"sigma: expected a positive float, got {sigma!r}")
    half = int(math.ceil(6 * sigma)) if half_width is None else int(half_width)
    if half < 1:
        raise InvalidArgumentError(f"half_width: expected an int >= 1, got {half_width!r}")
    t = np.arange(-half, half + 1, dtype=np.float64)
    return np.exp(-0.5 * (t / sigma) ** 2)


def _label_array(label: object) -> np.ndarray:
    if label is None:
        return gaussian_label()
    if isinstance(label, torch.Tensor):
        t = label.detach().to("cpu", torch.float64)
    else:
        t = torch.as_tensor(np.asarray(label, dtype=np.float64))
    check_tensor(t, "label", ndim=1)
    check_finite(t, "label")
    check_range(t, "label", 0.0, 1.0)
    if float(t.max()) <= 0:
        raise InvalidArgumentError("label: expected a peak (a positive maximum), got all zeros")
    return t.numpy()


def _grid(values: object, name: str, low: float | None = None, high: float | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).reshape(-1)
    if arr.size < 2:
        raise InvalidArgumentError(f"{name}: expected at least 2 grid values, got {arr.size}")
    if not np.all(np.isfinite(arr)) or not np.all(np.diff(arr) > 0):
        raise InvalidArgumentError(f"{name}: expected finite, strictly increasing values, got {arr[:5]}...")
    if (low is not None and arr[0] < low) or (high is not None and arr[-1] > high):
        raise InvalidArgumentError(f"{name}: expected values in [{low}, {high}], got [{arr[0]:.6g}, {arr[-1]:.6g}]")
    return arr


def _shift(shape: np.ndarray, centre: float, positions: np.ndarray) -> np.ndarray:
    """``shape`` evaluated at ``positions - centre`` relative to its own centre (linear interpolation, 0 outside)."""
    origin = float(np.argmax(shape))
    return np.interp(positions - centre + origin, np.arange(shape.size), shape, left=0.0, right=0.0)


@dataclass(frozen=True)
class Landscape:
    """A loss evaluated over a grid of time offsets and heights.

    Attributes:
        offsets: ``(T,)`` time offsets from the label centre, in samples.
        heights: ``(H,)`` predicted heights (probabilities).
        loss: ``(H, T)`` loss values, ``loss[i, j]`` at ``heights[i], offsets[j]``.
        kind: ``"pointwise"`` or ``"template"``.
        loss_name: the base loss.
        spread: standard deviation of the label jitter averaged over (samples; 0 for none).
    """

    offsets: np.ndarray
    heights: np.ndarray
    loss: np.ndarray
    kind: str
    loss_name: str
    spread: float = 0.0

    def argmin(self) -> tuple[float, float]:
        """``(offset, height)`` of the grid minimum."""
        i, j = np.unravel_index(int(np.argmin(self.loss)), self.loss.shape)
        return float(self.offsets[j]), float(self.heights[i])

    def best_height(self) -> np.ndarray:
        """``(T,)`` the loss-minimising height at each offset (the valley floor)."""
        return self.heights[np.argmin(self.loss, axis=0)]

    def local_minima(self) -> list[tuple[float, float]]:
        """Grid points strictly lower than all of their (up to 8) neighbours, as ``(offset, height)``."""
        z = np.pad(self.loss, 1, constant_values=np.inf)
        centre = z[1:-1, 1:-1]
        is_min = np.ones(centre.shape, dtype=bool)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                if di or dj:
                    is_min &= centre < z[1 + di : z.shape[0] - 1 + di, 1 + dj : z.shape[1] - 1 + dj]
        return [(float(self.offsets[j]), float(self.heights[i])) for i, j in zip(*np.nonzero(is_min))]

    def to_dict(self, include_grid: bool = True) -> dict[str, Any]:
        """JSON-ready summary (and the grid itself when ``include_grid``)."""
        t, h = self.argmin()
        out: dict[str, Any] = {
            "kind": self.kind,
            "loss": self.loss_name,
            "spread": self.spread,
            "argmin": {"offset": t, "height": h},
            "local_minima": [{"offset": a, "height": b} for a, b in self.local_minima()],
            "best_height_at_offset": dict(zip(map(str, self.offsets.tolist()), self.best_height().tolist())),
            "min_loss": _finite_or_none(float(np.min(self.loss))),
        }
        if include_grid:
            out["offsets"] = self.offsets.tolist()
            out["heights"] = self.heights.tolist()
            # JSON has no inf / nan: non-finite losses (a user loss at h = 0 or 1) become null
            out["values"] = [[round(v, 6) if math.isfinite(v) else None for v in row] for row in self.loss.tolist()]
        return out

    def plot(self, ax: Any = None, levels: int = 20, threshold: float | None = 0.7) -> Any:
        """Filled contours of the loss (log scale), with the valley floor and the minimum marked.

        Args:
            ax: a matplotlib Axes; a new figure is made when ``None``.
            levels: number of contour levels.
            threshold: draw a horizontal line at this height (``None`` for none).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        z = np.log10(np.maximum(self.loss, 1e-6))
        finite = np.isfinite(z)
        z = np.where(finite, z, z[finite].max() if finite.any() else 0.0)  # draw infinite losses as the highest level
        cs = ax.contourf(self.offsets, self.heights, z, levels=levels, cmap="viridis_r")
        ax.figure.colorbar(cs, ax=ax, label=f"log10 {self.loss_name} loss")
        ax.plot(self.offsets, self.best_height(), color="w", linewidth=1.2, label="lowest-loss height")
        t, h = self.argmin()
        ax.plot([t], [h], marker="*", color="r", markersize=10, linestyle="none", label="minimum")
        if threshold is not None:
            ax.axhline(threshold, color="k", linestyle="--", linewidth=0.8, label=f"threshold {threshold:g}")
        ax.set_xlabel("offset from label centre (samples)")
        ax.set_ylabel("predicted height")
        what = "single predicted value" if self.kind == "pointwise" else "whole template"
        spread = f", jitter sd {self.spread:g}" if self.spread else ""
        ax.set_title(f"{self.loss_name}: {what}{spread}", fontsize="medium")
        ax.legend(fontsize="x-small", loc="upper right")
        return ax


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _default_offsets(label: np.ndarray, max_points: int = 241) -> np.ndarray:
    """Offsets spanning the label's extent, every sample up to ``max_points`` values."""
    half = max(int(np.argmax(label)), label.size - 1 - int(np.argmax(label)))
    step = int(np.ceil((2 * half + 1) / max_points))
    side = np.arange(step, half + 1, step, dtype=np.float64)
    return np.concatenate((-side[::-1], [0.0], side))


def pointwise_landscape(
    label: object = None,
    loss: LossSpec = "bce",
    offsets: Sequence[float] | np.ndarray | None = None,
    heights: Sequence[float] | np.ndarray | None = None,
    spread: float = 0.0,
) -> Landscape:
    """Loss of a single predicted value of height ``h`` at offset ``t`` from the label centre.

    Args:
        label: 1-D label shape in [0, 1] whose maximum is the event (default:
            :func:`gaussian_label` with sigma 20 samples).
        loss: a name in :data:`POINTWISE_LOSSES` or ``f(probabilities, targets)``.
        offsets: offsets in samples (default: the label's extent, every sample).
        heights: heights in [0, 1] (default 101 values from 0 to 1).
        spread: standard deviation (samples) of a Gaussian jitter of the label
            position; the loss is averaged over it (0: the label as given).

    Returns:
        :class:`Landscape` with ``kind="pointwise"``.

    Example:
        >>> land = pointwise_landscape(gaussian_label(20.0), offsets=[-60, 0, 60])
        >>> land.best_height().tolist()
        [0.01, 1.0, 0.01]
    """
    shape = _label_array(label)
    name, fn = resolve_pointwise_loss(loss)
    t = _default_offsets(shape) if offsets is None else _grid(offsets, "offsets")
    h = np.linspace(0.0, 1.0, 101) if heights is None else _grid(heights, "heights", 0.0, 1.0)
    spread = _spread(spread)
    jitter, weight = _jitter(spread)
    # targets[k, j]: label value at offset t_j when the label centre moved by jitter_k
    targets = np.stack([_shift(shape, d, t) for d in jitter])
    hh = torch.as_tensor(h)[None, :, None].expand(jitter.size, h.size, t.size)
    yy = torch.as_tensor(targets)[:, None, :].expand_as(hh)
    values = fn(hh, yy).detach().to(torch.float64).numpy()
    loss_grid = np.tensordot(weight, values, axes=1)
    return Landscape(offsets=t, heights=h, loss=loss_grid, kind="pointwise", loss_name=name, spread=spread)


def template_landscape(
    label: object = None,
    loss: LossSpec = "bce",
    offsets: Sequence[float] | np.ndarray | None = None,
    heights: Sequence[float] | np.ndarray | None = None,
    spread: float = 0.0,
) -> Landscape:
    """Mean loss of the whole label shape scaled to height ``h`` and shifted by ``t``, against the label.

    The comparison runs over a window wide enough that a shifted template is
    never cut off; the sum is divided by the label's length. Arguments as in :func:`pointwise_landscape`.

    Returns:
        :class:`Landscape` with ``kind="template"``.

    Example:
        >>> template_landscape(gaussian_label(5.0)).argmin()
        (0.0, 1.0)
    """
    shape = _label_array(label)
    name, fn = resolve_pointwise_loss(loss)
    t = _default_offsets(shape, 121) if offsets is None else _grid(offsets, "offsets")
    h = np.linspace(0.0, 1.0, 101) if heights is None else _grid(heights, "heights", 0.0, 1.0)
    spread = _spread(spread)
    jitter, weight = _jitter(spread)
    half = max(int(np.argmax(shape)), shape.size - 1 - int(np.argmax(shape)))
    reach = int(np.ceil(np.abs(t).max() + half + 4 * spread)) + 1
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    template = torch.as_tensor(np.stack([_shift(shape, tj, x) for tj in t]))  # (T, X)
    target = torch.as_tensor(np.stack([_shift(shape, d, x) for d in jitter]))  # (K, X)
    out = np.zeros((h.size, t.size))
    for k in range(jitter.size):
        pred = torch.as_tensor(h)[:, None, None] * template[None]  # (H, T, X)
        values = fn(pred, target[k][None, None, :].expand_as(pred))
        # mean over the label's own extent, so the number does not depend on the padding
        out += weight[k] * values.detach().to(torch.float64).sum(-1).numpy() / shape.size
    return Landscape(offsets=t, heights=h, loss=out, kind="template", loss_name=name, spread=spread)


def _spread(spread: object) -> float:
    if not is_real(spread) or not spread >= 0 or math.isinf(spread):
        raise InvalidArgumentError(f"spread: expected a finite float >= 0, got {spread!r}")
    return float(spread)


def _jitter(spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes and weights of a Gaussian jitter with standard deviation ``spread``."""
    if spread == 0:
        return np.zeros(1), np.ones(1)
    nodes, weights = np.polynomial.hermite_e.hermegauss(21)
    return nodes * spread, weights / weights.sum()
