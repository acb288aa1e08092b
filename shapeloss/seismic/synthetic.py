"""Synthetic 3-component seismograms whose S picks carry the analyst's uncertainty.

Why this generator exists: amplitude suppression appears when the *position* of a label cannot
be read exactly from the input. Point-wise BCE then learns the label averaged over the positions
that are consistent with the waveform: a Gaussian of sigma 20 blurred by a pick uncertainty of
standard deviation ``j`` peaks at about ``20 / sqrt(20**2 + j**2)``: 0.71 for ``j = 20`` (right at
the 0.7 pick threshold, so a BCE-trained net drifts above and below it from one step to the
next), 0.62 for ``j = 25`` (the default), less once the pick is also biased towards the burst. An adversarial shape
critic pushes the network to emit label-shaped (height-1) peaks instead.

The generator ties that uncertainty to what the waveform shows, as analysts do:

* **impulsive S** (a fraction ``impulsive_s_fraction`` of windows): the S wave starts with its
  large burst; the pick is precise (jitter ``impulsive_s_jitter`` samples). BCE picks these fine.
* **emergent S** (the rest): a small-amplitude onset that grows slowly, then, ``burst_delay``
  later, a much larger burst on the horizontals and a coda. The pick is the true onset plus
  Gaussian jitter of ``emergent_s_jitter`` samples plus a bias towards the burst of a random
  fraction (uniform in ``[0, burst_bias]``) of the onset-to-burst delay. BCE leaves these as
  peaks in the 0.3-0.7 band.

P is always impulsive and precisely picked (``p_jitter``), mostly on the vertical component.

Values that make suppression appear and vanish (the benchmark in ``benchmarks/seismic_s_phase.py``
measures them): ``emergent_s_jitter=25`` with ``burst_bias=0.5`` gives suppressed emergent S
(with ``20``, BCE's emergent S peaks sit at 0.6-0.7, and in one of three H200 runs over a third of
them crossed 0.7);
``emergent_s_jitter=0`` and ``burst_bias=0`` give precisely picked emergent S and no suppression;
``impulsive_s_fraction=1`` removes emergent S altogether.

Everything is vectorised numpy, seeded through :class:`numpy.random.Generator`: all of a batch's
random draws are made first, then its windows are rendered eight at a time (small temporaries
that stay in the CPU's cache). About 7,000 windows of 3001 samples per second on one core
(``benchmarks/throughput.py``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._validation import is_integer
from ..errors import InvalidArgumentError
from .labels import LABEL_SIGMA, gaussian_labels, normalize_rows_
from .synthetic_noise import _n_fft, _noise_spectrum, _noise_variates

__all__ = [
    "SyntheticConfig",
    "SyntheticWindows",
    "synthetic_windows",
    "SyntheticBatches",
    "SyntheticRecord",
    "synthetic_record",
]

SAMPLING_RATE = 100.0

#: How :func:`synthetic_windows` draws the complex Gaussian spectrum of its background noise.
NOISE_DRAWS = ("box_muller", "ziggurat")


@dataclass(frozen=True)
class SyntheticConfig:
    """Parameters of the synthetic seismograms. Ranges are ``(low, high)``, drawn uniformly.

    Times are in samples at 100 Hz unless the name says ``_hz`` or ``_db``.

    Attributes:
        length: window length (PhaseNet: 3001 samples, 30 s).
        p_onset: range of the P onset position in the window.
        s_minus_p: range of the S-P time (true S onset minus P onset).
        burst_delay: range of the delay between an emergent S onset and its burst
            (10-120 samples: 0.1-1.2 s).
        impulsive_s_fraction: probability that a window's S onset is impulsive (picked precisely);
            the rest are emergent (picked with uncertainty).
        p_jitter: std of the P pick around the true P onset (samples).
        impulsive_s_jitter: std of the pick of an impulsive S onset.
        emergent_s_jitter: std of the random part of the pick of an emergent S onset.
        burst_bias: the pick of an emergent S onset moves towards the burst by a fraction of the
            onset-to-burst delay drawn uniformly in ``[0, burst_bias]`` (0.5: up to halfway).
        snr_db: range of the P amplitude over the background noise std, in dB (20 log10).
        s_to_p_amplitude: range of the S burst amplitude over the P amplitude.
        emergent_onset_amplitude: range of the emergent onset's amplitude, as a fraction of the S
            burst amplitude (the 'small amplitude' before the burst).
        p_frequency_hz: range of the P carrier frequency.
        s_frequency_hz: range of the S carrier frequency.
        p_decay: range of the P coda e-folding time.
        s_decay: range of the S coda e-folding time.
        p_horizontal: range of the horizontal-to-vertical amplitude of P (P is mostly vertical).
        s_vertical: range of the vertical-to-horizontal amplitude of S (S is mostly horizontal).
        noise_exponent: range of the background noise spectral exponent: amplitude spectrum
            ``~ 1 / f**(exponent / 2)`` above ``noise_corner_hz`` (0: white, 2: red).
        noise_corner_hz: the noise spectrum is flat below this frequency.
        label_sigma: std of the Gaussian labels, in samples.
        margin: picks stay at least this many samples inside the window (and the S burst too).
        noise_draw: how the noise spectrum's independent N(0, 1) real and imaginary parts are
            drawn. ``"box_muller"`` (the default) puts float32 uniforms through the Box-Muller
            transform, about 4x faster than ``"ziggurat"``, numpy's ``standard_normal``. Both
            draw the same noise model but different windows for a given seed; ``"ziggurat"``
            reproduces the windows of shapeloss 0.1 and of every synthetic result recorded
            without a ``noise_draw`` field.
    """

    length: int = 3001
    p_onset: tuple[float, float] = (300.0, 1300.0)
    s_minus_p: tuple[float, float] = (60.0, 1200.0)
    burst_delay: tuple[float, float] = (10.0, 120.0)
    impulsive_s_fraction: float = 0.3
    p_jitter: float = 2.0
    impulsive_s_jitter: float = 2.0
    emergent_s_jitter: float = 25.0
    burst_bias: float = 0.5
    snr_db: tuple[float, float] = (6.0, 40.0)
    s_to_p_amplitude: tuple[float, float] = (1.5, 4.0)
    emergent_onset_amplitude: tuple[float, float] = (0.1, 0.3)
    p_frequency_hz: tuple[float, float] = (4.0, 10.0)
    s_frequency_hz: tuple[float, float] = (2.0, 6.0)
    p_decay: tuple[float, float] = (30.0, 150.0)
    s_decay: tuple[float, float] = (80.0, 400.0)
    p_horizontal: tuple[float, float] = (0.1, 0.4)
    s_vertical: tuple[float, float] = (0.1, 0.4)
    noise_exponent: tuple[float, float] = (0.0, 2.0)
    noise_corner_hz: float = 1.0
    label_sigma: float = LABEL_SIGMA
    margin: int = 100
    noise_draw: str = "box_muller"

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                if len(value) != 2 or not all(np.isfinite(v) for v in value) or value[0] > value[1]:
                    raise InvalidArgumentError(f"{field.name}: expected a finite range (low, high) with low <= high, got {value!r}")
                if field.name != "noise_exponent" and value[0] < 0:
                    raise InvalidArgumentError(f"{field.name}: expected a non-negative range, got {value!r}")
        if not 0.0 <= self.impulsive_s_fraction <= 1.0:
            raise InvalidArgumentError(f"impulsive_s_fraction: expected a probability in [0, 1], got {self.impulsive_s_fraction!r}")
        for name in ("p_jitter", "impulsive_s_jitter", "emergent_s_jitter", "burst_bias", "noise_corner_hz"):
            if not getattr(self, name) >= 0:
                raise InvalidArgumentError(f"{name}: expected a non-negative float, got {getattr(self, name)!r}")
        if self.noise_draw not in NOISE_DRAWS:
            raise InvalidArgumentError(f"noise_draw: expected one of {NOISE_DRAWS}, got {self.noise_draw!r}")
        if not self.label_sigma > 0:
            raise InvalidArgumentError(f"label_sigma: expected a float > 0, got {self.label_sigma!r}")
        latest = self.p_onset[1] + self.s_minus_p[1] + self.burst_delay[1] + self.margin
        if self.p_onset[0] < self.margin or latest > self.length:
            raise InvalidArgumentError(
                f"length: expected room for the P onset range {self.p_onset}, S-P {self.s_minus_p}, "
                f"burst delay {self.burst_delay} and margin {self.margin} (at least {latest:.0f} samples), "
                f"got {self.length}"
            )


@dataclass
class SyntheticWindows:
    """A batch of synthetic windows and what generated them.

    Attributes:
        waveforms: ``(B, 3, L)`` float32 components E, N, Z, per-channel demeaned and
            peak-normalised.
        labels: ``(B, 3, L)`` float32 P, S and noise labels (Gaussian at the *picks*).
        p_pick, s_pick: ``(B,)`` analyst picks in samples (what the labels show).
        p_onset, s_onset: ``(B,)`` true onsets in samples.
        s_burst: ``(B,)`` position of the large S burst (equal to ``s_onset`` when impulsive).
        s_impulsive: ``(B,)`` bool, whether the S onset is impulsive.
        snr_db: ``(B,)`` P amplitude over noise std, in dB.
    """

    waveforms: np.ndarray
    labels: np.ndarray
    p_pick: np.ndarray
    s_pick: np.ndarray
    p_onset: np.ndarray
    s_onset: np.ndarray
    s_burst: np.ndarray
    s_impulsive: np.ndarray
    snr_db: np.ndarray

    def __len__(self) -> int:
        return self.waveforms.shape[0]


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], n: int) -> np.ndarray:
    return rng.uniform(bounds[0], bounds[1], n)


# Windows are rendered this many at a time: the temporaries of a chunk stay in the CPU's cache
# and under glibc's mmap threshold, instead of being faulted in afresh for every batch (that
# alone cost half the time of a batch of 100). The random draws are made for the whole batch
# first, so the windows do not depend on the chunk size.
_CHUNK = 8


def _chunks(n: int) -> list[slice]:
    return [slice(lo, min(lo + _CHUNK, n)) for lo in range(0, n, _CHUNK)]


def _render_noise(exponent: np.ndarray, variates: np.ndarray, length: int, config: SyntheticConfig) -> np.ndarray:
    """Unit-std noise ``(m, channels, length)`` with amplitude spectrum flat below the corner and
    ``f**(-exponent/2)`` above; its rows may be strided by the FFT length."""
    n_fft = _n_fft(length)
    spectrum = _noise_spectrum(exponent, variates, np.fft.rfftfreq(n_fft, d=1.0 / SAMPLING_RATE), config)
    noise = np.fft.irfft(spectrum, n=n_fft, axis=-1)[..., :length].astype(np.float32, copy=False)
    noise /= noise.std(axis=-1, keepdims=True) + 1e-12
    return noise


def _coloured_noise(rng: np.random.Generator, n: int, channels: int, length: int, config: SyntheticConfig) -> np.ndarray:
    """``(n, channels, length)`` float32 unit-std coloured noise (see :func:`_render_noise`)."""
    exponent = _uniform(rng, config.noise_exponent, n)
    variates = _noise_variates(rng, (n, channels, _n_fft(length) // 2 + 1), config.noise_draw)
    return _render_noise(exponent, variates, length, config)


def _wave(t: np.ndarray, freq: np.ndarray, phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """In-phase and quadrature carriers ``(B, L)`` (components mix them for varied polarisation)."""
    arg = ((2.0 * np.pi / SAMPLING_RATE) * freq[:, None]).astype(np.float32) * t + phase[:, None].astype(np.float32)
    return np.sin(arg), np.cos(arg)


def _add_mix(out: np.ndarray, weights: np.ndarray, sin: np.ndarray, cos: np.ndarray, envelope: np.ndarray) -> None:
    """``out += envelope * (w_sin sin + w_cos cos)`` per component; ``weights`` is ``(B, 3, 2)``."""
    envelope = envelope.astype(np.float32, copy=False)
    weights = weights.astype(np.float32, copy=False)
    out += weights[..., 0:1] * (envelope * sin)[:, None, :]
    out += weights[..., 1:2] * (envelope * cos)[:, None, :]


def _component_weights(rng: np.random.Generator, n: int, main: np.ndarray, vertical_main: bool) -> np.ndarray:
    """Per-component (E, N, Z) weights of the sin and cos carriers, with random signs."""
    weights = rng.standard_normal((n, 3, 2)).astype(np.float32)
    weights /= np.linalg.norm(weights, axis=-1, keepdims=True) + 1e-12
    scale = np.ones((n, 3), dtype=np.float32)
    if vertical_main:
        scale[:, :2] = main[:, None]
    else:
        scale[:, 2] = main
        # random azimuth: split the horizontal energy between E and N
        azimuth = rng.uniform(0, np.pi / 2, n)
        scale[:, 0] = np.cos(azimuth) + 0.3
        scale[:, 1] = np.sin(azimuth) + 0.3
    return weights * scale[..., None]


#: The per-window event parameters that :class:`SyntheticWindows` reports.
_REPORTED = ("p_pick", "s_pick", "p_onset", "s_onset", "s_burst", "s_impulsive", "snr_db")


def _draw_events(rng: np.random.Generator, n: int, config: SyntheticConfig) -> dict[str, np.ndarray]:
    """Every random draw of ``n`` events, in shapeloss 0.1's order (the same seed, the same events)."""
    length = config.length
    d: dict[str, np.ndarray] = {}
    # Times: P onset, S onset, S burst; analyst picks.
    d["p_onset"] = p_onset = _uniform(rng, config.p_onset, n)
    d["s_onset"] = s_onset = p_onset + _uniform(rng, config.s_minus_p, n)
    d["s_impulsive"] = impulsive = rng.random(n) < config.impulsive_s_fraction
    d["delay"] = delay = np.where(impulsive, 0.0, _uniform(rng, config.burst_delay, n))
    d["s_burst"] = s_onset + delay
    p_pick = p_onset + config.p_jitter * rng.standard_normal(n)
    emergent_offset = config.emergent_s_jitter * rng.standard_normal(n) + rng.uniform(0, config.burst_bias, n) * delay
    s_pick = s_onset + np.where(impulsive, config.impulsive_s_jitter * rng.standard_normal(n), emergent_offset)
    lo, hi = config.margin, length - 1 - config.margin
    d["p_pick"] = np.clip(p_pick, lo, hi)
    d["s_pick"] = np.clip(s_pick, lo, hi)
    # Amplitudes relative to unit-std background noise.
    d["snr_db"] = snr_db = _uniform(rng, config.snr_db, n)
    d["p_amp"] = p_amp = 10.0 ** (snr_db / 20.0)
    d["s_amp"] = s_amp = p_amp * _uniform(rng, config.s_to_p_amplitude, n)
    d["onset_amp"] = s_amp * _uniform(rng, config.emergent_onset_amplitude, n)
    # Carriers, codas and polarisations.
    d["p_freq"] = _uniform(rng, config.p_frequency_hz, n)
    d["p_decay"] = _uniform(rng, config.p_decay, n)
    d["p_phase"] = rng.uniform(0, 2 * np.pi, n)
    d["p_weights"] = _component_weights(rng, n, _uniform(rng, config.p_horizontal, n), True)
    d["s_freq"] = _uniform(rng, config.s_frequency_hz, n)
    d["s_decay"] = _uniform(rng, config.s_decay, n)
    d["s_phase"] = rng.uniform(0, 2 * np.pi, n)
    d["s_weights"] = _component_weights(rng, n, _uniform(rng, config.s_vertical, n), False)
    return d


def _render_events(d: dict[str, np.ndarray], length: int, out: np.ndarray) -> None:
    """Write the noise-free P and S signals of the drawn events into ``out`` ``(m, 3, L)``, at
    amplitudes relative to unit-std noise."""
    t = np.arange(length, dtype=np.float32)[None, :]
    out[...] = 0.0

    # P: sharp rise (a quarter period), exponential coda, mostly on the vertical.
    p_freq = d["p_freq"]
    tp = np.maximum(t - d["p_onset"][:, None].astype(np.float32), 0.0)
    rise = (SAMPLING_RATE / (4.0 * p_freq))[:, None]
    p_decay = d["p_decay"][:, None].astype(np.float32)
    p_env = (d["p_amp"][:, None].astype(np.float32) * (tp > 0)) * (1.0 - np.exp(-tp / rise.astype(np.float32))) * np.exp(-tp / p_decay)
    sin, cos = _wave(tp, p_freq, d["p_phase"])
    _add_mix(out, d["p_weights"], sin, cos, p_env)

    # S: from the onset, a small amplitude growing linearly from half to all of the emergent
    # level until the burst (nothing for impulsive onsets), then the burst with a sharp rise and a long coda; mostly
    # on the horizontals.
    s_freq, delay = d["s_freq"], d["delay"]
    ts = t - d["s_onset"][:, None].astype(np.float32)
    tb = np.maximum(t - d["s_burst"][:, None].astype(np.float32), 0.0)
    burst_rise = (SAMPLING_RATE / (4.0 * s_freq))[:, None].astype(np.float32)
    ts_pos = np.maximum(ts, 0.0)
    ramp = 0.5 + 0.5 * np.minimum(ts_pos / np.maximum(delay, 1.0)[:, None].astype(np.float32), 1.0)
    emergent_env = (d["onset_amp"] * ~d["s_impulsive"])[:, None].astype(np.float32) * ramp * (1.0 - np.exp(-ts_pos / burst_rise))
    s_decay = d["s_decay"][:, None].astype(np.float32)
    burst_env = (d["s_amp"][:, None].astype(np.float32) * (tb > 0)) * (1.0 - np.exp(-tb / burst_rise)) * np.exp(-tb / s_decay)
    s_env = emergent_env * (tb <= 0) + burst_env
    sin, cos = _wave(ts_pos, s_freq, d["s_phase"])
    _add_mix(out, d["s_weights"], sin, cos, s_env)


def _rows(draws: dict[str, np.ndarray], rows: slice) -> dict[str, np.ndarray]:
    return {key: value[rows] for key, value in draws.items()}


def synthetic_windows(
    n: int,
    seed: int | np.random.Generator | None = 0,
    config: SyntheticConfig | None = None,
) -> SyntheticWindows:
    """Generate ``n`` labelled 3-component windows.

    Args:
        n: number of windows.
        seed: an int seed (the same seed gives the same windows) or a ``numpy.random.Generator``.
        config: generator parameters (:class:`SyntheticConfig` defaults when ``None``).

    Returns:
        :class:`SyntheticWindows` with normalised waveforms ``(n, 3, L)`` (E, N, Z), labels
        ``(n, 3, L)`` (P, S, noise) and the per-window parameters.

    Example:
        >>> batch = synthetic_windows(4, seed=1)
        >>> batch.waveforms.shape, batch.labels.shape
        ((4, 3, 3001), (4, 3, 3001))
    """
    if not is_integer(n) or n < 1:
        raise InvalidArgumentError(f"n: expected an int >= 1, got {n!r}")
    if config is None:
        config = SyntheticConfig()
    elif not isinstance(config, SyntheticConfig):
        raise TypeError(f"config: expected a SyntheticConfig, got {type(config).__name__}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    length = config.length
    events = _draw_events(rng, n, config)
    exponent = _uniform(rng, config.noise_exponent, n)
    waveforms = np.empty((n, 3, length), dtype=np.float32)
    for rows in _chunks(n):
        chunk = waveforms[rows]
        _render_events(_rows(events, rows), length, chunk)
        variates = _noise_variates(rng, (len(chunk), 3, _n_fft(length) // 2 + 1), config.noise_draw)
        chunk += _render_noise(exponent[rows], variates, length, config)
        normalize_rows_(chunk)
    labels = gaussian_labels(events["p_pick"], events["s_pick"], length, sigma=config.label_sigma)
    return SyntheticWindows(waveforms=waveforms, labels=labels, **{key: events[key] for key in _REPORTED})


class SyntheticBatches:
    """Training batches as a function of the step: ``batches(step) -> (inputs, labels)`` tensors.

    Batch ``k`` depends only on ``(seed, k)``, so a resumed run sees the same data as an
    uninterrupted one, and two arms given the same seed see the same windows.

    Args:
        batch_size: windows per batch.
        seed: base seed.
        config: generator parameters.
    """

    def __init__(self, batch_size: int, seed: int = 0, config: SyntheticConfig | None = None) -> None:
        if not is_integer(batch_size) or batch_size < 1:
            raise InvalidArgumentError(f"batch_size: expected an int >= 1, got {batch_size!r}")
        self.batch_size = batch_size
        self.seed = int(seed)
        self.config = config or SyntheticConfig()

    def __call__(self, step: int):
        import torch

        windows = synthetic_windows(self.batch_size, np.random.default_rng([self.seed, int(step)]), self.config)
        return torch.from_numpy(windows.waveforms), torch.from_numpy(windows.labels)


@dataclass
class SyntheticRecord:
    """A continuous synthetic record with known events.

    Attributes:
        waveforms: ``(3, N)`` float32 components E, N, Z (not normalised).
        p_picks, s_picks: analyst pick positions in samples, one per event.
        sampling_rate: 100 Hz.
    """

    waveforms: np.ndarray
    p_picks: np.ndarray
    s_picks: np.ndarray
    sampling_rate: float = SAMPLING_RATE


def synthetic_record(
    duration_s: float = 300.0,
    n_events: int = 6,
    seed: int = 0,
    config: SyntheticConfig | None = None,
) -> SyntheticRecord:
    """A multi-minute continuous record made of non-overlapping synthetic events over noise.

    Each event is the noise-free signal of one :func:`synthetic_windows` window, added at a
    random position inside its own slot of the record over one continuous unit-std noise.

    Args:
        duration_s: record length in seconds (at 100 Hz).
        n_events: number of events; each occupies its own slot of ``duration / n_events``.
        seed: random seed.
        config: generator parameters; its ``length`` must fit in a slot.
    """
    config = config or SyntheticConfig()
    total = int(round(duration_s * SAMPLING_RATE))
    if not is_integer(n_events) or n_events < 1:
        raise InvalidArgumentError(f"n_events: expected an int >= 1, got {n_events!r}")
    slot = total // n_events
    if slot < config.length:
        raise InvalidArgumentError(
            f"duration_s: expected at least {n_events * config.length / SAMPLING_RATE:g} s for {n_events} events "
            f"of {config.length} samples, got {duration_s}"
        )
    rng = np.random.default_rng(seed)
    params = _draw_events(rng, n_events, config)
    signals = np.empty((n_events, 3, config.length), dtype=np.float32)
    _render_events(params, config.length, signals)
    record = np.ascontiguousarray(_coloured_noise(rng, 1, 3, total, config)[0])
    p_picks, s_picks = [], []
    for k in range(n_events):
        start = k * slot + int(rng.integers(0, slot - config.length + 1))
        record[:, start : start + config.length] += signals[k]
        p_picks.append(start + params["p_pick"][k])
        s_picks.append(start + params["s_pick"][k])
    return SyntheticRecord(record.astype(np.float32), np.asarray(p_picks), np.asarray(s_picks))
