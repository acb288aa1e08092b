"""shapeloss.calibration: monotone post-hoc peak maps fitted on dev predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss import Calibration, fit_calibration
from shapeloss.calibration import _pool_adjacent_violators, isotonic_fit
from shapeloss.errors import InvalidArgumentError, NonFiniteInputError, OutOfDomainError, ShapeMismatchError
from shapeloss.metrics import pick_metrics

L = 101


def _bump(height: float, width: float = 3.0, at: int = 50) -> np.ndarray:
    return height * np.exp(-0.5 * ((np.arange(L) - at) / width) ** 2)


def _calibrated_rows() -> tuple[np.ndarray, np.ndarray]:
    """Peaks of height h that are real events in exactly a share h of the rows."""
    preds, labels = [], []
    for h, n_true in ((0.2, 1), (0.4, 2), (0.6, 3), (0.8, 4)):
        for i in range(5):
            preds.append(_bump(h))
            labels.append(_bump(1.0) if i < n_true else np.zeros(L))
    return np.array(preds)[:, None], np.array(labels)[:, None]


def _random_case(seed: int, b: int = 6, c: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.zeros((b, c, L))
    preds = 0.2 * rng.random((b, c, L))
    for i in range(b):
        for j in range(c):
            if rng.random() < 0.8:
                at = int(rng.integers(10, L - 10))
                labels[i, j] = _bump(1.0, at=at)
                preds[i, j] += _bump(float(rng.uniform(0.1, 0.7)), at=at + int(rng.integers(-3, 4)))
    return np.clip(preds, 0, 1), labels


# --------------------------------------------------------------------------- behaviour


def test_isotonic_is_the_identity_on_calibrated_peaks():
    p, y = _calibrated_rows()
    cal = fit_calibration(p, y, method="isotonic")
    assert cal.n_true == (10,) and cal.n_false == (10,)
    grid = np.linspace(0, 1, 201)[None, None, :]
    np.testing.assert_allclose(cal(grid), grid, atol=1e-12)


def test_power_is_the_identity_when_the_median_peak_is_already_at_the_target():
    y = np.stack([_bump(1.0, at=a) for a in (30, 50, 70)])[:, None]
    p = np.stack([_bump(h, at=a) for h, a in ((0.5, 30), (0.9, 50), (0.95, 70))])[:, None]
    cal = fit_calibration(p, y, method="power", target=0.9)
    assert cal.params[0]["gamma"] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(cal(p), p, atol=1e-12)


def test_suppressed_peaks_are_lifted_and_false_ones_stay_low():
    # true peaks at 0.5, false peaks at 0.2: the isotonic map sends 0.5 to ~1 and 0.2 to ~0
    p = np.stack([_bump(0.5)] * 5 + [_bump(0.2)] * 5)[:, None]
    y = np.stack([_bump(1.0)] * 5 + [np.zeros(L)] * 5)[:, None]
    q = fit_calibration(p, y)(p)
    assert q[:5, 0, 50].min() > 0.99 and q[5:, 0, 50].max() < 0.01
    assert pick_metrics(q, y, 0.7)["0"]["recall"] == 1.0
    assert pick_metrics(p, y, 0.7)["0"]["recall"] == 0.0


def test_a_channel_without_events_gets_the_identity():
    p, y = _random_case(3)
    y[:, 1] = 0.0
    for method in ("isotonic", "power"):
        cal = fit_calibration(p, y, method=method)
        np.testing.assert_allclose(cal(p)[:, 1], p[:, 1], atol=1e-12)


def test_pool_adjacent_violators_matches_the_library():
    rng = np.random.default_rng(0)
    for _ in range(20):
        y, w = rng.random(30), rng.uniform(0.5, 3, 30)
        np.testing.assert_allclose(_pool_adjacent_violators(y, w), isotonic_fit(y, w), atol=1e-12)
    np.testing.assert_allclose(_pool_adjacent_violators(np.array([3.0, 1.0, 2.0]), np.ones(3)), [2.0, 2.0, 2.0])


def test_round_trip_through_json_and_tensors():
    p, y = _random_case(1)
    for method in ("isotonic", "power"):
        cal = fit_calibration(torch.from_numpy(p).float(), torch.from_numpy(y).float(), method=method)
        again = Calibration.from_dict(json.loads(json.dumps(cal.to_dict())))
        assert again == cal
        out = cal(torch.from_numpy(p).float())
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), again(p.astype(np.float32)), atol=1e-6)


# --------------------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["isotonic", "power"]))
def test_maps_are_increasing_into_the_unit_interval(seed, method):
    p, y = _random_case(seed)
    cal = fit_calibration(p, y, method=method)
    grid = np.linspace(0, 1, 1001)
    out = cal(np.broadcast_to(grid, (1, 2, grid.size)).copy())
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.all(np.diff(out, axis=-1) > 0)  # strictly: every ranking, hence the PR curve, is kept


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["isotonic", "power"]))
def test_images_are_rows_of_curves(seed, method):
    p, y = _random_case(seed)
    one_d = fit_calibration(p, y, method=method)
    two_d = fit_calibration(p[:, :, None, :], y[:, :, None, :], method=method)
    assert one_d == two_d
    np.testing.assert_array_equal(two_d(p[:, :, None, :])[:, :, 0], one_d(p))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_the_fit_does_not_depend_on_the_order_of_the_windows(seed):
    p, y = _random_case(seed)
    perm = np.random.default_rng(seed).permutation(p.shape[0])
    a, b = fit_calibration(p, y), fit_calibration(p[perm], y[perm])
    grid = np.linspace(0, 1, 101)[None, None].repeat(2, 1)
    np.testing.assert_allclose(a(grid), b(grid), atol=1e-12)


# --------------------------------------------------------------------------- hostile calls


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(method="sigmoid"), InvalidArgumentError, "method: expected one of"),
        (dict(target=1.0), InvalidArgumentError, "target: expected a float in (0, 1)"),
        (dict(target=0), InvalidArgumentError, "target"),
        (dict(tolerance=-1), InvalidArgumentError, "tolerance: expected an int >= 0"),
        (dict(tolerance=2.5), InvalidArgumentError, "tolerance"),
        (dict(label_threshold=2.0), InvalidArgumentError, "label_threshold"),
    ],
)
def test_bad_settings_are_named(kwargs, error, words):
    p, y = _random_case(0)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        fit_calibration(p, y, **kwargs)


def test_bad_arrays_are_named():
    p, y = _random_case(0)
    with pytest.raises(ShapeMismatchError, match="labels: expected the shape of probs"):
        fit_calibration(p, y[:, :1])
    with pytest.raises(ShapeMismatchError, match="probs: expected a 3-D"):
        fit_calibration(p[0], y[0])
    with pytest.raises(OutOfDomainError, match=r"probs: expected values in \[0.0, 1.0\]"):
        fit_calibration(p * 3, y)
    bad = p.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(NonFiniteInputError, match="probs: expected finite values"):
        fit_calibration(bad, y)
    with pytest.raises(TypeError, match="labels: expected a numpy array or torch.Tensor, got list"):
        fit_calibration(p, y.tolist())
    cal = fit_calibration(p, y)
    with pytest.raises(ShapeMismatchError, match="probs: expected 2 channels"):
        cal(p[:, :1])


@pytest.mark.parametrize(
    "d, words",
    [
        ({"method": "isotonic"}, "expected a dict with 'method' and 'params'"),
        ({"method": "power", "params": [{"gamma": -1.0}]}, r"params\[0\]\['gamma'\]: expected a finite float > 0"),
        ({"method": "isotonic", "params": [{"x": [0, 0.5, 1], "y": [0, 0.6, 0.5]}]}, r"params\[0\]\['y'\]: expected non-decreasing"),
        ({"method": "isotonic", "params": [{"x": [0.1, 1], "y": [0, 1]}]}, r"params\[0\]\['x'\]: expected strictly increasing knots from 0 to 1"),
        ({"method": "isotonic", "params": []}, "params: expected one entry per channel"),
    ],
)
def test_bad_saved_calibrations_are_named(d, words):
    with pytest.raises(InvalidArgumentError, match=words):
        Calibration.from_dict(d)


def test_threshold_map_moves_each_channels_threshold_to_the_common_one():
    cal = Calibration.threshold_map([0.35, None], to=0.7)
    x = np.array([[[0.0, 0.2, 0.35, 0.5, 1.0], [0.0, 0.2, 0.35, 0.5, 1.0]]])
    out = cal(x)
    assert out[0, 0, 2] == pytest.approx(0.7)
    np.testing.assert_allclose(out[0, 1], x[0, 1])
    assert np.all(np.diff(out[0, 0]) > 0)
    assert Calibration.from_dict(cal.to_dict()) == cal
    with pytest.raises(InvalidArgumentError, match=r"thresholds\[0\]: expected a float in \(0, 1\) or None"):
        Calibration.threshold_map([1.0])
