"""Tests of shapeloss.operating_points: hand-made counts, properties, and the errors at the boundary."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.metrics import find_peaks, match_peaks
from shapeloss.operating_points import (
    PickCounts,
    bootstrap_operating_points,
    bootstrap_transfer,
    compare_operating_points,
    concat_counts,
    count_picks,
    operating_points,
    pr_curve,
    threshold_transfer,
)

GRID = [0.1, 0.25, 0.5, 0.7]


def hand_made() -> PickCounts:
    """Group 0: labels 12, 100; picks 10 (0.9, hit), 50 (0.3), 200 (0.6, in noise).
    Group 1: label 7; picks 5 (0.8, hit), 400 (0.2, in noise)."""
    return count_picks(
        [[10, 50, 200], [5, 400]], [[0.9, 0.3, 0.6], [0.8, 0.2]], [[12, 100], [7]],
        thresholds=GRID, tolerance=5, noise_intervals=[[[150, 300]], [[300, 500]]],
    )


# --------------------------------------------------------------------------- exact values


def test_counts_by_hand():
    c = hand_made()
    assert c.tp.tolist() == [[1, 1, 1, 1], [1, 1, 1, 1]]
    assert c.fp.tolist() == [[2, 2, 1, 0], [1, 0, 0, 0]]
    assert c.fn.tolist() == [[1, 1, 1, 1], [0, 0, 0, 0]]
    assert c.noise_fp.tolist() == [[1, 1, 1, 0], [1, 0, 0, 0]]
    assert c.noise_samples.tolist() == [150.0, 200.0]
    assert c.n_labels.tolist() == [2, 1]


def test_measures_by_hand():
    c = hand_made()
    curve = pr_curve(c)
    np.testing.assert_allclose(curve["precision"], [2 / 5, 2 / 4, 2 / 3, 1.0])
    np.testing.assert_allclose(curve["recall"], [2 / 3] * 4)
    m = operating_points(c, f1_at=(0.5,), precision=0.9, recall=0.6, rate_scale=100.0)
    assert m["best_f1"] == pytest.approx(0.8) and m["best_threshold"] == 0.7
    assert m["near_best_low"] == 0.7 and m["near_best_width"] == 0.0
    assert m["recall_at_precision"] == pytest.approx(2 / 3)
    # recall is flat at 2/3: the whole area sits at the top threshold's precision 1
    assert m["pr_auc"] == pytest.approx(2 / 3)
    assert m["threshold_at_recall"] == 0.7 and m["false_pick_rate_at_recall"] == 0.0
    assert m["f1_at_0.5"] == pytest.approx(2 / 3)
    assert m["false_pick_rate_at_0.5"] == pytest.approx(1 / 350 * 100.0)  # the 0.6 pick in group 0's noise
    m = operating_points(c, f1_at=(), recall=0.6, near_best=0.25, rate_scale=350.0)
    assert m["near_best_low"] == 0.25 and m["near_best_width"] == pytest.approx(0.45)
    # at 0.1 nothing reaches recall 0.9
    assert math.isnan(operating_points(c, f1_at=(), recall=0.9)["false_pick_rate_at_recall"])


def test_false_pick_rate_counts_noise_picks_per_noise_sample():
    # one group, 1000 noise samples, two false picks in noise at 0.1, the event found at every threshold
    c = count_picks([[50, 300, 600]], [[0.9, 0.2, 0.4]], [[52]], thresholds=[0.1, 0.5], tolerance=5,
                    noise_intervals=[[[200, 1200]]])
    m = operating_points(c, f1_at=(), recall=1.0, rate_scale=1000.0)
    assert m["threshold_at_recall"] == 0.5 and m["false_pick_rate_at_recall"] == 0.0
    m = operating_points(c, f1_at=(), recall=1.0, rate_scale=1000.0)
    c2 = count_picks([[50, 300, 600]], [[0.3, 0.2, 0.4]], [[52]], thresholds=[0.1, 0.5], tolerance=5,
                     noise_intervals=[[[200, 1200]]])
    assert operating_points(c2, f1_at=(), recall=1.0, rate_scale=1000.0)["false_pick_rate_at_recall"] == 2.0


def test_pr_auc_of_a_perfect_ranking_is_one_and_of_a_reversed_one_lower():
    labels = [[100, 300, 500]]
    good = count_picks([[100, 300, 500, 700, 900]], [[0.9, 0.8, 0.7, 0.2, 0.1]], labels, thresholds=[0.05, 0.5], tolerance=2)
    bad = count_picks([[100, 300, 500, 700, 900]], [[0.1, 0.2, 0.3, 0.9, 0.8]], labels, thresholds=[0.05, 0.5], tolerance=2)
    assert operating_points(good, f1_at=())["pr_auc"] == pytest.approx(1.0)
    assert operating_points(bad, f1_at=())["pr_auc"] == pytest.approx(0.6)  # recall 0 -> 1 at precision 3/5
    assert operating_points(good, f1_at=())["recall_at_precision"] == 1.0
    assert operating_points(bad, f1_at=())["recall_at_precision"] == 0.0


def test_transfer_by_hand():
    # source: best at 0.5; target: best at 0.1 where the source threshold loses one event
    source = count_picks([[10, 40]], [[0.6, 0.2]], [[10]], thresholds=[0.1, 0.5], tolerance=2)
    target = count_picks([[10, 40]], [[0.6, 0.2]], [[10, 40]], thresholds=[0.1, 0.5], tolerance=2)
    t = threshold_transfer(source, target)
    assert t["source_threshold"] == 0.5 and t["target_best_threshold"] == 0.1
    assert t["target_best_f1"] == 1.0 and t["target_f1_at_source_threshold"] == pytest.approx(2 / 3)
    assert t["f1_lost"] == pytest.approx(1 / 3)
    b = bootstrap_transfer(source, target, n_boot=50)
    assert b["f1_lost"]["value"] == pytest.approx(1 / 3)


def test_paired_comparison_of_identical_arms_is_zero_everywhere():
    c = hand_made()
    diff = compare_operating_points(c, c, n_boot=100, f1_at=(0.5,))
    for key, v in diff.items():
        if not math.isnan(v["value"]):
            assert v["value"] == 0.0 and v["low"] == 0.0 and v["high"] == 0.0, key
    tr = bootstrap_transfer(c, c, n_boot=50, baseline=(c, c))
    assert all(v["value"] == 0.0 and v["low"] == 0.0 == v["high"] for v in tr.values())


def test_bootstrap_brackets_the_point_and_is_reproducible():
    rng = np.random.default_rng(0)
    picks = [np.sort(rng.choice(5000, 12, replace=False)) for _ in range(20)]
    scores = [rng.random(12) for _ in range(20)]
    labels = [p[:6] + rng.integers(-3, 4, 6) for p in picks]
    c = count_picks(picks, scores, labels, thresholds=np.round(np.arange(0.05, 0.96, 0.05), 2), tolerance=5)
    a = bootstrap_operating_points(c, n_boot=300, seed=3)
    b = bootstrap_operating_points(c, n_boot=300, seed=3)
    assert json.dumps(a) == json.dumps(b)  # nan-safe equality
    for key in ("best_f1", "pr_auc", "recall_at_precision"):
        assert a[key]["low"] <= a[key]["value"] <= a[key]["high"], key


# --------------------------------------------------------------------------- properties


@st.composite
def traces_and_labels(draw):
    length = draw(st.integers(50, 300))
    values = draw(st.lists(st.floats(0, 1, allow_nan=False), min_size=length, max_size=length))
    labels = draw(st.lists(st.integers(0, length - 1), max_size=8, unique=True))
    return np.asarray(values), np.sort(np.asarray(labels, dtype=np.int64))


@settings(max_examples=40, deadline=None)
@given(traces_and_labels(), st.integers(1, 20), st.integers(0, 10))
def test_candidates_found_once_give_the_picks_of_every_threshold(case, distance, tolerance):
    """Peaks found once at the lowest threshold and cut at t equal a fresh search at t."""
    trace, labels = case
    grid = [0.05, 0.2, 0.4, 0.6, 0.8]
    cand = find_peaks(trace, height=grid[0], distance=distance)
    c = count_picks([cand], [trace[cand]], [labels], thresholds=grid, tolerance=tolerance)
    for j, t in enumerate(grid):
        picks = find_peaks(trace, height=t, distance=distance)
        tp = len(match_peaks(picks, labels, tolerance))
        assert c.tp[0, j] == tp
        assert c.fp[0, j] == picks.size - tp
        assert c.fn[0, j] == labels.size - tp


@st.composite
def random_counts(draw):
    groups = draw(st.integers(1, 6))
    picks, scores, labels = [], [], []
    for _ in range(groups):
        n = draw(st.integers(0, 10))
        picks.append(np.asarray(draw(st.lists(st.integers(0, 500), min_size=n, max_size=n)), dtype=np.int64))
        scores.append(np.asarray(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)), dtype=np.float64))
        labels.append(np.asarray(draw(st.lists(st.integers(0, 500), max_size=6)), dtype=np.int64))
    return picks, scores, labels


@settings(max_examples=40, deadline=None)
@given(random_counts())
def test_measures_stay_in_range_and_are_consistent(case):
    picks, scores, labels = case
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    c = count_picks(picks, scores, labels, thresholds=grid, tolerance=5)
    assert np.all(c.tp + c.fn == c.n_labels[:, None])
    assert np.all(np.diff((c.tp + c.fp).sum(0)) <= 0)  # fewer picks at higher thresholds
    m = operating_points(c, f1_at=(0.5,))
    f1 = pr_curve(c)["f1"]
    if np.isfinite(f1).any():
        assert m["best_f1"] == pytest.approx(np.nanmax(f1))
        assert m["near_best_low"] <= m["best_threshold"] <= m["near_best_high"]
        assert not m["f1_at_0.5"] > m["best_f1"] + 1e-12  # nan when neither picks nor labels
    else:  # neither picks nor labels anywhere: no best, no range
        assert math.isnan(m["best_f1"]) and math.isnan(m["near_best_width"])
    assert 0.0 <= m["pr_auc"] <= 1.0 and 0.0 <= m["recall_at_precision"] <= 1.0
    # group order does not matter
    order = np.arange(len(picks))[::-1]
    c2 = count_picks([picks[i] for i in order], [scores[i] for i in order], [labels[i] for i in order], thresholds=grid, tolerance=5)
    m2 = operating_points(c2, f1_at=(0.5,))
    assert all((math.isnan(m[k]) and math.isnan(m2[k])) or m[k] == pytest.approx(m2[k]) for k in m)
    # a threshold moved to the set it was chosen on loses nothing; elsewhere never less than 0
    assert threshold_transfer(c, c)["f1_lost"] == pytest.approx(0.0)
    assert threshold_transfer(c, c2.take(np.zeros(1, dtype=int)))["f1_lost"] >= 0.0


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(pick_scores=[[0.5]]), ShapeMismatchError, "pick_scores: expected 2 groups"),
        (dict(pick_scores=[[0.5, 0.1], [0.2]]), ShapeMismatchError, "pick_scores[0]: expected 1 scores"),
        (dict(pick_scores=[[np.nan], [0.2]]), InvalidArgumentError, "pick_scores[0]: expected finite"),
        (dict(thresholds=[0.5, 0.2]), InvalidArgumentError, "thresholds: expected finite, strictly increasing"),
        (dict(thresholds=[]), InvalidArgumentError, "thresholds: expected a non-empty"),
        (dict(tolerance=-1), InvalidArgumentError, "tolerance: expected an int >= 0"),
        (dict(tolerance=2.5), TypeError, "tolerance: expected an int"),
        (dict(label_positions=[[1.5], [2]]), TypeError, "label_positions[0]: expected integer sample indices"),
        (dict(noise_intervals=[[[5, 1]], []]), InvalidArgumentError, "noise_intervals[0]: expected finite intervals"),
        (dict(noise_intervals=[[1, 2, 3], []]), ShapeMismatchError, "noise_intervals[0]: expected (k, 2)"),
        (dict(pick_positions="abc"), TypeError, "pick_positions: expected a sequence"),
        (dict(pick_positions=[]), InvalidArgumentError, "pick_positions: expected at least one group"),
    ],
)
def test_bad_inputs_are_named(kwargs, error, words):
    args = dict(pick_positions=[[10], [20]], pick_scores=[[0.5], [0.2]], label_positions=[[10], [21]], thresholds=[0.1, 0.5])
    args.update(kwargs)
    with pytest.raises(error) as info:
        count_picks(**args)
    assert words in str(info.value)


def test_bad_settings_are_named():
    c = hand_made()
    with pytest.raises(InvalidArgumentError, match="f1_at: expected a threshold on the grid"):
        operating_points(c, f1_at=(0.33,))
    with pytest.raises(InvalidArgumentError, match="precision: expected a float in"):
        operating_points(c, precision=1.5)
    with pytest.raises(InvalidArgumentError, match="rate_scale: expected a positive finite float"):
        operating_points(c, rate_scale=0.0)
    with pytest.raises(TypeError, match="counts: expected a PickCounts"):
        operating_points({"tp": 1})
    with pytest.raises(InvalidArgumentError, match="settings: expected names among"):
        bootstrap_operating_points(c, threshold=0.5)
    with pytest.raises(InvalidArgumentError, match="n_boot: expected an int >= 1"):
        bootstrap_operating_points(c, n_boot=0)
    one_group = count_picks([[1]], [[0.5]], [[1]], thresholds=GRID, tolerance=1)
    with pytest.raises(ShapeMismatchError, match="candidate: expected the 2 groups of baseline"):
        compare_operating_points(c, one_group)
    other_grid = count_picks([[1]], [[0.5]], [[1]], thresholds=[0.1, 0.5], tolerance=1)
    with pytest.raises(InvalidArgumentError, match="target: expected the threshold grid of source"):
        threshold_transfer(c, other_grid)


def test_transfer_over_strata_is_the_mean_of_each_stratum():
    source = count_picks([[10, 40]], [[0.6, 0.2]], [[10]], thresholds=[0.1, 0.5], tolerance=2)
    target = count_picks([[10, 40]], [[0.6, 0.2]], [[10, 40]], thresholds=[0.1, 0.5], tolerance=2)
    both = bootstrap_transfer([source, target], [target, target], n_boot=20)
    assert both["f1_lost"]["value"] == pytest.approx((1 / 3 + 0.0) / 2)
    with pytest.raises(ShapeMismatchError, match="target: expected 2 strata"):
        bootstrap_transfer([source, target], [target], n_boot=5)
    with pytest.raises(TypeError, match="source: expected a PickCounts or a non-empty list"):
        bootstrap_transfer([], [target], n_boot=5)


def test_concat_keeps_every_group():
    c = hand_made()
    both = concat_counts([c, c])
    assert both.n_groups == 4 and both.tp.sum() == 2 * c.tp.sum()
    assert operating_points(both, f1_at=())["best_f1"] == pytest.approx(operating_points(c, f1_at=())["best_f1"])


def test_no_picks_and_no_labels_leave_every_ratio_undefined():
    c = count_picks([np.zeros(0, dtype=np.int64)], [np.zeros(0)], [np.zeros(0, dtype=np.int64)], thresholds=[0.1, 0.5])
    m = operating_points(c, f1_at=(0.5,))
    assert math.isnan(m["best_f1"]) and math.isnan(m["near_best_width"]) and math.isnan(m["f1_at_0.5"])
    assert m["pr_auc"] == 0.0 and m["recall_at_precision"] == 0.0 and math.isnan(m["false_pick_rate_at_recall"])
