"""Tests of shapeloss.seismic.synthetic_records: long synthetic records with a catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from shapeloss.errors import InvalidArgumentError
from shapeloss.seismic import SyntheticConfig, event_record


def test_catalogue_is_consistent_and_noise_holds_no_event():
    rec = event_record(900.0, events_per_hour=80.0, seed=2)
    n = rec.waveforms.shape[1]
    assert rec.waveforms.shape == (3, 90_000) and rec.waveforms.dtype == np.float32
    assert np.isfinite(rec.waveforms).all()
    k = rec.p_picks.size
    assert k > 0 and all(a.size == k for a in (rec.s_picks, rec.p_onsets, rec.s_onsets, rec.s_impulsive, rec.snr_db))
    assert np.all(rec.s_onsets > rec.p_onsets) and np.all(np.diff(rec.p_picks) >= 0)
    assert np.all((rec.p_picks >= 0) & (rec.s_picks < n))
    iv = rec.noise_intervals
    assert iv.ndim == 2 and np.all(iv[:, 1] > iv[:, 0]) and np.all(iv[1:, 0] > iv[:-1, 1])
    for pos in np.concatenate([rec.p_picks, rec.s_picks, rec.p_onsets, rec.s_onsets]):
        assert not np.any((pos >= iv[:, 0] - 100) & (pos < iv[:, 1] + 100))
    assert 0 < rec.noise_seconds < 900.0


def test_noise_intervals_are_quiet_and_events_loud():
    rec = event_record(600.0, events_per_hour=60.0, seed=5, config=SyntheticConfig(snr_db=(30.0, 30.0)))
    quiet = np.zeros(rec.waveforms.shape[1], dtype=bool)
    for a, b in rec.noise_intervals:
        quiet[a:b] = True
    assert np.abs(rec.waveforms[:, quiet]).max() < 8.0  # unit-std noise only
    assert np.abs(rec.waveforms[:, ~quiet]).max() > 20.0  # 30 dB events


def test_seed_repeats_and_close_pairs_appear():
    a, b = event_record(300.0, seed=7), event_record(300.0, seed=7)
    np.testing.assert_array_equal(a.waveforms, b.waveforms)
    np.testing.assert_array_equal(a.s_picks, b.s_picks)
    close = event_record(1800.0, events_per_hour=30.0, close_fraction=1.0, close_gap_s=(5.0, 6.0), seed=1)
    gaps = np.diff(close.p_onsets)
    assert np.any(gaps < 30 * 100)  # a second P inside the first event's window
    quiet = event_record(300.0, events_per_hour=0.0, seed=1)
    assert quiet.p_picks.size == 0 and quiet.noise_seconds == pytest.approx(300.0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(duration_s=10.0), "duration_s: expected at least one event window"),
        (dict(duration_s=-1.0), "duration_s: expected a finite float > 0"),
        (dict(events_per_hour=-3.0), "events_per_hour: expected a finite float >= 0"),
        (dict(close_fraction=1.5), "close_fraction: expected a share in [0, 1]"),
        (dict(close_gap_s=(5.0, 1.0)), "close_gap_s: expected a range"),
        (dict(coda=-1), "coda: expected an int >= 0"),
    ],
)
def test_bad_inputs_are_named(kwargs, words):
    with pytest.raises(InvalidArgumentError) as info:
        event_record(**kwargs)
    assert words in str(info.value)
