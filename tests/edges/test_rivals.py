"""Shape-aware rival losses (extra 'baselines'), the boundary Hausdorff distance and
the benchmark's rival arms. Tests of a missing library are skipped with the reason."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.edges import boundary_hausdorff, make_contour_images, make_onset_burst
from shapeloss.edges import rivals
from shapeloss.errors import InvalidArgumentError, ShapeLossError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import edges_rivals  # noqa: E402

LIBRARY = {"HausdorffDTLoss": "monai", "SoftclDiceLoss": "monai", "HausdorffERLoss": "kornia", "SoftDTWLoss": "tslearn"}


def _need(name):
    pytest.importorskip(LIBRARY[name], reason=f"{LIBRARY[name]} (extra 'baselines') not installed")
    return getattr(rivals, name)


def _data(name):
    """Small targets and the logits of a good and of a shifted prediction."""
    if name == "SoftDTWLoss":
        d = make_onset_burst(4, seed=3, length=128)
        y, shifted = d.targets, torch.roll(d.targets, 20, dims=-1)
    else:
        d = make_contour_images(2, seed=3, size=(24, 24))
        y, shifted = d.targets, torch.roll(d.targets, 4, dims=-1)
    logit = lambda p: torch.logit(p.clamp(0.02, 0.98))  # noqa: E731
    return y, logit(y), logit(shifted)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_rival_is_bce_plus_a_non_negative_shape_term(name):
    cls = _need(name)
    y, good, bad = _data(name)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    loss = cls(weight=1.0)
    for logits in (good, bad):
        value = loss(logits, y)
        assert value.ndim == 0 and torch.isfinite(value)
        assert value >= bce(logits, y) - 1e-6
    assert torch.allclose(cls(weight=0.0)(bad, y), bce(bad, y))
    # the shape term ranks a prediction on the labels above one shifted off them
    assert loss.term(good, y) < loss.term(bad, y)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_rival_gradients_are_finite(name):
    cls = _need(name)
    y, _, bad = _data(name)
    logits = bad.clone().requires_grad_(True)
    cls(weight=1.0)(logits, y).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_rival_rejects_bad_input_naming_the_argument(name):
    cls = _need(name)
    y, good, _ = _data(name)
    with pytest.raises(ShapeLossError, match="weight"):
        cls(weight=-1.0)
    loss = cls()
    with pytest.raises(ShapeLossError, match="target"):
        loss(good, y * 2.0 + 0.1)
    with pytest.raises(ShapeLossError, match="logits"):
        loss(good[..., :-1], y)
    with pytest.raises(ShapeLossError, match="logits"):
        loss(good[0], y[0])  # one dimension short


def test_soft_dtw_rejects_bad_gamma_and_pool():
    cls = _need("SoftDTWLoss")
    with pytest.raises(InvalidArgumentError, match="gamma"):
        cls(gamma=0.0)
    with pytest.raises(ShapeLossError, match="pool"):
        cls(pool=0)


def test_rival_available_names_the_extra_and_rejects_unknown_names():
    ok, reason = rivals.rival_available("HausdorffDTLoss")
    assert ok or "baselines" in reason
    with pytest.raises(InvalidArgumentError, match="name"):
        rivals.rival_available("NoSuchLoss")


# --------------------------------------------------------------------------- boundary_hausdorff


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5), st.integers(1, 4))
def test_hausdorff_of_a_shifted_line_is_the_shift(row, shift, width):
    true = np.zeros((1, 1, 12, 12))
    true[0, 0, row, 2 : 2 + width] = 1
    pred = np.roll(true, shift, axis=2)
    assert boundary_hausdorff(pred, true)[0, 0] == pytest.approx(shift)
    assert boundary_hausdorff(true, pred)[0, 0] == pytest.approx(shift)  # symmetric


def test_hausdorff_counts_a_far_false_pixel_and_is_nan_without_predictions():
    true = np.zeros((2, 1, 20))
    true[:, 0, 5] = 1
    pred = true.copy()
    pred[0, 0, 15] = 0.9
    pred[1] = 0.0
    hd = boundary_hausdorff(pred, true, threshold=0.5)
    assert hd[0, 0] == pytest.approx(10.0) and math.isnan(hd[1, 0])


def test_hausdorff_rejects_bad_arguments():
    x = np.zeros((1, 1, 8, 8))
    with pytest.raises(InvalidArgumentError, match="percentile"):
        boundary_hausdorff(x, x, percentile=0)
    with pytest.raises(InvalidArgumentError, match="threshold"):
        boundary_hausdorff(x, x, threshold=1.5)
    with pytest.raises(ShapeLossError, match="boundaries"):
        boundary_hausdorff(x, x[..., :-1])


# --------------------------------------------------------------------------- benchmark helpers


def test_average_precision_of_perfect_and_useless_sweeps():
    n = len(edges_rivals.THRESHOLDS)
    assert edges_rivals.average_precision(np.ones(n), np.ones(n)) == pytest.approx(1.0)
    assert edges_rivals.average_precision(np.full(n, np.nan), np.zeros(n)) == 0.0
    half = edges_rivals.average_precision(np.full(n, 0.5), np.linspace(1, 0, n))
    assert half == pytest.approx(0.5)


def test_interval_is_the_student_t_interval_and_handles_missing_values():
    iv = edges_rivals.interval([1.0, 2.0, 3.0])
    assert iv["mean"] == 2.0 and iv["std"] == pytest.approx(1.0)
    assert iv["high"] - iv["mean"] == pytest.approx(4.303 / math.sqrt(3), rel=1e-3)
    assert edges_rivals.interval([None, 2.0])["low"] is None
    assert edges_rivals.interval([None])["mean"] is None


def test_benchmark_rival_arms_smoke(tmp_path):
    for lib in ("monai", "kornia", "tslearn"):
        pytest.importorskip(lib, reason=f"{lib} (extra 'baselines') not installed")
    spec = importlib.util.spec_from_file_location("synthetic_edges", ROOT / "benchmarks" / "synthetic_edges.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "rivals.json"
    mod.main(["--smoke", "--steps", "1", "--steps-2d", "1", "--arms-1d", "bce", "soft_dtw",
              "--arms-2d", "bce", "hausdorff_dt", "hausdorff_er", "cldice", "--no-figures", "--out", str(out)])
    result = json.loads(out.read_text())
    assert set(result["edges_1d"]["summary"]) == {"bce", "soft_dtw"}
    assert set(result["edges_2d"]["summary"]) == {"bce", "hausdorff_dt", "hausdorff_er", "cldice"}
    row = result["edges_2d"]["summary"]["cldice"]["tuned.faint.f1"]
    assert set(row) >= {"mean", "low", "high", "values"} and len(row["values"]) == 1
    tuned = result["edges_2d"]["per_seed"]["hausdorff_dt"][0]["tuned"]["faint"]
    assert 0 < tuned["threshold"] < 1 and 0 <= tuned["f1"] <= 1


def test_benchmark_caps_numba_threads_for_soft_dtw():
    """tslearn's soft-DTW runs its batch in numba threads; the benchmark holds them to --threads."""
    numba = pytest.importorskip("numba", reason="numba (via tslearn, extra 'baselines') not installed")
    import _edges_train

    before = numba.get_num_threads()
    try:
        assert _edges_train.limit_numba_threads(1) == 1 and numba.get_num_threads() == 1
        assert _edges_train.limit_numba_threads(10_000) == numba.config.NUMBA_NUM_THREADS
        assert _edges_train.limit_numba_threads(0) == 1  # never below one thread
    finally:
        numba.set_num_threads(before)
