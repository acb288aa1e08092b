"""2D boundary metrics: exact cases, tolerance, odd sizes, 1D equals 2D with height 1."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.edges import boundary_f1, boundary_peak_heights
from shapeloss.errors import InvalidArgumentError, OutOfDomainError, ShapeMismatchError


def test_perfect_and_shifted_boundaries():
    b = np.zeros((1, 1, 9, 11), bool)
    b[0, 0, 4, 2:9] = True
    p = b.astype(float)
    assert boundary_f1(p, b)["f1"][0] == 1.0
    shifted = np.roll(p, 1, axis=2)
    assert boundary_f1(shifted, b, tolerance=1)["f1"][0] == 1.0
    assert boundary_f1(shifted, b, tolerance=0)["f1"][0] == 0.0
    empty = boundary_f1(np.zeros_like(p), b)
    assert np.isnan(empty["precision"][0]) and empty["recall"][0] == 0.0 and empty["f1"][0] == 0.0


def test_thick_prediction_loses_precision():
    b = np.zeros((1, 1, 15, 15), bool)
    b[0, 0, 7, :] = True
    thick = np.zeros((1, 1, 15, 15))
    thick[0, 0, 4:11, :] = 0.9
    m = boundary_f1(thick, b, tolerance=1)
    assert m["recall"][0] == 1.0 and m["precision"][0] == pytest.approx(3 / 7)


def test_peak_heights_see_suppressed_ridges():
    y = np.zeros((2, 2, 13, 17))
    y[:, :, 6, 3:14] = 1.0
    p = np.zeros_like(y)
    p[:, 0, 7, 3:14] = 0.5  # channel 0 suppressed, one pixel off
    p[:, 1, 6, 3:14] = 0.95
    h = boundary_peak_heights(p, y, tolerance=1)
    assert len(h) == 2 and h[0].size == 22
    assert np.allclose(h[0], 0.5) and np.allclose(h[1], 0.95)
    assert np.allclose(boundary_peak_heights(p, y, tolerance=0)[0], 0.0)


@settings(max_examples=20, deadline=None)
@given(length=st.integers(3, 60), seed=st.integers(0, 1000), tol=st.integers(0, 3))
def test_1d_equals_2d_with_height_one(length, seed, tol):
    rng = np.random.default_rng(seed)
    p = rng.random((2, 1, length))
    b = rng.random((2, 1, length)) > 0.8
    one = boundary_f1(p, b, tolerance=tol)
    two = boundary_f1(p[:, :, None, :], b[:, :, None, :], tolerance=tol)
    for k in one:
        np.testing.assert_allclose(one[k], two[k], equal_nan=True)
    assert all((np.isnan(v) | ((v >= 0) & (v <= 1))).all() for v in one.values())
    h1 = boundary_peak_heights(p, b.astype(float), tolerance=tol)
    h2 = boundary_peak_heights(p[:, :, None], b[:, :, None].astype(float), tolerance=tol)
    np.testing.assert_allclose(h1[0], h2[0])


def test_checks():
    with pytest.raises(ShapeMismatchError):
        boundary_f1(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 4, 5), bool))
    with pytest.raises(OutOfDomainError):
        boundary_f1(np.full((1, 1, 4, 4), 2.0), np.zeros((1, 1, 4, 4), bool))
    with pytest.raises(InvalidArgumentError):
        boundary_peak_heights(np.zeros((1, 1, 4)), np.zeros((1, 1, 4)), tolerance=-1)
    with pytest.raises(TypeError):
        boundary_f1([0.5], [1])
