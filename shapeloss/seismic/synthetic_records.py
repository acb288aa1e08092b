"""Long synthetic records with a catalogue: events at a rate, close pairs, noise-only stretches.

:func:`synthetic_record` places a fixed number of events one per slot, which keeps them apart
and says nothing of the true onsets. A picker running on continuous data meets more: quiet
hours, events that arrive while the previous one's coda still rings, and analyst picks that
differ from the true onsets. :func:`event_record` draws event times from a Poisson process,
adds a close follower to a share of the events, renders each event with its full coda (the
window plus ``coda`` samples, so no event ends in a cut), and returns both the analyst picks
(what the labels of a training set would show) and the true onsets, with the intervals that
hold no event signal at all (where every pick is a false pick).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgumentError
from .synthetic import SAMPLING_RATE, SyntheticConfig, _coloured_noise, _draw_events, _render_events

__all__ = ["EventRecord", "event_record"]


@dataclass
class EventRecord:
    """A continuous record and its catalogue (positions in samples at 100 Hz, sorted by P pick).

    Attributes:
        waveforms: ``(3, N)`` float32 components E, N, Z over unit-std noise (not normalised).
        p_picks, s_picks: analyst picks (the true onsets plus the configured pick scatter).
        p_onsets, s_onsets: true onsets.
        s_impulsive: whether each S onset is impulsive.
        snr_db: each event's P amplitude over the noise, in dB.
        noise_intervals: ``(k, 2)`` ``[start, stop)`` intervals without any event signal.
        sampling_rate: 100 Hz.
    """

    waveforms: np.ndarray
    p_picks: np.ndarray
    s_picks: np.ndarray
    p_onsets: np.ndarray
    s_onsets: np.ndarray
    s_impulsive: np.ndarray
    snr_db: np.ndarray
    noise_intervals: np.ndarray
    sampling_rate: float = SAMPLING_RATE

    @property
    def noise_seconds(self) -> float:
        """Length of the noise-only intervals, in seconds."""
        return float(np.sum(self.noise_intervals[:, 1] - self.noise_intervals[:, 0])) / self.sampling_rate


def _positive(value: object, name: str, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or not (value >= 0 if allow_zero else value > 0):
        raise InvalidArgumentError(f"{name}: expected a finite float {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return float(value)


def event_record(
    duration_s: float = 600.0,
    events_per_hour: float = 60.0,
    close_fraction: float = 0.2,
    close_gap_s: tuple[float, float] = (5.0, 20.0),
    seed: int | np.random.Generator = 0,
    config: SyntheticConfig | None = None,
    coda: int = 2000,
) -> EventRecord:
    """A continuous record with Poisson event times, close pairs and noise-only stretches.

    Args:
        duration_s: record length in seconds.
        events_per_hour: rate of the Poisson process of (first) events.
        close_fraction: share of those events followed by a second one ``close_gap_s`` later
            (window start to window start: the second P can arrive inside the first S coda).
        close_gap_s: ``(low, high)`` range of that gap, in seconds.
        seed: an int seed or a ``numpy.random.Generator``.
        config: the event generator (:class:`SyntheticConfig`; its ``length`` is the event window).
        coda: samples rendered after the window so that codas decay instead of being cut.

    Returns:
        :class:`EventRecord`.

    Example:
        >>> rec = event_record(120.0, events_per_hour=90.0, seed=1)
        >>> rec.waveforms.shape, rec.p_picks.size == rec.s_onsets.size
        ((3, 12000), True)
    """
    config = config or SyntheticConfig()
    if not isinstance(config, SyntheticConfig):
        raise TypeError(f"config: expected a SyntheticConfig, got {type(config).__name__}")
    total = int(round(_positive(duration_s, "duration_s") * SAMPLING_RATE))
    rate = _positive(events_per_hour, "events_per_hour", allow_zero=True)
    if isinstance(close_fraction, bool) or not isinstance(close_fraction, (int, float)) or not 0 <= close_fraction <= 1:
        raise InvalidArgumentError(f"close_fraction: expected a share in [0, 1], got {close_fraction!r}")
    if not (isinstance(close_gap_s, (tuple, list)) and len(close_gap_s) == 2 and 0 <= close_gap_s[0] <= close_gap_s[1]):
        raise InvalidArgumentError(f"close_gap_s: expected a range (low, high) with 0 <= low <= high, got {close_gap_s!r}")
    if isinstance(coda, bool) or not isinstance(coda, int) or coda < 0:
        raise InvalidArgumentError(f"coda: expected an int >= 0, got {coda!r}")
    if total < config.length:
        raise InvalidArgumentError(f"duration_s: expected at least one event window ({config.length / SAMPLING_RATE:g} s), got {duration_s!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    last = total - config.length  # the last possible window start
    starts: list[int] = []
    t = rng.exponential(3600.0 / rate) if rate > 0 else np.inf
    while t * SAMPLING_RATE <= last:
        starts.append(int(t * SAMPLING_RATE))
        if rng.random() < close_fraction:
            follower = int((t + rng.uniform(*close_gap_s)) * SAMPLING_RATE)
            if follower <= last:
                starts.append(follower)
        t += rng.exponential(3600.0 / rate)
    starts_arr = np.sort(np.asarray(starts, dtype=np.int64))
    n = starts_arr.size

    record = np.ascontiguousarray(_coloured_noise(rng, 1, 3, total, config)[0])
    busy = np.zeros(total + 1, dtype=np.int64)
    fields = {k: np.zeros(0) for k in ("p_pick", "s_pick", "p_onset", "s_onset", "snr_db")}
    impulsive = np.zeros(0, dtype=bool)
    if n:
        d = _draw_events(rng, n, config)
        length = config.length + coda
        signals = np.empty((n, 3, length), dtype=np.float32)
        _render_events(d, length, signals)
        for k, s in enumerate(starts_arr):
            stop = min(total, s + length)
            record[:, s:stop] += signals[k, :, : stop - s]
            # the event's signal: from before its earliest pick to four coda e-folds after the burst
            lo = s + min(d["p_onset"][k], d["p_pick"][k]) - 200
            hi = s + max(d["s_burst"][k] + 4 * d["s_decay"][k], d["s_pick"][k] + 200)
            busy[max(0, int(lo))] += 1
            busy[min(total, int(np.ceil(hi)))] -= 1
        fields = {k: starts_arr + d[k] for k in fields if k != "snr_db"} | {"snr_db": d["snr_db"]}
        impulsive = d["s_impulsive"]
    quiet = np.cumsum(busy)[:total] == 0
    edges = np.diff(np.concatenate(([0], quiet.astype(np.int8), [0])))
    noise = np.stack([np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)], axis=1)
    order = np.argsort(fields["p_pick"], kind="stable")
    return EventRecord(
        waveforms=record.astype(np.float32, copy=False),
        p_picks=fields["p_pick"][order], s_picks=fields["s_pick"][order],
        p_onsets=fields["p_onset"][order], s_onsets=fields["s_onset"][order],
        s_impulsive=impulsive[order], snr_db=fields["snr_db"][order],
        noise_intervals=noise.astype(np.int64),
    )
