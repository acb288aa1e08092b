"""Tests of shapeloss.metrics: exact hand-made cases, properties, and the errors at the boundary."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.errors import (
    InvalidArgumentError,
    NonFiniteInputError,
    OutOfDomainError,
    ShapeMismatchError,
)
from shapeloss.metrics import (
    best_peak_near_labels,
    bootstrap_ratio,
    effective_detections,
    find_peaks,
    label_peaks,
    match_peaks,
    pick_metrics,
    suppression_report,
    threshold_sweep,
)

LENGTH = 400


def gaussian(centre: float, sigma: float = 10.0, length: int = LENGTH) -> np.ndarray:
    return np.exp(-0.5 * ((np.arange(length) - centre) / sigma) ** 2)


def two_channel_batch() -> np.ndarray:
    """(2, 2, L): window 0 has events at 100 (ch 0) and 250 (ch 1); window 1 at 150 and 300."""
    y = np.zeros((2, 2, LENGTH))
    y[0, 0], y[0, 1] = gaussian(100), gaussian(250)
    y[1, 0], y[1, 1] = gaussian(150), gaussian(300)
    return y


# --------------------------------------------------------------------------- find_peaks


def test_find_peaks_height_and_distance():
    trace = np.array([0, 1, 0, 0.5, 0, 0.8, 0, 0.9, 0])
    assert find_peaks(trace).tolist() == [1, 3, 5, 7]
    assert find_peaks(trace, height=0.6).tolist() == [1, 5, 7]
    # 5 and 7 are 2 apart: with distance 3 the higher (7) wins; 1 survives.
    assert find_peaks(trace, height=0.6, distance=3).tolist() == [1, 7]
    # distance 7: 1 (height 1.0) removes 7? no, |7-1| = 6 < 7, so only 1 stays.
    assert find_peaks(trace, height=0.6, distance=7).tolist() == [1]


def test_find_peaks_plateau_and_edges():
    # Flat top counts once, at its middle; edges are never peaks.
    assert find_peaks(np.array([1.0, 0, 2, 2, 2, 0, 3])).tolist() == [3]
    assert find_peaks(np.array([0, 1, 1, 0.0])).tolist() == [1]
    assert find_peaks(np.array([0.0, 1, 2, 3])).tolist() == []
    assert find_peaks(np.zeros(0)).tolist() == []


def test_find_peaks_accepts_tensors_and_rejects_bad_input():
    assert find_peaks(torch.tensor([0.0, 1.0, 0.0])).tolist() == [1]
    with pytest.raises(ShapeMismatchError, match="trace: expected a 1-D"):
        find_peaks(np.zeros((2, 3)))
    with pytest.raises(NonFiniteInputError, match="trace"):
        find_peaks(np.array([0.0, np.nan, 0.0]))
    with pytest.raises(InvalidArgumentError, match="distance"):
        find_peaks(np.zeros(5), distance=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 1), min_size=0, max_size=60),
    st.floats(0, 1),
    st.integers(1, 15),
)
def test_find_peaks_properties(values, height, distance):
    trace = np.asarray(values, dtype=np.float64)
    peaks = find_peaks(trace, height=height, distance=distance)
    assert np.all(np.diff(peaks) >= distance)
    assert np.all(trace[peaks] >= height)
    for i in peaks:
        assert 0 < i < trace.size - 1
    # Every local maximum (strict, no plateau) above height is either kept or within
    # distance of a kept peak at least as high.
    for i in range(1, trace.size - 1):
        if trace[i] > trace[i - 1] and trace[i] > trace[i + 1] and trace[i] >= height:
            near = peaks[np.abs(peaks - i) < distance]
            assert i in peaks or np.any(trace[near] >= trace[i])


# --------------------------------------------------------------------------- match_peaks


def test_match_peaks_closest_first():
    # Prediction 52 could match 50 or 55; 55 has the exact prediction 55, so 52 goes to 50.
    assert match_peaks([52, 55], [50, 55], tolerance=5) == [(52, 50), (55, 55)]
    # One prediction, two labels: the closer label wins.
    assert match_peaks([53], [50, 55], tolerance=5) == [(53, 55)]
    assert match_peaks([10, 52, 300], [50, 100], tolerance=5) == [(52, 50)]
    assert match_peaks([], [1, 2], tolerance=3) == []
    assert match_peaks([0], [3], tolerance=3) == [(0, 3)]
    assert match_peaks([0], [4], tolerance=3) == []


def test_match_peaks_rejects_bad_input():
    with pytest.raises(InvalidArgumentError, match="tolerance"):
        match_peaks([1], [1], tolerance=-1)
    with pytest.raises(ShapeMismatchError, match="labeled"):
        match_peaks([1], [[1]], tolerance=1)
    with pytest.raises(TypeError, match="predicted"):
        match_peaks([1.5], [1], tolerance=1)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 200), max_size=25, unique=True),
    st.lists(st.integers(0, 200), max_size=25, unique=True),
    st.integers(0, 20),
)
def test_match_peaks_properties(predicted, labeled, tolerance):
    pairs = match_peaks(predicted, labeled, tolerance)
    ps = [p for p, _ in pairs]
    ls = [l for _, l in pairs]
    assert len(set(ps)) == len(ps) and len(set(ls)) == len(ls)  # one-to-one
    assert all(abs(p - l) <= tolerance for p, l in pairs)  # never beyond tolerance
    assert set(ps) <= set(predicted) and set(ls) <= set(labeled)
    # Maximal: no unmatched pair remains within tolerance.
    free_p = set(predicted) - set(ps)
    free_l = set(labeled) - set(ls)
    assert not any(abs(p - l) <= tolerance for p in free_p for l in free_l)
    # A prediction always matches itself.
    assert len(match_peaks(labeled, labeled, tolerance)) == len(labeled)


# --------------------------------------------------------------------------- label and nearby peaks


def test_label_peaks_per_trace():
    y = two_channel_batch()
    y[1, 0] = np.maximum(gaussian(150), gaussian(50))
    peaks = label_peaks(y)
    assert [[p.tolist() for p in row] for row in peaks] == [[[100], [250]], [[50, 150], [300]]]
    assert label_peaks(0.4 * y)[0][0].tolist() == []


def test_best_peak_near_labels_height_and_offset():
    y = two_channel_batch()
    p = 0.5 * np.roll(y, 4, axis=-1)  # suppressed and 4 samples late
    near = best_peak_near_labels(p, y, tolerance=10)
    assert len(near) == 4
    np.testing.assert_allclose(near.height, 0.5)
    assert near.offset.tolist() == [4, 4, 4, 4]
    assert near.is_local_max.all()
    assert near.batch.tolist() == [0, 0, 1, 1] and near.channel.tolist() == [0, 1, 0, 1]
    # Beyond the tolerance: no local maximum in the window, the window's maximum is taken at its edge.
    far = best_peak_near_labels(np.roll(y, 30, axis=-1), y, tolerance=10)
    assert not far.is_local_max.any()
    assert far.offset.tolist() == [10, 10, 10, 10]
    np.testing.assert_allclose(far.height, gaussian(0)[20])


# --------------------------------------------------------------------------- suppression


def test_report_perfect_suppressed_shifted():
    y = two_channel_batch()
    perfect = suppression_report(y, y, channel_names=["P", "S"])
    assert perfect.n_labels.tolist() == [2, 2]
    assert perfect.effective.tolist() == [2, 2]
    assert perfect.effective_share.tolist() == [1.0, 1.0]
    assert perfect.band_share.tolist() == [0.0, 0.0]
    assert np.isnan(perfect.band_offset_mean).all()

    suppressed = suppression_report(0.5 * y, y)
    assert suppressed.effective.tolist() == [0, 0]
    assert suppressed.band_share.tolist() == [1.0, 1.0]
    assert suppressed.band_offset_mean.tolist() == [0.0, 0.0]
    assert suppressed.histogram[:, 10].tolist() == [2, 2]  # 0.5 falls in [0.50, 0.55)

    shifted = suppression_report(0.5 * np.roll(y, -6, axis=-1), y)
    assert shifted.band_offset_mean.tolist() == [-6.0, -6.0]
    # A peak 6 samples away is missed with tolerance 5 only if no local max is near;
    # the window maximum still counts, at the window edge.
    assert suppression_report(np.roll(y, 20, axis=-1), y, tolerance=5).effective.tolist() == [0, 0]
    np.testing.assert_array_equal(effective_detections(y, y), [2, 2])
    np.testing.assert_array_equal(effective_detections(0.5 * y, y), [0, 0])


def test_report_to_dict_is_json_and_plot_draws(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    y = two_channel_batch()
    y[:, 1] = 0.0  # a channel without events: shares undefined
    report = suppression_report(0.6 * y, torch.from_numpy(y), channel_names=["P", "S"])
    d = json.loads(json.dumps(report.to_dict()))
    assert d["channels"]["P"]["band_share"] == 1.0
    assert d["channels"]["S"]["n_labels"] == 0 and d["channels"]["S"]["band_share"] is None
    ax = report.plot()
    ax.figure.savefig(tmp_path / "hist.png")
    assert (tmp_path / "hist.png").stat().st_size > 0


def test_report_rejects_bad_input():
    y = two_channel_batch()
    with pytest.raises(ShapeMismatchError, match="labels: expected the shape of predictions"):
        suppression_report(y, y[:, :1])
    with pytest.raises(ShapeMismatchError, match="predictions: expected a 3-D"):
        suppression_report(y[0], y[0])
    with pytest.raises(OutOfDomainError, match="predictions: expected values in"):
        suppression_report(2 * y, y)
    with pytest.raises(NonFiniteInputError, match="labels"):
        bad = y.copy()
        bad[0, 0, 0] = np.nan
        suppression_report(y, bad)
    with pytest.raises(InvalidArgumentError, match="band"):
        suppression_report(y, y, band=(0.7, 0.3))
    with pytest.raises(InvalidArgumentError, match="threshold"):
        suppression_report(y, y, threshold=1.5)
    with pytest.raises(InvalidArgumentError, match="channel_names"):
        suppression_report(y, y, channel_names=["P"])
    with pytest.raises(TypeError, match="predictions: expected a numpy array or torch.Tensor"):
        suppression_report(y.tolist(), y)


@st.composite
def batches(draw):
    b = draw(st.integers(1, 5))
    c = draw(st.integers(1, 3))
    length = 120
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = np.zeros((b, c, length))
    p = np.zeros((b, c, length))
    t = np.arange(length)
    for i in range(b):
        for j in range(c):
            for centre in rng.choice(np.arange(15, 105, 30), size=rng.integers(0, 3), replace=False):
                y[i, j] = np.maximum(y[i, j], np.exp(-0.5 * ((t - centre) / 5.0) ** 2))
                shift = rng.integers(-8, 9)
                p[i, j] = np.maximum(
                    p[i, j], rng.uniform(0, 1) * np.exp(-0.5 * ((t - centre - shift) / 5.0) ** 2)
                )
    p = np.clip(p + 0.05 * rng.random(p.shape), 0, 1)
    return p, y, rng.permutation(b)


@settings(max_examples=40, deadline=None)
@given(batches())
def test_report_properties(case):
    p, y, perm = case
    report = suppression_report(p, y)
    for share in (report.effective_share, report.band_share):
        defined = report.n_labels > 0
        assert np.all((share[defined] >= 0) & (share[defined] <= 1))
        assert np.all(np.isnan(share[~defined]))
    assert np.all(report.effective <= report.n_labels)
    assert np.all(report.histogram.sum(axis=1) == report.n_labels)
    permuted = suppression_report(p[perm], y[perm])
    np.testing.assert_array_equal(report.effective, permuted.effective)
    np.testing.assert_array_equal(report.band_share, permuted.band_share)
    np.testing.assert_allclose(report.band_offset_mean, permuted.band_offset_mean)
    np.testing.assert_array_equal(effective_detections(p, y), effective_detections(p[perm], y[perm]))
    for threshold in (0.3, 0.7):
        a = pick_metrics(p, y, threshold=threshold, distance=20)
        b = pick_metrics(p[perm], y[perm], threshold=threshold, distance=20)
        for name in a:
            assert (a[name]["tp"], a[name]["fp"], a[name]["fn"]) == (b[name]["tp"], b[name]["fp"], b[name]["fn"])
            np.testing.assert_allclose(a[name]["residual_mae"], b[name]["residual_mae"])
            for key in ("precision", "recall", "f1"):
                value = a[name][key]
                assert np.isnan(value) or 0.0 <= value <= 1.0
            assert np.isnan(a[name]["residual_mae"]) or a[name]["residual_mae"] <= 10
    # A perfect prediction has every label peak effective and full recall.
    perfect = suppression_report(y, y)
    np.testing.assert_array_equal(perfect.effective, perfect.n_labels)
    metrics = pick_metrics(y, y, distance=20)
    for c, name in enumerate(metrics):
        assert metrics[name]["fn"] == 0 and metrics[name]["fp"] == 0
        if perfect.n_labels[c]:
            assert metrics[name]["recall"] == 1.0


# --------------------------------------------------------------------------- picking


def test_pick_metrics_exact():
    y = two_channel_batch()
    p = np.roll(y, 3, axis=-1)
    p[0, 0] = np.maximum(p[0, 0], 0.8 * gaussian(350))  # one false pick in ch 0
    p[1, 1] = 0.3 * p[1, 1]  # one missed pick in ch 1
    m = pick_metrics(p, y, threshold=0.5, tolerance=10, distance=50, channel_names=["P", "S"])
    assert (m["P"]["tp"], m["P"]["fp"], m["P"]["fn"]) == (2, 1, 0)
    assert (m["S"]["tp"], m["S"]["fp"], m["S"]["fn"]) == (1, 0, 1)
    assert m["P"]["precision"] == pytest.approx(2 / 3) and m["P"]["recall"] == 1.0
    assert m["S"]["precision"] == 1.0 and m["S"]["recall"] == 0.5
    assert m["S"]["f1"] == pytest.approx(2 / 3)
    assert m["P"]["residual_mean"] == 3.0 and m["P"]["residual_std"] == 0.0 and m["P"]["residual_mae"] == 3.0
    # No picks at all: precision undefined, recall 0.
    none = pick_metrics(0.2 * y, y)
    assert math.isnan(none["0"]["precision"]) and none["0"]["recall"] == 0.0 and none["0"]["f1"] == 0.0


def test_threshold_sweep_matches_pick_metrics():
    y = two_channel_batch()
    p = 0.6 * np.roll(y, 2, axis=-1)
    sweep = threshold_sweep(p, y, thresholds=[0.3, 0.5, 0.7], tolerance=10, distance=50)
    assert sweep["0"]["recall"].tolist() == [1.0, 1.0, 0.0]
    for j, t in enumerate([0.3, 0.5, 0.7]):
        single = pick_metrics(p, y, threshold=t, tolerance=10, distance=50)
        for name in ("0", "1"):
            for key in ("precision", "recall", "f1"):
                np.testing.assert_equal(sweep[name][key][j], single[name][key])
    with pytest.raises(InvalidArgumentError, match=r"thresholds\[1\]"):
        threshold_sweep(p, y, thresholds=[0.5, 2.0])


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_ratio():
    ratio, low, high = bootstrap_ratio([2, 4, 6, 8], [1, 2, 3, 4], n_boot=500)
    assert ratio == 2.0 and low == 2.0 and high == 2.0  # jointly resampled: always exactly 2
    ratio, low, high = bootstrap_ratio(np.array([3, 0, 5, 2, 1]), np.array([1, 1, 2, 0, 1]), n_boot=500, seed=1)
    assert ratio == pytest.approx(11 / 5) and low <= ratio <= high
    assert bootstrap_ratio([3, 0, 5], [1, 1, 2], seed=7) == bootstrap_ratio([3, 0, 5], [1, 1, 2], seed=7)
    assert bootstrap_ratio([1, 2], [0, 0])[0] == math.inf
    assert math.isnan(bootstrap_ratio([0, 0], [0, 0])[0])
    with pytest.raises(ShapeMismatchError, match="denominator_hits"):
        bootstrap_ratio([1, 2], [1])
    with pytest.raises(InvalidArgumentError, match="numerator_hits: expected non-negative"):
        bootstrap_ratio([-1, 2], [1, 1])
    with pytest.raises(InvalidArgumentError, match="n_boot"):
        bootstrap_ratio([1], [1], n_boot=0)


def test_tensor_inputs_of_any_float_dtype_and_grad():
    y = two_channel_batch()
    p = torch.tensor(0.5 * y, dtype=torch.float16, requires_grad=False)
    t = torch.tensor(y, dtype=torch.float32, requires_grad=True)
    assert suppression_report(p, t).band_share.tolist() == [1.0, 1.0]
    assert effective_detections(torch.tensor(y), torch.tensor(y)).tolist() == [2, 2]
    assert suppression_report(y.astype(np.float32) > 0.5, y).n_labels.tolist() == [2, 2]  # bool arrays accepted


def test_vectorised_on_a_realistic_batch():
    """500 windows x 3 channels x 3001 samples runs and gives the expected answer (no timing assert)."""
    rng = np.random.default_rng(0)
    t = np.arange(3001)
    centres = rng.integers(200, 2800, size=(500, 3))
    y = np.exp(-0.5 * ((t - centres[..., None]) / 20.0) ** 2)
    p = np.clip(0.6 * np.exp(-0.5 * ((t - centres[..., None] - 3) / 20.0) ** 2) + 0.01 * rng.random(y.shape), 0, 1)
    report = suppression_report(p, y)
    assert report.n_labels.tolist() == [500, 500, 500]
    assert report.band_share.tolist() == [1.0, 1.0, 1.0]
    m = pick_metrics(p, y)
    assert all(v["tp"] == 500 for v in m.values())


# --------------------------------------------------------------------------- peaks at the window's edges


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=12))
def test_edge_peaks_add_only_edge_samples_and_mirror(values):
    trace = np.array(values, dtype=float)
    inner = set(find_peaks(trace).tolist())
    with_edges = find_peaks(trace, edges=True).tolist()
    # the inner peaks are kept; what edges=True adds is the first or last sample only
    assert inner <= set(with_edges)
    assert set(with_edges) - inner <= {0, trace.size - 1}
    # an edge counts exactly when it is strictly higher than the run of values next to it
    first_run_end = next((i for i in range(trace.size) if trace[i] != trace[0]), None)
    assert (0 in with_edges) == (first_run_end is not None and trace[0] > trace[first_run_end])
    # time reversal mirrors the edge peaks (flat inner tops round down, so compare edges only)
    mirrored = {trace.size - 1 - p for p in find_peaks(trace[::-1].copy(), edges=True).tolist()}
    assert {p for p in with_edges if p in (0, trace.size - 1)} == {p for p in mirrored if p in (0, trace.size - 1)}


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 31), st.floats(0.75, 1.0))
def test_a_peak_anywhere_in_the_window_is_matched(position, height):
    t = np.arange(32)
    y = np.exp(-0.5 * ((t - position) / 2.0) ** 2)[None, None, :]
    p = height * y
    assert effective_detections(p, y).tolist() == [1]
    counts = pick_metrics(p, y, threshold=0.7)["0"]
    assert (counts["tp"], counts["fp"], counts["fn"]) == (1, 0, 0)
