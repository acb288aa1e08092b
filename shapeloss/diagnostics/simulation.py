"""The model-free simulation: what a loss does to a peak when the label position is uncertain.

No network and no data. The "prediction" is optimised directly with Adam
against targets whose centre is redrawn at every step from a distribution of
given spread (standard deviation) and skew, which is what a network sees when
the same waveform pattern comes with picks that scatter around the true onset:

* **point-wise**: one free logit per sample. A point-wise loss is minimised
  sample by sample, so the optimum is the *expected target* at each sample
  (exact for BCE and MSE, whose minimiser is the mean target): the label shape
  convolved with the jitter distribution, lower and wider than the label. For
  a Gaussian label of width ``sigma`` and Gaussian jitter of spread ``s`` its
  height is ``sigma / sqrt(sigma**2 + s**2)``.
* **template**: only a position and a height; the shape is the label's. The
  loss can only move or scale the peak, so it stays centred and higher.

:func:`expected_target` gives the closed-form point-wise optimum, and
:func:`simulate` reports both optimisations, their trajectories and the
agreement between the simulated point-wise peak and the closed form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._validation import check_positive_int, is_real
from ..errors import InvalidArgumentError
from .landscape import LossSpec, _label_array, gaussian_label, resolve_pointwise_loss

__all__ = [
    "sample_offsets",
    "offset_density",
    "expected_target",
    "SimulationResult",
    "simulate",
    "simulate_spreads",
    "plot_simulation",
]


def _skew_delta(skew: float) -> float:
    return skew / math.sqrt(1.0 + skew**2)


def _standardise(skew: float) -> tuple[float, float]:
    """Mean and standard deviation of a unit skew-normal with shape ``skew``."""
    d = _skew_delta(skew)
    return d * math.sqrt(2 / math.pi), math.sqrt(1 - 2 * d**2 / math.pi)


def sample_offsets(n: int, spread: float, skew: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` label offsets (samples) with mean 0, standard deviation ``spread`` and skew-normal shape ``skew``.

    ``skew`` is the shape parameter of the skew-normal distribution (0: Gaussian;
    positive: a tail of late picks). The draws are recentred and rescaled so
    the mean is 0 and the standard deviation is ``spread`` whatever the skew.
    """
    z0 = torch.randn(n, generator=generator, dtype=torch.float64)
    z1 = torch.randn(n, generator=generator, dtype=torch.float64)
    d = _skew_delta(skew)
    mean, std = _standardise(skew)
    x = d * z0.abs() + math.sqrt(1 - d**2) * z1
    return (x - mean) / std * spread


def offset_density(x: np.ndarray, spread: float, skew: float = 0.0) -> np.ndarray:
    """Density of :func:`sample_offsets` at ``x`` (samples); a point mass is not representable, so ``spread > 0``."""
    mean, std = _standardise(skew)
    u = np.asarray(x, dtype=np.float64) / spread * std + mean  # back to the unit skew-normal
    phi = np.exp(-0.5 * u**2) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + np.vectorize(math.erf)(skew * u / math.sqrt(2)))
    return 2 * phi * cdf * std / spread


def _shift_torch(shape: torch.Tensor, origin: float, x: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """``shape`` placed with its origin at ``centre`` and read at ``x`` (linear interpolation, 0 outside).

    Differentiable in ``centre``; ``centre`` may be ``(N,)`` for N placements, giving ``(N, X)``.
    """
    pos = x[None, :] - centre.reshape(-1, 1) + origin
    lo = pos.floor()
    frac = pos - lo
    lo = lo.long()
    n = shape.numel()
    padded = torch.cat([shape.new_zeros(1), shape, shape.new_zeros(1)])
    left = padded[(lo + 1).clamp(0, n + 1)] * ((lo >= 0) & (lo < n))
    right = padded[(lo + 2).clamp(0, n + 1)] * ((lo + 1 >= 0) & (lo + 1 < n))
    return left * (1 - frac) + right * frac


def expected_target(
    label: object = None,
    spread: float = 10.0,
    skew: float = 0.0,
    length: int | None = None,
) -> np.ndarray:
    """The expected target at each sample when the label centre is jittered: the point-wise optimum.

    Computed by quadrature over the offset density (quarter-sample steps over
    +-8 spreads), not by sampling.

    Args:
        label: 1-D label shape (default: a Gaussian with sigma 20 samples).
        spread: standard deviation of the label position, in samples (> 0).
        skew: skew-normal shape of the jitter.
        length: window length; the label's nominal centre is at ``length // 2``
            (default: the label's length plus 4 spreads on each side).

    Returns:
        ``(length,)`` expected target.
    """
    shape = _label_array(label)
    spread = _positive(spread, "spread")
    length = _default_length(shape, spread) if length is None else check_positive_int(length, "length")
    d = np.arange(-8 * spread, 8 * spread + 0.25, 0.25)
    w = offset_density(d, spread, skew)
    w = w / w.sum()
    x = torch.arange(length, dtype=torch.float64)
    placed = _shift_torch(torch.as_tensor(shape), float(np.argmax(shape)), x, torch.as_tensor(d + length // 2))
    return (torch.as_tensor(w) @ placed).numpy()


def _default_length(shape: np.ndarray, spread: float) -> int:
    return int(shape.size + 2 * math.ceil(4 * spread)) | 1


def _positive(value: object, name: str) -> float:
    if not is_real(value) or not value > 0 or math.isinf(value):
        raise InvalidArgumentError(f"{name}: expected a positive finite float, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SimulationResult:
    """What Adam converged to, point-wise and as a template, against jittered targets.

    Positions are offsets from the nominal label centre, in samples.

    Attributes:
        spread, skew: the jitter (samples, skew-normal shape).
        loss_name: the base loss.
        pointwise: ``(L,)`` final point-wise prediction (probabilities).
        pointwise_height, pointwise_position: its peak.
        template_height, template_position: the optimised template.
        optimum: ``(L,)`` closed-form point-wise optimum (:func:`expected_target`).
        optimum_height, optimum_position: its peak.
        label: ``(L,)`` the label at the nominal centre.
        steps: ``(K,)`` steps at which the trajectories were recorded.
        trajectory: ``{"pointwise_height", "pointwise_position", "template_height",
            "template_position"}``, each ``(K,)``.
        sampling_rate: samples per second (for reporting in seconds), or ``None``.
    """

    spread: float
    skew: float
    loss_name: str
    pointwise: np.ndarray = field(repr=False)
    pointwise_height: float
    pointwise_position: float
    template_height: float
    template_position: float
    optimum: np.ndarray = field(repr=False)
    optimum_height: float
    optimum_position: float
    label: np.ndarray = field(repr=False)
    steps: np.ndarray = field(repr=False)
    trajectory: dict[str, np.ndarray] = field(repr=False)
    sampling_rate: float | None = None

    @property
    def optimum_gap(self) -> float:
        """``|simulated point-wise peak height - closed-form peak height|``."""
        return abs(self.pointwise_height - self.optimum_height)

    def to_dict(self, include_curves: bool = False) -> dict[str, Any]:
        """JSON-ready summary (curves and trajectories when ``include_curves``)."""
        out: dict[str, Any] = {
            "spread_samples": self.spread,
            "spread_seconds": None if self.sampling_rate is None else self.spread / self.sampling_rate,
            "skew": self.skew,
            "loss": self.loss_name,
            "pointwise": {"height": self.pointwise_height, "position": self.pointwise_position},
            "template": {"height": self.template_height, "position": self.template_position},
            "closed_form": {"height": self.optimum_height, "position": self.optimum_position},
            "optimum_gap": self.optimum_gap,
        }
        if include_curves:
            out["curves"] = {
                "label": self.label.tolist(),
                "pointwise": self.pointwise.tolist(),
                "closed_form": self.optimum.tolist(),
            }
            out["trajectory"] = {"steps": self.steps.tolist(), **{k: v.tolist() for k, v in self.trajectory.items()}}
        return out


def simulate(
    spread: float,
    skew: float = 0.0,
    label: object = None,
    loss: LossSpec = "bce",
    steps: int = 3000,
    batch_size: int = 64,
    lr: float = 0.05,
    length: int | None = None,
    seed: int = 0,
    record_every: int = 25,
    sampling_rate: float | None = None,
) -> SimulationResult:
    """Optimise free point-wise logits and a template against jittered targets.

    At every step ``batch_size`` target centres are drawn with
    :func:`sample_offsets`; both predictions take one Adam step on the mean
    loss. The learning rate decays linearly to 5 % over the run so the final
    prediction is the optimum rather than a noisy sample around it.

    Args:
        spread: standard deviation of the label position, in samples (> 0).
        skew: skew-normal shape of the jitter (0: symmetric).
        label: 1-D label shape (default: Gaussian, sigma 20 samples).
        loss: a name in :data:`~shapeloss.diagnostics.landscape.POINTWISE_LOSSES` or a callable.
        steps: Adam steps.
        batch_size: targets drawn per step.
        lr: initial Adam learning rate (both optimisations).
        length: window length (default: label length plus 4 spreads each side).
        seed: seed of the target draws (the run is deterministic).
        record_every: trajectory recording interval, in steps.
        sampling_rate: samples per second, only used for reporting seconds.

    Returns:
        :class:`SimulationResult`.
    """
    shape = _label_array(label)
    spread = _positive(spread, "spread")
    if not is_real(skew) or not math.isfinite(skew):
        raise InvalidArgumentError(f"skew: expected a finite float, got {skew!r}")
    name, fn = resolve_pointwise_loss(loss)
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = _positive(lr, "lr")
    record_every = check_positive_int(record_every, "record_every")
    length = _default_length(shape, spread) if length is None else check_positive_int(length, "length", minimum=3)
    if sampling_rate is not None:
        sampling_rate = _positive(sampling_rate, "sampling_rate")

    generator = torch.Generator().manual_seed(int(seed))
    centre = length // 2
    origin = float(np.argmax(shape))
    shape_t = torch.as_tensor(shape)
    x = torch.arange(length, dtype=torch.float64)

    logits = torch.full((length,), -2.0, dtype=torch.float64, requires_grad=True)  # start low: 0.12
    position = torch.zeros((), dtype=torch.float64, requires_grad=True)
    height_logit = torch.full((), -2.0, dtype=torch.float64, requires_grad=True)
    opt_point = torch.optim.Adam([logits], lr=lr)
    opt_template = torch.optim.Adam([position, height_logit], lr=lr)
    schedule = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1.0 - 0.95 * s / steps) for o in (opt_point, opt_template)]

    rec_steps: list[int] = []
    traj: dict[str, list[float]] = {k: [] for k in ("pointwise_height", "pointwise_position", "template_height", "template_position")}

    def record(step: int) -> None:
        with torch.no_grad():
            p = torch.sigmoid(logits)
            rec_steps.append(step)
            traj["pointwise_height"].append(float(p.max()))
            traj["pointwise_position"].append(float(p.argmax()) - centre)
            traj["template_height"].append(float(torch.sigmoid(height_logit)))
            traj["template_position"].append(float(position))

    record(0)
    for step in range(1, steps + 1):
        offsets = sample_offsets(batch_size, spread, skew, generator)
        targets = _shift_torch(shape_t, origin, x, offsets + centre)  # (N, L)

        loss_point = fn(torch.sigmoid(logits).expand_as(targets), targets).mean()
        opt_point.zero_grad()
        loss_point.backward()
        opt_point.step()

        template = torch.sigmoid(height_logit) * _shift_torch(shape_t, origin, x, position + centre)
        loss_template = fn(template.expand_as(targets), targets).mean()
        opt_template.zero_grad()
        loss_template.backward()
        opt_template.step()
        for s in schedule:
            s.step()
        if step % record_every == 0 or step == steps:
            record(step)

    final = torch.sigmoid(logits).detach().numpy()
    optimum = expected_target(shape, spread, skew, length)
    return SimulationResult(
        spread=spread,
        skew=float(skew),
        loss_name=name,
        pointwise=final,
        pointwise_height=float(final.max()),
        pointwise_position=float(np.argmax(final) - centre),
        template_height=float(torch.sigmoid(height_logit.detach())),
        template_position=float(position.detach()),
        optimum=optimum,
        optimum_height=float(optimum.max()),
        optimum_position=float(np.argmax(optimum) - centre),
        label=_shift_torch(shape_t, origin, x, torch.tensor([float(centre)], dtype=torch.float64))[0].numpy(),
        steps=np.asarray(rec_steps),
        trajectory={k: np.asarray(v) for k, v in traj.items()},
        sampling_rate=sampling_rate,
    )


def simulate_spreads(spreads: Sequence[float], **kwargs: Any) -> list[SimulationResult]:
    """:func:`simulate` for each spread (same settings and seed)."""
    if len(spreads) == 0:
        raise InvalidArgumentError("spreads: expected at least one spread, got an empty sequence")
    return [simulate(s, **kwargs) for s in spreads]


def plot_simulation(results: Sequence[SimulationResult], threshold: float = 0.7, axes: Any = None) -> Any:
    """Final shapes (point-wise, template, closed form, label) per spread, and the peak-height trajectories.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    n = len(results)
    if axes is None:
        fig, axes = plt.subplots(2, n, figsize=(3.6 * n, 5.6), squeeze=False)
    else:
        axes = np.asarray(axes).reshape(2, n)
        fig = axes[0, 0].figure
    for i, r in enumerate(results):
        ax = axes[0, i]
        centre = r.label.size // 2
        t = np.arange(r.label.size) - centre
        scale = 1.0 if r.sampling_rate is None else 1.0 / r.sampling_rate
        unit = "samples" if r.sampling_rate is None else "s"
        ax.plot(t * scale, r.label, color="0.6", label="label")
        ax.plot(t * scale, r.pointwise, color="C0", label=f"point-wise {r.pointwise_height:.2f}")
        ax.plot(t * scale, r.optimum, color="C0", linestyle=":", label=f"closed form {r.optimum_height:.2f}")
        # the template is the label shape moved and scaled
        tmpl = r.template_height * np.interp(t - r.template_position, t, r.label, left=0, right=0)
        ax.plot(t * scale, tmpl, color="C3", label=f"template {r.template_height:.2f}")
        ax.axhline(threshold, color="k", linestyle="--", linewidth=0.8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"spread {r.spread * scale:g} {unit}, skew {r.skew:g}", fontsize="medium")
        ax.set_xlabel(f"time from nominal label centre ({unit})")
        ax.legend(fontsize="x-small")
        ax2 = axes[1, i]
        ax2.plot(r.steps, r.trajectory["pointwise_height"], color="C0", label="point-wise peak")
        ax2.plot(r.steps, r.trajectory["template_height"], color="C3", label="template height")
        ax2.axhline(r.optimum_height, color="C0", linestyle=":", label="closed form")
        ax2.axhline(threshold, color="k", linestyle="--", linewidth=0.8)
        ax2.set_ylim(0, 1.05)
        ax2.set_xlabel("Adam step")
        ax2.legend(fontsize="x-small")
    axes[0, 0].set_ylabel("probability")
    axes[1, 0].set_ylabel("peak height")
    fig.tight_layout()
    return fig
