"""The ECG decision benchmark's pieces: grid counts, transfer, batches, the shared harness, a smoke run."""

import importlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.ecg import BOUNDARIES, delineation_metrics, make_synthetic_ecg, pick_boundaries
from shapeloss.ecg.dataset import build_lead_set
from shapeloss.errors import ShapeMismatchError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

scoring = importlib.import_module("_ecg_scoring")
harness = importlib.import_module("_harness")
train = importlib.import_module("_ecg_train")
report = importlib.import_module("_ecg_report")

DATA = build_lead_set(make_synthetic_ecg(3, seed=5))


def _probs(seed: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = np.cumsum(rng.standard_normal(DATA.targets.shape), axis=-1)
    smooth = (smooth - smooth.min(-1, keepdims=True)) / np.ptp(smooth, axis=-1, keepdims=True)
    return np.clip(DATA.targets * rng.uniform(0.1, 1.0, (len(DATA), 6, 1)) + noise * smooth, 0.0, 1.0)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.floats(0.0, 0.8), j=st.integers(0, len(scoring.THRESHOLDS) - 1))
def test_grid_counts_equal_the_metric_at_each_threshold(seed, noise, j):
    probs = _probs(seed, noise)
    counts = scoring.boundary_counts(probs, DATA).sum(axis=0)
    th = float(scoring.THRESHOLDS[j])
    picks = [pick_boundaries(p, None, threshold=th, distance=100) for p in probs]
    m = delineation_metrics(picks, DATA.boundaries, sampling_rate=DATA.sampling_rate, spans=DATA.spans)
    for c, name in enumerate(BOUNDARIES):
        assert tuple(counts[c, j]) == (m[name]["tp"], m[name]["fp"], m[name]["fn"])


def test_timing_errors_match_the_metric():
    probs = _probs(1, 0.3)
    errors = scoring.timing_errors(probs, DATA, {n: 0.4 for n in BOUNDARIES})
    picks = [pick_boundaries(p, None, threshold=0.4, distance=100) for p in probs]
    m = delineation_metrics(picks, DATA.boundaries, sampling_rate=DATA.sampling_rate, spans=DATA.spans)
    for name in BOUNDARIES:
        err = errors[name][1]
        assert len(err) == m[name]["tp"]
        if len(err):
            assert math.isclose(err.mean(), m[name]["error_mean_ms"], abs_tol=1e-9)


def test_counts_refuse_a_wrong_shape():
    with pytest.raises(ShapeMismatchError, match="probs: expected shape"):
        scoring.boundary_counts(np.zeros((len(DATA), 5, DATA.signals.shape[1])), DATA)


def test_per_record_sums_the_leads_of_a_record():
    counts = scoring.boundary_counts(_probs(2, 0.2), DATA)
    rec = scoring.per_record(counts, DATA)
    assert rec.shape[0] == len(set(DATA.records))
    np.testing.assert_array_equal(rec.sum(axis=0), counts.sum(axis=0))


def test_transfer_loss_is_zero_at_the_oracle_and_positive_elsewhere():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 20, size=(12, 6, len(scoring.THRESHOLDS), 3))
    w = report._weights(12, 50)
    oracle = np.array([[int(np.argmax(scoring.f1_curve(target[:, c].sum(0)))) for c in range(6)]] * 12)
    at_oracle = report._transfer_draws(target, oracle, w, [12])
    assert np.allclose(at_oracle[0], 0.0)
    assert (report._transfer_draws(target, np.zeros((12, 6), int), w, [12]) >= -1e-12).all()


def test_batches_are_deterministic_and_widened_labels_keep_the_windows():
    wide = build_lead_set(make_synthetic_ecg(3, seed=5), width=train.widened_width(5.0, 5.0))
    a = train.EcgBatches(DATA, 4, 256, seed=3, augmentation=True)
    b = train.EcgBatches(wide, 4, 256, seed=3, augmentation=True)
    (xa, ya), (xb, yb), (xc, _) = a(7), b(7), a(8)
    assert torch.equal(xa, xb) and not torch.equal(xa, xc)
    assert torch.equal(xa, a(7)[0])
    assert (yb.sum() > ya.sum()) and torch.equal(ya.argmax(-1), yb.argmax(-1))


def test_augment_keeps_shape_and_refuses_2d():
    x = np.ones((3, 1, 100), np.float32)
    y = train.augment(x, np.random.default_rng(0))
    assert y.shape == x.shape and y.dtype == np.float32 and not np.allclose(y, x)
    with pytest.raises(Exception, match="x: expected a"):
        train.augment(np.ones((3, 100)), np.random.default_rng(0))


def test_harness_predict_clean_and_atomic_json(tmp_path):
    from shapeloss.nets import UNet1d

    net = UNet1d(1, 6, widths=(4, 8))
    net.train()
    p = harness.predict(net, np.zeros((3, 64), np.float32), chunk=2)
    assert p.shape == (3, 6, 64) and ((p >= 0) & (p <= 1)).all() and net.training
    with pytest.raises(ShapeMismatchError, match="inputs: expected"):
        harness.predict(net, np.zeros(5))
    path = harness.write_json(tmp_path / "r.json", {"a": np.float32(np.nan), "b": np.arange(2), "c": np.bool_(True)})
    assert json.loads(path.read_text()) == {"a": None, "b": [0, 1], "c": True}
    assert not list(tmp_path.glob("*.tmp"))


def test_train_arm_leaves_the_warm_up_untouched():
    from shapeloss.nets import UNet1d

    torch.manual_seed(0)
    net = UNet1d(1, 6, widths=(4, 8))
    before = [p.detach().clone() for p in net.parameters()]
    batches = train.EcgBatches(DATA, 2, 128, seed=0)
    cfg = harness.ArmConfig(critic="light", cosine=True)
    model, summary = harness.train_arm(net, cfg, batches, 2, seed=0)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert "last50_discriminator" in summary
    with pytest.raises(Exception, match="steps: expected"):
        harness.train_arm(net, cfg, batches, -1, seed=0)


def test_decision_smoke_on_synthetic_ecg(tmp_path):
    mod = importlib.import_module("ecg_decision")
    out = tmp_path / "d.json"
    mod.main(["--smoke", "--synthetic", "--threads", "1", "--out", str(out)])
    r = json.loads(out.read_text())
    assert r["command"].startswith("python benchmarks/ecg_decision.py --smoke")
    assert "synthetic" in r["data"]
    pooled = r["pooled"]
    assert set(pooled["arms"]) == {"bce", "bce_tuned", "bce_calibrated", "widened", "weighted", "shapeloss"}
    assert [d["measure"] for d in pooled["decision"]][:4] == ["f1_fixed", "f1_at_dev", "best_f1", "pr_auc"]
    for row in pooled["decision"]:
        assert row["choice"] in row["arms"] and row["best"] in row["arms"]
        for v in row["arms"].values():
            assert v["ci95"][0] <= v["value"] + 1e-9 or v["value"] is None
    # bce_tuned's fixed-threshold F1 is BCE's F1 at the validation threshold
    assert pooled["arms"]["bce_tuned"]["f1_fixed"]["macro"] == pooled["arms"]["bce"]["f1_at_dev"]["macro"]
