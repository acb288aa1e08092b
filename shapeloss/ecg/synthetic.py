"""A seeded synthetic ECG, for running the ECG benchmark without LUDB.

Each beat is a sum of Gaussian bumps in time (the morphology of McSharry et
al.'s ECGSYN, IEEE TBME 50:289, 2003, without its dynamical system): a P wave,
a Q-R-S complex and a T wave, each with a random amplitude and width. Beat
intervals vary with heart rate variability (random and respiratory), and the
record carries baseline wander, mains interference and white noise.

A wave's onset and offset are where its outermost Gaussian falls to
``exp(-boundary_sigmas**2 / 2)`` of its peak (``2.5`` sigma: 4 %). As in LUDB,
the first and last beats are left unannotated. Records come back as
:class:`~shapeloss.ecg.ludb.EcgRecord` with one lead, so everything that reads
LUDB reads them too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_int, is_integer
from ..errors import InvalidArgumentError
from .ludb import EcgRecord, Wave

__all__ = ["SyntheticEcgConfig", "make_synthetic_ecg"]


@dataclass(frozen=True)
class SyntheticEcgConfig:
    """Ranges of the synthetic ECG (amplitudes in mV, durations in seconds).

    Attributes:
        duration: record length, seconds.
        sampling_rate: Hz.
        heart_rate: ``(low, high)`` mean heart rate per record, beats per minute.
        hrv: standard deviation of the random beat-to-beat RR change, as a fraction of RR.
        p_amplitude, r_amplitude, t_amplitude: ``(low, high)`` wave amplitudes.
        inverted_t: probability that a record's T waves are negative.
        baseline_wander: ``(low, high)`` amplitude of the sub-0.5 Hz wander.
        noise: ``(low, high)`` standard deviation of white noise.
        mains: ``(low, high)`` amplitude of 50 Hz interference.
        boundary_sigmas: where a wave starts and ends, in standard deviations of its outer Gaussian.
    """

    duration: float = 10.0
    sampling_rate: float = 500.0
    heart_rate: tuple[float, float] = (50.0, 90.0)
    hrv: float = 0.03
    p_amplitude: tuple[float, float] = (0.05, 0.25)
    r_amplitude: tuple[float, float] = (0.5, 1.6)
    t_amplitude: tuple[float, float] = (0.1, 0.5)
    inverted_t: float = 0.15
    baseline_wander: tuple[float, float] = (0.0, 0.3)
    noise: tuple[float, float] = (0.005, 0.03)
    mains: tuple[float, float] = (0.0, 0.02)
    boundary_sigmas: float = 2.5

    def __post_init__(self) -> None:
        for name in ("heart_rate", "p_amplitude", "r_amplitude", "t_amplitude", "baseline_wander", "noise", "mains"):
            v = getattr(self, name)
            if not (isinstance(v, (tuple, list)) and len(v) == 2 and 0 <= v[0] <= v[1] and math.isfinite(v[1])):
                raise InvalidArgumentError(f"{name}: expected a pair (low, high) with 0 <= low <= high, got {v!r}")
        if not 20 <= self.heart_rate[0] and self.heart_rate[1] <= 120:
            raise InvalidArgumentError(f"heart_rate: expected beats per minute within [20, 120], got {self.heart_rate!r}")
        if not self.duration > 0 or not self.sampling_rate >= 100:
            raise InvalidArgumentError(
                f"duration, sampling_rate: expected > 0 s and >= 100 Hz, got {self.duration!r}, {self.sampling_rate!r}"
            )
        if not 0 <= self.hrv < 0.2:
            raise InvalidArgumentError(f"hrv: expected a fraction in [0, 0.2), got {self.hrv!r}")
        if not 0 <= self.inverted_t <= 1:
            raise InvalidArgumentError(f"inverted_t: expected a probability, got {self.inverted_t!r}")
        if not self.boundary_sigmas > 0:
            raise InvalidArgumentError(f"boundary_sigmas: expected a positive float, got {self.boundary_sigmas!r}")


def _one_record(rng: np.random.Generator, cfg: SyntheticEcgConfig, name: str) -> EcgRecord:
    fs = cfg.sampling_rate
    n = int(round(cfg.duration * fs))
    t = np.arange(n) / fs
    u = lambda pair: rng.uniform(*pair)  # noqa: E731

    rr0 = 60.0 / u(cfg.heart_rate)
    resp_f, resp_a = rng.uniform(0.15, 0.35), rng.uniform(0.0, 0.04)
    polarity = -1.0 if rng.random() < 0.1 else 1.0
    t_sign = -1.0 if rng.random() < cfg.inverted_t else 1.0
    # per-record morphology, jittered a little per beat
    p_amp, r_amp, t_amp = u(cfg.p_amplitude), u(cfg.r_amplitude), u(cfg.t_amplitude)
    q_amp, s_amp = rng.uniform(0.0, 0.15) * r_amp, rng.uniform(0.05, 0.4) * r_amp
    p_sig, t_sig = rng.uniform(0.010, 0.018), rng.uniform(0.030, 0.050)
    q_sig, r_sig, s_sig = rng.uniform(0.006, 0.010, size=3)
    pr = rng.uniform(0.12, 0.18)  # P centre to R
    qs = rng.uniform(0.018, 0.030)  # Q and S centres from R

    x = np.zeros(n)
    waves: list[Wave] = []
    beat_times = []
    r_time = rng.uniform(0.2, 0.2 + rr0)
    while r_time < cfg.duration + rr0:
        beat_times.append(r_time)
        rr = rr0 * (1 + cfg.hrv * rng.standard_normal() + resp_a * math.sin(2 * math.pi * resp_f * r_time))
        r_time += max(rr, 0.35)
    k = cfg.boundary_sigmas
    inside = [i for i, r in enumerate(beat_times) if 0 <= r < cfg.duration]
    edges = {inside[0], inside[-1]} if inside else set()
    for i, r in enumerate(beat_times):
        rr = (beat_times[i + 1] - r) if i + 1 < len(beat_times) else rr0
        qt = 0.20 + 0.10 * min(rr, 1.4)  # T centre to R shortens with the rate
        jitter = lambda: 1 + 0.05 * rng.standard_normal()  # noqa: E731
        bumps = [
            ("P", r - pr, p_amp * jitter(), p_sig),
            ("Q", r - qs, -q_amp * jitter(), q_sig),
            ("R", r, r_amp * jitter(), r_sig),
            ("S", r + qs, -s_amp * jitter(), s_sig),
            ("T", r + qt, t_sign * t_amp * jitter(), t_sig),
        ]
        for _, c, a, s in bumps:
            x += polarity * a * np.exp(-0.5 * ((t - c) / s) ** 2)
        if i in edges or i not in inside:
            continue  # unannotated first and last beats, as in LUDB
        idx = lambda sec: int(round(sec * fs))  # noqa: E731
        spans = [
            ("P", r - pr - k * p_sig, r - pr, r - pr + k * p_sig),
            ("QRS", r - qs - k * q_sig, r, r + qs + k * s_sig),
            ("T", r + qt - k * t_sig, r + qt, r + qt + k * t_sig),
        ]
        for kind, on, peak, off in spans:
            if on >= 0 and idx(off) < n:
                waves.append(Wave(kind, idx(on), idx(peak), idx(off)))
    wander = sum(
        u(cfg.baseline_wander) / 2 * np.sin(2 * np.pi * rng.uniform(0.05, 0.5) * t + rng.uniform(0, 2 * np.pi))
        for _ in range(2)
    )
    mains = u(cfg.mains) * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi))
    x = x + wander + mains + u(cfg.noise) * rng.standard_normal(n)
    waves.sort(key=lambda w: w.peak)
    return EcgRecord(name, x[None, :].astype(np.float32), fs, ["synthetic"], {"synthetic": waves})


def make_synthetic_ecg(n: int, seed: int = 0, config: SyntheticEcgConfig | None = None, **overrides) -> list[EcgRecord]:
    """Generate ``n`` one-lead synthetic records (ids ``"syn<seed>-<i>"``).

    Args:
        n: number of records.
        seed: the same seed gives the same records.
        config: a :class:`SyntheticEcgConfig`; keyword ``overrides`` replace its fields.

    Example:
        >>> rec = make_synthetic_ecg(1, seed=0)[0]
        >>> rec.signals.shape, sorted({w.kind for w in rec.waves["synthetic"]})
        ((1, 5000), ['P', 'QRS', 'T'])
    """
    n = check_positive_int(n, "n")
    if not is_integer(seed):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    if config is None:
        config = SyntheticEcgConfig()
    elif not isinstance(config, SyntheticEcgConfig):
        raise TypeError(f"config: expected a SyntheticEcgConfig or None, got {type(config).__name__}")
    if overrides:
        try:
            from dataclasses import replace

            config = replace(config, **overrides)
        except TypeError as e:
            raise InvalidArgumentError(f"overrides: expected fields of SyntheticEcgConfig, got {sorted(overrides)} ({e})") from None
    rng = np.random.default_rng(seed)
    return [_one_record(rng, config, f"syn{seed}-{i}") for i in range(n)]
