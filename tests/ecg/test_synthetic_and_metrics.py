"""Synthetic ECG determinism and ranges; the 150 ms boundary matching."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.ecg import (
    SyntheticEcgConfig,
    annotation_mask,
    boundary_positions,
    delineation_metrics,
    make_synthetic_ecg,
    match_boundaries,
    pick_boundaries,
    segment_masks,
)
from shapeloss.errors import InvalidArgumentError, ShapeMismatchError


def test_synthetic_ecg_is_deterministic():
    a = make_synthetic_ecg(3, seed=7)
    b = make_synthetic_ecg(3, seed=7)
    c = make_synthetic_ecg(3, seed=8)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.signals, y.signals)
        assert x.waves == y.waves
    assert not np.array_equal(a[0].signals, c[0].signals)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_synthetic_ecg_ranges(seed):
    rec = make_synthetic_ecg(1, seed=seed)[0]
    x = rec.lead("synthetic")
    assert x.shape == (5000,) and np.isfinite(x).all()
    assert 0.3 < np.abs(x).max() < 5.0  # mV
    waves = rec.waves["synthetic"]
    kinds = [w.kind for w in waves]
    assert {"P", "QRS", "T"} <= set(kinds)
    for w in waves:
        assert w.onset < w.peak < w.offset
    # beats at 50 to 90 bpm (with variability): between 5 and 17 QRS in 10 s, minus the two unannotated
    qrs = [w.peak for w in waves if w.kind == "QRS"]
    assert 4 <= len(qrs) <= 17
    rr = np.diff(qrs) / 500.0
    assert (rr > 0.35).all() and (rr < 1.6).all()
    # first and last beats unannotated: nothing in the first 0.1 s or the last 0.1 s
    m = annotation_mask(waves, 5000)
    assert not m[:50].any() and not m[-50:].any()
    # waves of one kind do not overlap
    seg = segment_masks(waves, 5000)
    assert seg.sum() == sum(w.offset - w.onset + 1 for w in waves)


def test_synthetic_config_checks():
    with pytest.raises(InvalidArgumentError):
        SyntheticEcgConfig(hrv=0.5)
    with pytest.raises(InvalidArgumentError):
        make_synthetic_ecg(1, noise=(0.1, 0.0))
    with pytest.raises(InvalidArgumentError):
        make_synthetic_ecg(1, nonsense=1)


def test_match_boundaries_hand_made():
    # 150 ms at 500 Hz is 75 samples: 75 matches, 76 does not.
    assert match_boundaries([175], [100])["tp"] == 1
    assert match_boundaries([176], [100])["tp"] == 0
    m = match_boundaries([100, 105, 300], [102, 1000])
    assert (m["tp"], m["fp"], m["fn"]) == (1, 2, 1)
    assert m["error_mean_ms"] == pytest.approx(-4.0)
    assert np.isnan(match_boundaries([], [])["f1"])
    assert match_boundaries([], [5])["f1"] == 0.0
    # at 250 Hz the same 150 ms is 37 samples
    assert match_boundaries([137], [100], sampling_rate=250.0)["tp"] == 1
    assert match_boundaries([138], [100], sampling_rate=250.0)["tp"] == 0


positions = st.lists(st.integers(0, 5000), max_size=15, unique=True)


@settings(max_examples=60, deadline=None)
@given(pred=positions, ann=positions, shift=st.integers(-74, 74))
def test_matching_properties(pred, ann, shift):
    m = match_boundaries(pred, ann)
    assert m["tp"] + m["fp"] == len(pred) and m["tp"] + m["fn"] == len(ann)
    assert m["tp"] <= min(len(pred), len(ann))
    # symmetric in counts: swapping roles swaps fp and fn
    s = match_boundaries(ann, pred)
    assert (s["tp"], s["fp"], s["fn"]) == (m["tp"], m["fn"], m["fp"])
    # order does not matter
    assert match_boundaries(list(reversed(pred)), ann)["tp"] == m["tp"]
    # well-separated annotations found with a constant shift under 150 ms are all matched, error = shift
    spaced = [200 + 400 * i for i in range(len(ann))]
    exact = match_boundaries([p + shift for p in spaced], spaced)
    assert exact["tp"] == len(spaced)
    if spaced:
        assert exact["error_mean_ms"] == pytest.approx(shift * 2.0) and exact["error_std_ms"] == pytest.approx(0.0)


def test_delineation_metrics_pools_leads():
    ann = [[np.array([100, 500])] * 6, [np.array([300])] * 6]
    pred = [[np.array([110, 900])] * 6, [np.array([300])] * 6]
    out = delineation_metrics(pred, ann)
    assert set(out) == {"P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"}
    assert (out["P_on"]["tp"], out["P_on"]["fp"], out["P_on"]["fn"]) == (2, 1, 1)
    with pytest.raises(ShapeMismatchError):
        delineation_metrics(pred, ann[:1])


def test_pick_boundaries_respects_the_mask():
    p = np.zeros((6, 1000))
    p[:, 50] = p[:, 500] = 0.9
    mask = np.zeros(1000, bool)
    mask[100:900] = True
    picks = pick_boundaries(p, mask)
    assert all(list(x) == [500] for x in picks)
    assert all(list(x) == [50, 500] for x in pick_boundaries(p))


def test_synthetic_boundaries_are_ordered():
    """Sorted by time, the boundaries cycle P on, P off, QRS on, QRS off, T on, T off, beat after
    beat: no boundary is out of order within a beat, and no beat overlaps the next."""
    for seed in range(4):
        waves = make_synthetic_ecg(1, seed=seed)[0].waves["synthetic"]
        pos = boundary_positions(waves)
        assert len(pos) == 6 and all(len(p) > 3 for p in pos)
        times = np.concatenate(pos)
        kinds = np.concatenate([np.full(len(p), k) for k, p in enumerate(pos)])
        sequence = kinds[np.argsort(times, kind="stable")]
        first = int(sequence[0])
        expected = (first + np.arange(len(sequence))) % 6
        assert (sequence == expected).all(), f"seed {seed}: boundaries out of order: {sequence.tolist()}"


def test_span_ignores_unmatched_picks_outside_but_keeps_matches():
    # The span starts at an onset (100): a pick one sample early still matches it;
    # a pick in the unannotated beat before (20) is not a false positive.
    m = match_boundaries([20, 99, 300], [100, 500], span=(100, 600))
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 1)
    m_all = match_boundaries([20, 99, 300], [100, 500])
    assert (m_all["tp"], m_all["fp"], m_all["fn"]) == (1, 2, 1)
    ann = [[np.array([100])] * 6]
    out = delineation_metrics([[np.array([99, 20])] * 6], ann, spans=[(100, 400)])
    assert out["QRS_on"]["tp"] == 1 and out["QRS_on"]["fp"] == 0
    with pytest.raises(ShapeMismatchError):
        delineation_metrics([[np.array([99])] * 6], ann, spans=[])


@settings(max_examples=40, deadline=None)
@given(pred=positions, ann=positions, start=st.integers(0, 2500), length=st.integers(1, 2500))
def test_span_only_removes_false_positives(pred, ann, start, length):
    full = match_boundaries(pred, ann)
    spanned = match_boundaries(pred, ann, span=(start, start + length))
    assert spanned["tp"] == full["tp"] and spanned["fn"] == full["fn"]
    outside = sum(1 for p in pred if not start <= p < start + length)
    assert full["fp"] - outside <= spanned["fp"] <= full["fp"]
