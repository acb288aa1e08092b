"""threshold_counts, find_peaks_batch and match_peaks_grouped: the public homes of what the benchmarks
took from private helpers. Each gives what the private route gave, and refuses bad input by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import shapeloss
from shapeloss import metrics
from shapeloss.errors import InvalidArgumentError, NonFiniteInputError, OutOfDomainError, ShapeMismatchError
from shapeloss.peaks import _greedy_match, _peaks_2d, find_peaks, find_peaks_batch, match_peaks, match_peaks_grouped
from shapeloss.picking import _pick_counts, _picking_inputs, pick_metrics, threshold_counts, threshold_sweep


def _curves(rng: np.random.Generator, b: int, c: int, length: int, rounded: bool) -> np.ndarray:
    x = np.arange(length)
    out = np.zeros((b, c, length))
    for i in range(b):
        for j in range(c):
            for _ in range(rng.integers(0, 4)):
                width = rng.uniform(1.0, 15.0)
                out[i, j] += rng.uniform(0.1, 1.0) * np.exp(-0.5 * ((x - rng.integers(0, length)) / width) ** 2)
    out = np.clip(out + 0.05 * rng.random(out.shape), 0.0, 1.0)
    return np.round(out, 1) if rounded else out  # rounding makes plateaus and ties


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), b=st.integers(1, 3), c=st.integers(1, 4), length=st.integers(2, 200),
       tolerance=st.integers(0, 20), distance=st.integers(1, 60), rounded=st.booleans(), n_t=st.integers(1, 12))
def test_threshold_counts_equal_the_private_route(seed, b, c, length, tolerance, distance, rounded, n_t):
    rng = np.random.default_rng(seed)
    p, y = _curves(rng, b, c, length, rounded), _curves(rng, b, c, length, True)
    ths = np.round(rng.random(n_t), 2)  # any order, repeats allowed
    got = threshold_counts(p, y, ths, tolerance, distance)
    cand, lab, channels, tol, dist = _picking_inputs(p, y, tolerance, distance, 0.5)
    want = np.stack([np.stack(_pick_counts(cand, lab, channels, float(t), tol, dist)[:3], axis=1) for t in ths], axis=1)
    assert got.dtype == np.int64 and got.shape == (c, n_t, 3)
    np.testing.assert_array_equal(got, want)
    # and they are pick_metrics' counts at each threshold
    j = int(rng.integers(0, n_t))
    m = pick_metrics(p, y, threshold=float(ths[j]), tolerance=tolerance, distance=distance)
    assert [tuple(got[k, j]) for k in range(c)] == [(m[str(k)]["tp"], m[str(k)]["fp"], m[str(k)]["fn"]) for k in range(c)]


def test_threshold_sweep_reads_its_rates_from_the_counts():
    rng = np.random.default_rng(3)
    p, y = _curves(rng, 2, 3, 150, False), _curves(rng, 2, 3, 150, True)
    counts = threshold_counts(p, y, tolerance=5, distance=20)  # the sweep's default thresholds
    sweep = threshold_sweep(p, y, tolerance=5, distance=20)
    assert counts.shape == (3, len(sweep["0"]["thresholds"]), 3)
    for k in range(3):
        tp, fp, fn = counts[k].T.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.testing.assert_array_equal(sweep[str(k)]["precision"], np.where(tp + fp > 0, tp / (tp + fp), np.nan))
            np.testing.assert_array_equal(sweep[str(k)]["recall"], np.where(tp + fn > 0, tp / (tp + fn), np.nan))


def test_threshold_counts_on_a_hand_made_case():
    y = np.zeros((1, 2, 50))
    y[0, 0, 20] = 1.0
    p = np.zeros((1, 2, 50))
    p[0, 0, 22], p[0, 0, 40], p[0, 1, 10] = 0.6, 0.3, 0.9
    got = threshold_counts(torch.tensor(p), y, [0.9, 0.2, 0.5], tolerance=5, distance=10)
    assert got[0].tolist() == [[0, 0, 1], [1, 1, 0], [1, 0, 0]]
    assert got[1].tolist() == [[0, 1, 0], [0, 1, 0], [0, 1, 0]]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 5), length=st.integers(1, 120), distance=st.integers(1, 40),
       height=st.floats(-0.5, 1.0), edges=st.booleans(), rounded=st.booleans())
def test_find_peaks_batch_equals_the_private_route_and_find_peaks_per_row(seed, n, length, distance, height, edges, rounded):
    rng = np.random.default_rng(seed)
    rows = rng.random((n, length))
    rows = np.round(rows, 1) if rounded else rows
    row, pos, val = find_peaks_batch(rows, height, distance, edges)
    for got, want in zip((row, pos, val), _peaks_2d(rows, height, distance, edges)):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(val, rows[row, pos])
    for i in range(n):
        np.testing.assert_array_equal(pos[row == i], find_peaks(rows[i], height, distance, edges))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_groups=st.integers(1, 4), n_p=st.integers(0, 30), n_l=st.integers(0, 20),
       tolerance=st.integers(0, 15))
def test_match_peaks_grouped_equals_the_private_route_and_match_peaks_per_group(seed, n_groups, n_p, n_l, tolerance):
    rng = np.random.default_rng(seed)
    gp, pred = rng.integers(0, n_groups, n_p), rng.integers(0, 100, n_p)
    gl, lab = rng.integers(0, n_groups, n_l), rng.integers(0, 100, n_l)
    pi, li = match_peaks_grouped(gp, pred, gl, lab, tolerance)
    want_p, want_l = _greedy_match(gp, pred, gl, lab, tolerance)
    np.testing.assert_array_equal(pi, want_p)
    np.testing.assert_array_equal(li, want_l)
    assert pi.dtype == li.dtype == np.int64
    assert (gp[pi] == gl[li]).all() and (np.abs(pred[pi] - lab[li]) <= tolerance).all()
    assert len(set(pi.tolist())) == pi.size and len(set(li.tolist())) == li.size
    for g in range(n_groups):
        # one group alone: the pairs of match_peaks (positions may repeat, so compare the positions' pairs)
        inside = gp[pi] == g
        got = sorted(zip(pred[pi[inside]].tolist(), lab[li[inside]].tolist()))
        assert got == sorted(match_peaks(pred[gp == g], lab[gl == g], tolerance))


def test_the_new_functions_are_exported_like_their_neighbours():
    assert metrics.threshold_counts is threshold_counts and shapeloss.threshold_counts is threshold_counts
    assert "threshold_counts" in shapeloss.__all__ and "threshold_counts" in metrics.__all__
    for f in (find_peaks_batch, match_peaks_grouped):  # as find_peaks and match_peaks: peaks and the facade
        assert getattr(metrics, f.__name__) is f and f.__name__ in metrics.__all__
        assert f.__doc__ and "Returns:" in f.__doc__ and f.__annotations__


P, Y = np.full((1, 1, 20), 0.1), np.zeros((1, 1, 20))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: threshold_counts(P, Y, []), InvalidArgumentError, "thresholds: expected at least one"),
        (lambda: threshold_counts(P, Y, [[0.1, 0.2]]), ShapeMismatchError, r"thresholds: expected a 1-D sequence, got shape \(1, 2\)"),
        (lambda: threshold_counts(P, Y, 0.5), ShapeMismatchError, r"thresholds: expected a 1-D sequence, got shape \(\)"),
        (lambda: threshold_counts(P, Y, [0.2, 1.5]), InvalidArgumentError, r"thresholds\[1\]: expected a float in \[0, 1\], got 1.5"),
        (lambda: threshold_counts(P, Y, [float("nan")]), InvalidArgumentError, r"thresholds\[0\]: expected a float in \[0, 1\]"),
        (lambda: threshold_counts(P, Y, ["a", "b"]), InvalidArgumentError, "thresholds: expected a sequence of floats"),
        (lambda: threshold_counts(P[0], Y[0], [0.5]), ShapeMismatchError, "predictions"),
        (lambda: threshold_counts(P, Y[..., :10], [0.5]), ShapeMismatchError, "labels"),
        (lambda: threshold_counts(P * 20, Y, [0.5]), OutOfDomainError, r"predictions: expected values in \[0.0, 1.0\]"),
        (lambda: threshold_counts(P, Y, [0.5], tolerance=-1), InvalidArgumentError, "tolerance: expected an int >= 0, got -1"),
        (lambda: threshold_counts(P, Y, [0.5], distance=0), InvalidArgumentError, "distance: expected an int >= 1, got 0"),
        (lambda: find_peaks_batch(np.zeros(5)), ShapeMismatchError, "traces"),
        (lambda: find_peaks_batch(np.zeros((1, 1, 5))), ShapeMismatchError, "traces"),
        (lambda: find_peaks_batch(np.array([[0.0, np.nan, 0.0]])), NonFiniteInputError, "traces: expected finite values"),
        (lambda: find_peaks_batch(np.array([["a", "b"]])), TypeError, "traces: expected a numeric array"),
        (lambda: find_peaks_batch([[0.0, 1.0, 0.0]]), TypeError, "traces: expected a numpy array or torch.Tensor, got list"),
        (lambda: find_peaks_batch(np.zeros((1, 5)), height=float("nan")), InvalidArgumentError, "height: expected a number"),
        (lambda: find_peaks_batch(np.zeros((1, 5)), height="0.5"), TypeError, "height: expected a float"),
        (lambda: find_peaks_batch(np.zeros((1, 5)), distance=0), InvalidArgumentError, "distance: expected an int >= 1, got 0"),
        (lambda: find_peaks_batch(np.zeros((1, 5)), edges="yes"), TypeError, "edges: expected a bool, got str"),
        (lambda: match_peaks_grouped([0, 0], [1], [0], [1], 2), ShapeMismatchError,
         r"predicted_groups: expected 1 entries \(one per entry of predicted\), got 2"),
        (lambda: match_peaks_grouped([0], [1], [0, 1], [1], 2), ShapeMismatchError, "labeled_groups: expected 1 entries"),
        (lambda: match_peaks_grouped([0], [-1], [0], [1], 2), InvalidArgumentError,
         r"predicted: expected integers in \[0, 2\*\*31\), got values from -1 to -1"),
        (lambda: match_peaks_grouped([-2], [1], [0], [1], 2), InvalidArgumentError, "predicted_groups: expected integers in"),
        (lambda: match_peaks_grouped([0], [1], [0], [2**31], 2), InvalidArgumentError, "labeled: expected integers in"),
        (lambda: match_peaks_grouped([0], [1.5], [0], [1], 2), TypeError, "predicted: expected integer sample indices"),
        (lambda: match_peaks_grouped([0], [[1]], [0], [1], 2), ShapeMismatchError, "predicted: expected a 1-D array"),
        (lambda: match_peaks_grouped([0], [1], [0], [1], -1), InvalidArgumentError, "tolerance: expected an int >= 0, got -1"),
        (lambda: match_peaks_grouped([0], [1], [0], [1], 2**31), InvalidArgumentError, r"tolerance: expected an int in \[0, 2\*\*31\)"),
        (lambda: match_peaks_grouped([0], [1], [0], [1], 2.0), TypeError, "tolerance: expected an int >= 0, got float"),
    ],
)
def test_bad_inputs_are_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_groups_never_match_across_each_other():
    # the sort key is group * 2**32 + position: a position near the top of the range stays in its group
    pi, li = match_peaks_grouped([0, 1], [2**31 - 1, 0], [1, 0], [0, 2**31 - 1], 0)
    assert sorted(zip(pi.tolist(), li.tolist())) == [(0, 1), (1, 0)]
    assert match_peaks_grouped([], [], [0], [5], 3)[0].size == 0
