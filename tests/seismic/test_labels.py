import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.seismic import gaussian_labels, normalize_windows


def test_gaussian_peaks_at_the_pick_with_sigma_20():
    y = gaussian_labels([500.0], [900.0], 2000)
    assert y.shape == (1, 3, 2000) and y.dtype == np.float32
    assert y[0, 0].argmax() == 500 and y[0, 1].argmax() == 900
    assert y[0, 0, 500] == pytest.approx(1.0)
    assert y[0, 0, 520] == pytest.approx(np.exp(-0.5), rel=1e-6)  # one sigma away
    assert y[0, 2, 500] == pytest.approx(0.0, abs=1e-6)
    assert y[0, 2, 0] == pytest.approx(1.0)


def test_missing_pick_gives_zero_channel():
    y = gaussian_labels([np.nan], [100.0], 300)
    assert y[0, 0].max() == 0.0 and y[0, 1].max() == pytest.approx(1.0)


@given(p=st.floats(-50, 350), s=st.floats(-50, 350))
@settings(max_examples=50, deadline=None)
def test_labels_stay_in_unit_interval_and_noise_complements(p, s):
    y = gaussian_labels([p], [s], 300)
    assert y.min() >= 0.0 and y.max() <= 1.0
    np.testing.assert_allclose(y[0, 2], np.clip(1 - y[0, 0] - y[0, 1], 0, 1), atol=1e-6)


def test_label_argument_errors():
    with pytest.raises(ShapeMismatchError):
        gaussian_labels([1.0, 2.0], [1.0], 10)
    with pytest.raises(InvalidArgumentError, match="sigma"):
        gaussian_labels([1.0], [1.0], 10, sigma=0.0)
    with pytest.raises(InvalidArgumentError, match="length"):
        gaussian_labels([1.0], [1.0], 0)


def test_normalisation_demeans_scales_and_keeps_zero_channels_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(5.0, 1000.0, (4, 3, 100))
    x[1, :2] = 0.0  # a vertical-only station
    z = normalize_windows(x)
    assert np.isfinite(z).all()
    assert np.all(z[1, :2] == 0)
    np.testing.assert_allclose(np.abs(z[0]).max(-1), 1.0)
    np.testing.assert_allclose(z.mean(-1)[0], 0.0, atol=1e-12)
    zt = normalize_windows(torch.from_numpy(x))
    np.testing.assert_allclose(zt.numpy(), z, atol=1e-12)


def test_normalisation_of_a_constant_channel_is_zero():
    z = normalize_windows(np.full((1, 1, 10), 3.0, dtype=np.float32))
    assert np.all(z == 0) and z.dtype == np.float32


def _dense_labels(p, s, length, sigma, dtype):
    """The plain formula over every sample: what the banded evaluation must equal bit for bit."""
    t = np.arange(length, dtype=np.float64)
    out = np.zeros((len(p), 3, length), dtype=dtype)
    for channel, picks in ((0, np.asarray(p, float)), (1, np.asarray(s, float))):
        has = np.isfinite(picks)
        d = (t[None, :] - picks[has, None]) / sigma
        out[has, channel] = np.exp(-0.5 * d * d)
    out[:, 2] = np.clip(1.0 - out[:, 0] - out[:, 1], 0.0, 1.0)
    return out


pick = st.one_of(st.just(float("nan")), st.floats(-600, 4600))


@settings(max_examples=150, deadline=None)
@given(picks=st.lists(st.tuples(pick, pick), min_size=1, max_size=4), length=st.integers(1, 4000),
       sigma=st.floats(0.5, 150.0), dtype=st.sampled_from([np.float16, np.float32, np.float64]))
def test_banded_labels_equal_the_dense_formula_bit_for_bit(picks, length, sigma, dtype):
    p, s = [a for a, _ in picks], [b for _, b in picks]
    assert np.array_equal(gaussian_labels(p, s, length, sigma, dtype), _dense_labels(p, s, length, sigma, dtype))


def test_numpy_normalisation_leaves_its_input_alone_and_matches_the_formula():
    rng = np.random.default_rng(2)
    x = rng.normal(0.3, 2.0, (3, 3, 257)).astype(np.float32)
    x[2, 1] = 7.0  # a silent (constant) channel
    before = x.copy()
    z = normalize_windows(x)
    np.testing.assert_array_equal(x, before)
    centred = before - before.mean(-1, keepdims=True)
    peak = np.abs(centred).max(-1, keepdims=True)
    expected = np.where(peak <= 1e-12, 0.0, centred / np.where(peak <= 1e-12, 1.0, peak)).astype(np.float32)
    np.testing.assert_array_equal(z, expected)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(normalize_windows(np.arange(6).reshape(1, 2, 3)), [[[-1.0, 0.0, 1.0]] * 2])


# --------------------------------------------------------------------------- widened labels


def test_widened_sigma_matches_the_scatter():
    from shapeloss.seismic import widened_sigma

    assert widened_sigma(25.0) == pytest.approx(np.sqrt(20.0**2 + 25.0**2))
    assert widened_sigma(0.0, sigma=7.0) == 7.0
    with pytest.raises(InvalidArgumentError, match="pick_scatter: expected a finite float >= 0"):
        widened_sigma(-1.0)
    with pytest.raises(InvalidArgumentError, match="sigma: expected a finite float >= 0"):
        widened_sigma(5.0, sigma=0.0)


@given(p=st.floats(400, 800), s=st.floats(1200, 1800), scatter=st.floats(1.0, 40.0))
@settings(max_examples=30, deadline=None)
def test_widened_s_labels_are_the_wider_gaussian_at_the_same_pick(p, s, scatter):
    from shapeloss.seismic import widen_labels, widened_sigma

    y = gaussian_labels([p], [s], 3001)
    w = widen_labels(y, scatter)
    wide = gaussian_labels([p], [s], 3001, sigma=widened_sigma(scatter))
    np.testing.assert_allclose(w[:, 1], wide[:, 1], atol=1e-5)  # S: width sqrt(20^2 + scatter^2), peak 1
    np.testing.assert_array_equal(w[:, 0], y[:, 0])  # P untouched
    np.testing.assert_allclose(w[:, 2], np.clip(1 - w[:, 0] - w[:, 1], 0, 1), atol=1e-6)
    assert w.dtype == y.dtype and w.min() >= 0 and w.max() <= 1
    assert abs(int(w[0, 1].argmax()) - s) <= 1


def test_widen_labels_refuses_bad_inputs_by_name():
    from shapeloss.seismic import widen_labels

    y = gaussian_labels([100.0], [200.0], 400)
    with pytest.raises(ShapeMismatchError, match=r"labels: expected a floating \(B, 3, L\) numpy array"):
        widen_labels(y[:, :2], 10.0)
    with pytest.raises(InvalidArgumentError, match="channels: expected a non-empty tuple"):
        widen_labels(y, 10.0, channels=(2,))
    np.testing.assert_array_equal(widen_labels(y, 0.0), y)
