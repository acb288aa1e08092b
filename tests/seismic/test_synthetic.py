import dataclasses
from unittest import mock

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.errors import InvalidArgumentError
from shapeloss.seismic import SyntheticBatches, SyntheticConfig, synthetic_record, synthetic_windows
from shapeloss.seismic import synthetic as synthetic_module
from shapeloss.seismic.synthetic import NOISE_DRAWS


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


# Six samples of synthetic_windows(3, seed=7) as shapeloss 0.1 drew them (numpy's ziggurat
# normals for the noise): every synthetic result recorded without a noise_draw field used them.
_V01_SAMPLES = {
    (0, 0, 0): -0.24723713099956512,
    (0, 2, 1500): 0.14397339522838593,
    (1, 1, 2999): -0.026405958458781242,
    (2, 0, 777): 0.0067349388264119625,
    (2, 2, 3000): -0.049760833382606506,
    (1, 0, 123): 0.02290079928934574,
}


def test_ziggurat_draw_reproduces_the_windows_of_earlier_results():
    w = synthetic_windows(3, seed=7, config=SyntheticConfig(noise_draw="ziggurat"))
    for index, value in _V01_SAMPLES.items():
        assert float(w.waveforms[index]) == pytest.approx(value, abs=1e-5), index
    np.testing.assert_allclose(w.s_pick, [1241.36148093, 1587.22558747, 2124.46987755])
    # the draw changes the noise only: the events and picks are those of the default draw
    fast = synthetic_windows(3, seed=7)
    np.testing.assert_array_equal(fast.s_pick, w.s_pick)
    np.testing.assert_array_equal(fast.labels, w.labels)
    assert not np.allclose(fast.waveforms, w.waveforms)


@settings(max_examples=12, deadline=None)
@given(n=st.integers(1, 21), seed=st.integers(0, 2**16), draw=st.sampled_from(NOISE_DRAWS))
def test_windows_do_not_depend_on_the_render_chunk(n, seed, draw):
    config = SyntheticConfig(noise_draw=draw, length=2000, p_onset=(300.0, 800.0), s_minus_p=(60.0, 800.0))
    reference = synthetic_windows(n, seed=seed, config=config)
    for chunk in (1, 5, 64):
        with mock.patch.object(synthetic_module, "_CHUNK", chunk):
            other = synthetic_windows(n, seed=seed, config=config)
        np.testing.assert_allclose(other.waveforms, reference.waveforms, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(other.labels, reference.labels)


def test_box_muller_variates_are_independent_standard_normals():
    """Real and imaginary parts of the default draw: mean 0, std 1, uncorrelated, Gaussian tails."""
    config = SyntheticConfig(noise_exponent=(0.0, 0.0))  # flat: the spectrum is the bare variates
    rng = np.random.default_rng(0)
    variates = synthetic_module._noise_variates(rng, (200, 3, 1025), "box_muller")
    freqs = np.fft.rfftfreq(2048, d=0.01)
    spectrum = synthetic_module._noise_spectrum(np.zeros(200), variates, freqs, config)[..., 1:]
    for part in (spectrum.real.ravel().astype(np.float64), spectrum.imag.ravel().astype(np.float64)):
        assert abs(part.mean()) < 0.01
        assert part.std() == pytest.approx(1.0, abs=0.01)
        excess_kurtosis = np.mean((part / part.std()) ** 4) - 3.0
        assert abs(excess_kurtosis) < 0.05
        assert np.mean(np.abs(part) > 3.0) == pytest.approx(0.0027, abs=0.0005)
    correlation = np.corrcoef(spectrum.real.ravel(), spectrum.imag.ravel())[0, 1]
    assert abs(correlation) < 0.01


def test_both_draws_give_the_same_noise_spectrum():
    """Same noise model: the mean periodogram of a fixed-exponent noise agrees between draws."""
    config = {"noise_exponent": (1.5, 1.5)}
    spectra = {}
    for draw in NOISE_DRAWS:
        noise = synthetic_module._coloured_noise(np.random.default_rng(1), 300, 3, 3001, SyntheticConfig(noise_draw=draw, **config))
        assert noise.shape == (300, 3, 3001) and noise.dtype == np.float32
        np.testing.assert_allclose(noise.std(-1), 1.0, rtol=1e-4)
        power = (np.abs(np.fft.rfft(noise, axis=-1)) ** 2).mean(axis=(0, 1))
        spectra[draw] = power[1:].reshape(-1, 50).mean(-1)  # 30 bands of 50 bins
    np.testing.assert_allclose(spectra["box_muller"], spectra["ziggurat"], rtol=0.08)


def test_unknown_noise_draw_is_refused():
    with pytest.raises(InvalidArgumentError, match="noise_draw: expected one of .*got 'gauss'"):
        SyntheticConfig(noise_draw="gauss")
