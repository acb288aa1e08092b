import dataclasses

import numpy as np
import pytest
import torch

from shapeloss.errors import InvalidArgumentError
from shapeloss.seismic import SyntheticBatches, SyntheticConfig, synthetic_record, synthetic_windows


def test_same_seed_same_windows_other_seed_other_windows():
    a, b, c = synthetic_windows(6, seed=3), synthetic_windows(6, seed=3), synthetic_windows(6, seed=4)
    np.testing.assert_array_equal(a.waveforms, b.waveforms)
    np.testing.assert_array_equal(a.s_pick, b.s_pick)
    assert not np.array_equal(a.waveforms, c.waveforms)


def test_shapes_dtypes_and_normalisation():
    w = synthetic_windows(8, seed=0)
    assert w.waveforms.shape == (8, 3, 3001) and w.labels.shape == (8, 3, 3001)
    assert w.waveforms.dtype == np.float32 and w.labels.dtype == np.float32
    np.testing.assert_allclose(np.abs(w.waveforms).max(-1), 1.0, rtol=1e-5)
    assert 0.0 <= w.labels.min() and w.labels.max() <= 1.0


def test_parameters_stay_in_their_ranges():
    cfg = SyntheticConfig()
    w = synthetic_windows(400, seed=1, config=cfg)
    assert np.all((w.p_onset >= cfg.p_onset[0]) & (w.p_onset <= cfg.p_onset[1]))
    sp = w.s_onset - w.p_onset
    assert np.all((sp >= cfg.s_minus_p[0]) & (sp <= cfg.s_minus_p[1]))
    delay = w.s_burst - w.s_onset
    assert np.all(delay[w.s_impulsive] == 0)
    assert np.all((delay[~w.s_impulsive] >= cfg.burst_delay[0]) & (delay[~w.s_impulsive] <= cfg.burst_delay[1]))
    assert np.all((w.snr_db >= cfg.snr_db[0]) & (w.snr_db <= cfg.snr_db[1]))
    for pick in (w.p_pick, w.s_pick):
        assert np.all((pick >= cfg.margin) & (pick <= cfg.length - 1 - cfg.margin))
    assert 0.2 < w.s_impulsive.mean() < 0.4  # impulsive_s_fraction = 0.3
    # labels peak at the analyst picks
    np.testing.assert_array_equal(w.labels[:, 1].argmax(-1), np.round(w.s_pick).astype(int))


def test_pick_uncertainty_is_tied_to_the_onset_type():
    w = synthetic_windows(2000, seed=2)
    err = w.s_pick - w.s_onset
    assert np.abs(err[w.s_impulsive]).max() < 15  # impulsive: precise (std 2)
    assert err[~w.s_impulsive].std() > 15  # emergent: jittered and biased
    assert err[~w.s_impulsive].mean() > 5  # biased towards the later burst
    assert np.all(err[~w.s_impulsive] <= 0.5 * (w.s_burst - w.s_onset)[~w.s_impulsive] + 6 * 20)


def test_switching_uncertainty_off_gives_precise_picks():
    cfg = SyntheticConfig(emergent_s_jitter=0.0, burst_bias=0.0, impulsive_s_jitter=0.0)
    w = synthetic_windows(50, seed=0, config=cfg)
    np.testing.assert_allclose(w.s_pick, w.s_onset)


def test_bad_config_is_refused():
    with pytest.raises(InvalidArgumentError, match="length"):
        SyntheticConfig(length=1000)
    with pytest.raises(InvalidArgumentError, match="impulsive_s_fraction"):
        SyntheticConfig(impulsive_s_fraction=1.5)
    with pytest.raises(InvalidArgumentError, match="snr_db"):
        dataclasses.replace(SyntheticConfig(), snr_db=(10.0, 5.0))
    with pytest.raises(InvalidArgumentError, match="n"):
        synthetic_windows(0)


def test_batches_depend_only_on_seed_and_step():
    batches = SyntheticBatches(4, seed=7)
    x1, y1 = batches(5)
    x2, y2 = SyntheticBatches(4, seed=7)(5)
    assert isinstance(x1, torch.Tensor) and x1.shape == (4, 3, 3001)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, batches(6)[0])


def test_record_places_known_events():
    rec = synthetic_record(duration_s=120.0, n_events=3, seed=0)
    assert rec.waveforms.shape == (3, 12000)
    assert len(rec.p_picks) == 3 and np.all(np.diff(rec.p_picks) > 0)
    assert np.all(rec.s_picks > rec.p_picks)
    with pytest.raises(InvalidArgumentError, match="duration_s"):
        synthetic_record(duration_s=30.0, n_events=3)
