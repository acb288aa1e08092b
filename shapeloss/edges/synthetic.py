"""Synthetic edge problems: a subtle boundary next to a dominant one.

1D (:func:`make_onset_burst`): the generic form of the seismic S-phase problem.
Noise, then at ``onset`` a subtle emergent oscillation (amplitude a fraction of
the noise), then after a random gap a dominant decaying burst. The label is a
Gaussian peak at the *labelled* onset, which an analyst places with a timing
error (``label_jitter`` standard deviation, ``label_bias`` offset, in samples).
Point-wise BCE answers such labels with the label smeared by the jitter: a low,
wide peak (amplitude suppression), and the subtle onset falls under a 0.7
detection threshold.

2D (:func:`make_contour_images`): a high-contrast disc-like blob whose edge is
the strong boundary, with a faint step one to a few pixels inside it (the
subtle boundary). Labels are thin boundary maps (Gaussian ridges of width
``label_width`` around each contour, radii jittered per image by
``label_jitter`` pixels): channel 0 the strong contour, channel 1 the faint one.

Every generator is seeded and deterministic: the same seed gives the same
tensors, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import NamedTuple

import numpy as np
import torch

from .._validation import check_positive_int, is_integer, is_real
from ..errors import InvalidArgumentError

__all__ = [
    "OnsetBurstConfig",
    "OnsetBurstSet",
    "make_onset_burst",
    "ContourConfig",
    "ContourSet",
    "make_contour_images",
    "gaussian_peaks",
]


def _check_interval(value: object, name: str, low: float = 0.0) -> tuple[float, float]:
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(is_real(v) for v in value)
        or not (low <= value[0] <= value[1])
        or not all(math.isfinite(v) for v in value)
    ):
        raise InvalidArgumentError(f"{name}: expected a pair (low, high) with {low} <= low <= high, got {value!r}")
    return float(value[0]), float(value[1])


def _check_nonneg(value: object, name: str, allow_negative: bool = False) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name}: expected a finite float, got {value!r}")
    if not allow_negative and value < 0:
        raise InvalidArgumentError(f"{name}: expected a non-negative float, got {value!r}")
    return float(value)


def gaussian_peaks(positions: np.ndarray, length: int, width: float) -> np.ndarray:
    """Gaussian peaks of height 1, one row per position: ``(N,) -> (N, length)``.

    ``width`` is the standard deviation in samples. A position outside
    ``[0, length)`` still contributes its tail inside.
    """
    t = np.arange(length, dtype=np.float64)
    return np.exp(-0.5 * ((t[None, :] - np.asarray(positions, dtype=np.float64)[:, None]) / width) ** 2)


# --- 1D -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnsetBurstConfig:
    """Parameters of the 1D subtle-onset-then-burst problem (lengths in samples).

    Attributes:
        length: samples per signal.
        onset_range: the true onset is drawn uniformly in this range of fractions of ``length``.
        gap: ``(low, high)`` samples between the subtle onset and the burst.
        onset_amplitude: ``(low, high)`` amplitude of the subtle onset, in noise standard deviations:
            visible to a trained net, yet a fraction of the burst (at 0.6 to 1.5 a short CPU run
            cannot place the onset at all, and every arm fails alike).
        burst_amplitude: ``(low, high)`` amplitude of the dominant burst, in noise standard deviations.
        ramp: samples over which the subtle onset grows to its amplitude (emergent onsets).
        burst_decay: e-folding time of the burst envelope, samples.
        label_width: standard deviation of the Gaussian label peak.
        label_jitter: standard deviation of the labelled onset around the true one (timing uncertainty).
        label_bias: systematic offset of the labelled onset (positive: labelled late).
    """

    length: int = 512
    onset_range: tuple[float, float] = (0.15, 0.55)
    gap: tuple[float, float] = (25.0, 120.0)
    onset_amplitude: tuple[float, float] = (2.0, 4.0)
    burst_amplitude: tuple[float, float] = (6.0, 15.0)
    ramp: float = 6.0
    burst_decay: float = 60.0
    label_width: float = 4.0
    label_jitter: float = 6.0
    label_bias: float = 0.0

    def __post_init__(self) -> None:
        check_positive_int(self.length, "length", minimum=16)
        lo, hi = _check_interval(self.onset_range, "onset_range")
        if hi >= 1.0:
            raise InvalidArgumentError(f"onset_range: expected fractions in [0, 1), got {self.onset_range!r}")
        _check_interval(self.gap, "gap", low=1.0)
        _check_interval(self.onset_amplitude, "onset_amplitude")
        _check_interval(self.burst_amplitude, "burst_amplitude")
        _check_nonneg(self.ramp, "ramp")
        if _check_nonneg(self.burst_decay, "burst_decay") == 0:
            raise InvalidArgumentError(f"burst_decay: expected a positive float, got {self.burst_decay!r}")
        if _check_nonneg(self.label_width, "label_width") == 0:
            raise InvalidArgumentError(f"label_width: expected a positive float, got {self.label_width!r}")
        _check_nonneg(self.label_jitter, "label_jitter")
        _check_nonneg(self.label_bias, "label_bias", allow_negative=True)


class OnsetBurstSet(NamedTuple):
    """A batch of the 1D problem.

    Attributes:
        signals: ``(N, 1, L)`` float32, each normalised to a peak absolute value of 1.
        targets: ``(N, 1, L)`` float32 Gaussian peaks at the labelled onsets, heights 1.
        onsets: ``(N,)`` int64 true onsets.
        labelled: ``(N,)`` int64 labelled onsets (true + bias + jitter, clipped into the signal).
        bursts: ``(N,)`` int64 burst starts.
    """

    signals: torch.Tensor
    targets: torch.Tensor
    onsets: torch.Tensor
    labelled: torch.Tensor
    bursts: torch.Tensor


def _config(cls, config, overrides):
    if config is None:
        config = cls()
    elif not isinstance(config, cls):
        raise TypeError(f"config: expected a {cls.__name__} or None, got {type(config).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InvalidArgumentError(f"overrides: expected fields of {cls.__name__} {sorted(names)}, got {unknown}")
    return replace(config, **overrides) if overrides else config


def make_onset_burst(n: int, seed: int = 0, config: OnsetBurstConfig | None = None, **overrides) -> OnsetBurstSet:
    """Generate ``n`` signals with a subtle onset followed by a dominant burst.

    Args:
        n: number of signals.
        seed: seed of the generator (the same seed gives the same set).
        config: an :class:`OnsetBurstConfig`; keyword ``overrides`` replace its fields.

    Returns:
        An :class:`OnsetBurstSet`.

    Example:
        >>> data = make_onset_burst(8, seed=1, label_jitter=10.0)
        >>> data.signals.shape, data.targets.shape
        (torch.Size([8, 1, 512]), torch.Size([8, 1, 512]))
    """
    n = check_positive_int(n, "n")
    if not is_integer(seed):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    cfg = _config(OnsetBurstConfig, config, overrides)
    rng = np.random.default_rng(seed)
    L = cfg.length
    t = np.arange(L, dtype=np.float64)

    onsets = np.floor(rng.uniform(*cfg.onset_range, size=n) * L).astype(np.int64)
    gaps = np.round(rng.uniform(*cfg.gap, size=n)).astype(np.int64)
    bursts = onsets + gaps
    a_on = rng.uniform(*cfg.onset_amplitude, size=n)
    a_burst = rng.uniform(*cfg.burst_amplitude, size=n)
    # Onset and burst differ in frequency content, as P/S or edge/texture do.
    f_on = rng.uniform(0.04, 0.09, size=n)
    f_burst = rng.uniform(0.10, 0.20, size=n)
    phase = rng.uniform(0, 2 * np.pi, size=(n, 2))
    noise = rng.standard_normal((n, L))
    # Mildly coloured noise (3-tap smoothing, rescaled to unit variance).
    noise = (noise + np.roll(noise, 1, axis=1) + np.roll(noise, -1, axis=1)) / math.sqrt(3.0)

    dt_on = t[None, :] - onsets[:, None]
    ramp = np.clip(dt_on / max(cfg.ramp, 1e-9), 0.0, 1.0) if cfg.ramp > 0 else (dt_on >= 0).astype(float)
    onset_wave = a_on[:, None] * ramp * np.sin(2 * np.pi * f_on[:, None] * dt_on + phase[:, :1])
    dt_b = t[None, :] - bursts[:, None]
    envelope = np.where(dt_b >= 0, np.exp(-np.clip(dt_b, 0, None) / cfg.burst_decay), 0.0)
    envelope *= np.clip(dt_b / 3.0, 0.0, 1.0)  # a sharp but not instantaneous rise
    burst_wave = a_burst[:, None] * envelope * np.sin(2 * np.pi * f_burst[:, None] * dt_b + phase[:, 1:])
    signals = noise + onset_wave + burst_wave
    signals /= np.abs(signals).max(axis=1, keepdims=True)

    shift = cfg.label_bias + cfg.label_jitter * rng.standard_normal(n)
    labelled = np.clip(np.round(onsets + shift), 0, L - 1).astype(np.int64)
    targets = gaussian_peaks(labelled, L, cfg.label_width)

    return OnsetBurstSet(
        signals=torch.from_numpy(signals[:, None, :].astype(np.float32)),
        targets=torch.from_numpy(targets[:, None, :].astype(np.float32)),
        onsets=torch.from_numpy(onsets),
        labelled=torch.from_numpy(labelled),
        bursts=torch.from_numpy(bursts),
    )


# --- 2D -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContourConfig:
    """Parameters of the 2D faint-contour-inside-strong-contour problem (sizes in pixels).

    Attributes:
        size: ``(H, W)`` of each image.
        radius: ``(low, high)`` radius of the strong contour, as a fraction of ``min(H, W)``.
        inset: ``(low, high)`` distance of the faint contour inside the strong one.
        strong_contrast: intensity step across the strong contour, in noise standard deviations.
        faint_contrast: ``(low, high)`` intensity step across the faint contour, in noise standard deviations.
        wobble: relative amplitude of the radius' angular modulation (0: ellipses).
        label_width: standard deviation of the Gaussian ridge of each label.
        label_jitter: standard deviation of each labelled radius around the true one.
        label_bias: systematic offset of the labelled radii (positive: outwards).
    """

    size: tuple[int, int] = (48, 48)
    radius: tuple[float, float] = (0.22, 0.36)
    inset: tuple[float, float] = (2.0, 4.0)
    strong_contrast: float = 6.0
    faint_contrast: tuple[float, float] = (0.6, 1.2)
    wobble: float = 0.12
    label_width: float = 0.8
    label_jitter: float = 0.8
    label_bias: float = 0.0

    def __post_init__(self) -> None:
        if (
            not isinstance(self.size, (tuple, list))
            or len(self.size) != 2
            or not all(is_integer(s) and s >= 12 for s in self.size)
        ):
            raise InvalidArgumentError(f"size: expected a pair of ints >= 12, got {self.size!r}")
        lo, hi = _check_interval(self.radius, "radius")
        if lo <= 0 or hi >= 0.5:
            raise InvalidArgumentError(f"radius: expected fractions in (0, 0.5), got {self.radius!r}")
        _check_interval(self.inset, "inset", low=0.5)
        _check_nonneg(self.strong_contrast, "strong_contrast")
        _check_interval(self.faint_contrast, "faint_contrast")
        w = _check_nonneg(self.wobble, "wobble")
        if w >= 0.5:
            raise InvalidArgumentError(f"wobble: expected a float in [0, 0.5), got {self.wobble!r}")
        if _check_nonneg(self.label_width, "label_width") == 0:
            raise InvalidArgumentError(f"label_width: expected a positive float, got {self.label_width!r}")
        _check_nonneg(self.label_jitter, "label_jitter")
        _check_nonneg(self.label_bias, "label_bias", allow_negative=True)


class ContourSet(NamedTuple):
    """A batch of the 2D problem.

    Attributes:
        images: ``(N, 1, H, W)`` float32, standardised per image.
        targets: ``(N, 2, H, W)`` float32 boundary ridges of height 1: channel 0
            the strong contour, channel 1 the faint one, at the labelled (jittered) radii.
        true_boundaries: ``(N, 2, H, W)`` bool, the pixels within half a pixel of each true contour.
    """

    images: torch.Tensor
    targets: torch.Tensor
    true_boundaries: torch.Tensor


def make_contour_images(n: int, seed: int = 0, config: ContourConfig | None = None, **overrides) -> ContourSet:
    """Generate ``n`` images with a faint contour a few pixels inside a strong one.

    Each shape is a star-shaped blob ``r(theta) = R (1 + wobble * cos(k theta + phi))``
    around a random centre; the faint contour follows ``r(theta) - inset``.

    Args:
        n: number of images.
        seed: seed of the generator.
        config: a :class:`ContourConfig`; keyword ``overrides`` replace its fields.

    Returns:
        A :class:`ContourSet`.
    """
    n = check_positive_int(n, "n")
    if not is_integer(seed):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    cfg = _config(ContourConfig, config, overrides)
    rng = np.random.default_rng(seed)
    H, W = cfg.size
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    m = min(H, W)
    images = np.empty((n, 1, H, W))
    targets = np.empty((n, 2, H, W))
    truth = np.empty((n, 2, H, W), dtype=bool)
    for i in range(n):
        R = rng.uniform(*cfg.radius) * m
        margin = R * (1 + cfg.wobble) + 2
        cy = rng.uniform(margin, H - margin) if H > 2 * margin else H / 2
        cx = rng.uniform(margin, W - margin) if W > 2 * margin else W / 2
        k = int(rng.integers(2, 5))
        phi = rng.uniform(0, 2 * np.pi)
        inset = rng.uniform(*cfg.inset)
        faint = rng.uniform(*cfg.faint_contrast)
        sign = rng.choice([-1.0, 1.0])
        theta = np.arctan2(yy - cy, xx - cx)
        rho = np.hypot(yy - cy, xx - cx)
        r_strong = R * (1 + cfg.wobble * np.cos(k * theta + phi))
        r_faint = r_strong - inset
        # Signed distance (in radius units) to each contour; smooth steps of ~0.5 px.
        d_strong = rho - r_strong
        d_faint = rho - r_faint
        step = lambda d: 1.0 / (1.0 + np.exp(np.clip(d / 0.35, -50, 50)))  # noqa: E731 (1 inside)
        img = cfg.strong_contrast * step(d_strong) + sign * faint * step(d_faint)
        img += rng.standard_normal((H, W))
        images[i, 0] = (img - img.mean()) / img.std()
        jit = cfg.label_bias + cfg.label_jitter * rng.standard_normal(2)
        for c, d in enumerate((d_strong, d_faint)):
            targets[i, c] = np.exp(-0.5 * ((d - jit[c]) / cfg.label_width) ** 2)
            truth[i, c] = np.abs(d) <= 0.5
    return ContourSet(
        images=torch.from_numpy(images.astype(np.float32)),
        targets=torch.from_numpy(targets.astype(np.float32)),
        true_boundaries=torch.from_numpy(truth),
    )
