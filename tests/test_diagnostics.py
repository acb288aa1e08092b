"""Tests of shapeloss.diagnostics: landscapes, the model-free simulation, histories and the command line."""

from __future__ import annotations

import csv
import json

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from shapeloss.diagnostics import (
    TrackedPredictions,
    band_share_over_steps,
    expected_target,
    gaussian_label,
    load_metrics,
    load_tracked,
    offset_density,
    plot_history,
    pointwise_landscape,
    sample_offsets,
    simulate,
    template_landscape,
)
from shapeloss.diagnostics.__main__ import main
from shapeloss.errors import DataFormatError, InvalidArgumentError, OutOfDomainError, ShapeMismatchError

SIGMA = 5.0  # a small label keeps the tests fast; the physics scales with spread / sigma


# --------------------------------------------------------------------------- landscapes


def test_pointwise_bce_landscape_has_low_regions_at_low_height_on_both_sides():
    land = pointwise_landscape(gaussian_label(SIGMA), "bce")
    assert land.loss.shape == (land.heights.size, land.offsets.size)
    best = land.best_height()
    far = np.abs(land.offsets) >= 3 * SIGMA
    assert far[land.offsets < 0].any() and far[land.offsets > 0].any()
    assert np.all(best[far] <= 0.02)  # the valley floor lies at low height on both sides
    assert best[land.offsets == 0][0] == 1.0
    minima = land.local_minima()
    assert any(t < -3 * SIGMA and h <= 0.02 for t, h in minima)
    assert any(t > 3 * SIGMA and h <= 0.02 for t, h in minima)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_template_landscape_has_a_single_minimum_at_zero_offset_unit_height(loss):
    land = template_landscape(gaussian_label(SIGMA), loss)
    assert land.loss.shape == (land.heights.size, land.offsets.size)
    assert land.argmin() == (0.0, 1.0)
    assert land.local_minima() == [(0.0, 1.0)]


def test_jitter_lowers_the_pointwise_valley_to_the_expected_target():
    land = pointwise_landscape(gaussian_label(SIGMA), "bce", heights=np.linspace(0, 1, 1001), spread=1.5 * SIGMA)
    # Gaussian label convolved with Gaussian jitter: height sigma / sqrt(sigma^2 + s^2)
    assert land.best_height().max() == pytest.approx(1 / np.sqrt(1 + 1.5**2), abs=2e-3)


def test_landscape_accepts_any_label_and_callable_loss():
    triangle = np.concatenate([np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]])
    land = template_landscape(triangle, lambda p, y: (p - y).abs(), offsets=np.arange(-6, 7), heights=np.linspace(0, 1, 11))
    assert land.loss_name == "<lambda>"
    assert land.argmin() == (0.0, 1.0)
    d = json.loads(json.dumps(land.to_dict(), allow_nan=False))
    assert d["argmin"] == {"offset": 0.0, "height": 1.0}
    # a loss that is infinite at the edges of the height grid still gives strict JSON
    log_loss = pointwise_landscape(triangle, lambda p, y: -torch.log(p) - torch.log(1 - p), offsets=[-3, 0, 3])
    assert json.loads(json.dumps(log_loss.to_dict(), allow_nan=False))["values"][0][0] is None
    log_loss.plot()
    ax = land.plot()
    assert ax.get_xlabel().startswith("offset")


def test_landscape_rejects_bad_input():
    with pytest.raises(InvalidArgumentError, match="loss"):
        pointwise_landscape(gaussian_label(SIGMA), "hinge")
    with pytest.raises(OutOfDomainError, match="label"):
        pointwise_landscape(2 * gaussian_label(SIGMA))
    with pytest.raises(ShapeMismatchError, match="label"):
        pointwise_landscape(np.ones((2, 3)))
    with pytest.raises(InvalidArgumentError, match="heights"):
        pointwise_landscape(gaussian_label(SIGMA), heights=[0.5, 1.5])
    with pytest.raises(InvalidArgumentError, match="spread"):
        template_landscape(gaussian_label(SIGMA), spread=-1.0)


# --------------------------------------------------------------------------- simulation


def test_offsets_have_the_requested_spread_and_skew():
    g = torch.Generator().manual_seed(0)
    x = sample_offsets(200_000, spread=3.0, skew=4.0, generator=g).numpy()
    assert abs(x.mean()) < 0.05 and x.std() == pytest.approx(3.0, rel=0.02)
    assert np.mean((x - x.mean()) ** 3) > 0  # positive shape: a tail of late picks
    grid = np.linspace(-30, 30, 6001)
    dens = offset_density(grid, 3.0, 4.0)
    step = grid[1] - grid[0]
    assert dens.sum() * step == pytest.approx(1.0, abs=1e-3)
    assert (grid * dens).sum() * step == pytest.approx(0.0, abs=1e-3)


def test_closed_form_matches_gaussian_convolution():
    for s in (2.5, 7.5):
        e = expected_target(gaussian_label(SIGMA), spread=s)
        # linear interpolation of a label sampled every sample costs ~2e-3 at sigma 5 (1e-5 at sigma 20)
        assert e.max() == pytest.approx(SIGMA / np.hypot(SIGMA, s), abs=4e-3)
        assert np.argmax(e) == e.size // 2


@pytest.fixture(scope="module")
def spread_runs():
    """Spreads 0.5, 1.5 and 2.5 label sigmas: 0.1, 0.3, 0.5 s for a sigma-20 label at 100 Hz."""
    return [simulate(k * SIGMA, label=gaussian_label(SIGMA), steps=400, seed=0) for k in (0.5, 1.5, 2.5)]


def test_pointwise_height_falls_with_spread_and_template_stays_higher(spread_runs):
    heights = [r.pointwise_height for r in spread_runs]
    assert heights[0] > heights[1] > heights[2]
    for r in spread_runs:
        assert r.template_height > r.pointwise_height
        assert abs(r.template_position) < 0.2 * SIGMA  # stays centred
        assert abs(r.pointwise_position) <= 0.5 * SIGMA


def test_simulated_pointwise_optimum_agrees_with_closed_form(spread_runs):
    for r in spread_runs:
        assert r.optimum_gap < 0.05
        assert r.trajectory["pointwise_height"].shape == r.steps.shape
    d = json.loads(json.dumps(spread_runs[0].to_dict(include_curves=True)))
    assert d["pointwise"]["height"] == pytest.approx(spread_runs[0].pointwise_height)


def test_simulation_is_deterministic_and_checks_input():
    a = simulate(SIGMA, label=gaussian_label(SIGMA), steps=20, seed=3)
    b = simulate(SIGMA, label=gaussian_label(SIGMA), steps=20, seed=3)
    np.testing.assert_array_equal(a.pointwise, b.pointwise)
    with pytest.raises(InvalidArgumentError, match="spread"):
        simulate(0.0)
    with pytest.raises(InvalidArgumentError, match="steps"):
        simulate(SIGMA, steps=0)


# --------------------------------------------------------------------------- histories


def _tracked(steps=(0, 10, 20), b=2, c=2, length=200):
    t = np.arange(length)
    labels = np.zeros((b, c, length))
    labels[:, :] = np.exp(-0.5 * ((t - 100) / SIGMA) ** 2)
    preds = np.stack([labels * h for h in np.linspace(0.1, 0.9, len(steps))])
    return np.asarray(steps), preds, labels


def test_band_share_over_steps_tracks_rising_peaks():
    steps, preds, labels = _tracked(steps=(0, 10, 20, 30, 40))
    tracked = load_tracked(list(zip(steps.tolist(), preds)), labels=labels)
    share, eff = band_share_over_steps(tracked)
    # heights 0.1, 0.3, 0.5, 0.7, 0.9: in the band [0.3, 0.7) at steps 10 and 20 only
    np.testing.assert_array_equal(share[:, 0], [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(eff[:, 1], [0, 0, 0, 1, 1])
    assert np.all((share >= 0) & (share <= 1))


def test_load_metrics_csv_jsonl_and_list(tmp_path):
    rows = [{"step": i, "base": 1.0 / (i + 1), "adversarial": 0.7, "total": 1.0, "discriminator": 1.3,
             "real_score": 0.6, "fake_score": 0.4} for i in range(5)]
    with open(tmp_path / "log.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    (tmp_path / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for source in (tmp_path / "log.csv", tmp_path / "log.jsonl", rows):
        m = load_metrics(source)
        np.testing.assert_allclose(m["base"], [r["base"] for r in rows])
    partial = load_metrics([{"step": 1, "skipped": 1.0}])
    assert np.isnan(partial["base"]).all()


def test_load_metrics_reports_bad_files(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"step": 1, "base": 0.5}\n{"step": 2, "ba')
    with pytest.raises(DataFormatError, match="bad.jsonl line 2"):
        load_metrics(bad)
    nostep = tmp_path / "nostep.csv"
    nostep.write_text("base,total\n0.1,0.2\n")
    with pytest.raises(DataFormatError, match="'step'"):
        load_metrics(nostep)
    text = tmp_path / "text.csv"
    text.write_text("step,base\n1,abc\n")
    with pytest.raises(DataFormatError, match="row 1: field 'base'"):
        load_metrics(text)
    with pytest.raises(InvalidArgumentError, match="source"):
        load_metrics(tmp_path / "x.txt") if (tmp_path / "x.txt").write_text("") is not None else None


def test_load_tracked_npz_checks(tmp_path):
    steps, preds, labels = _tracked()
    np.savez(tmp_path / "ok.npz", steps=steps, predictions=preds, labels=labels)
    tracked = load_tracked(tmp_path / "ok.npz")
    assert isinstance(tracked, TrackedPredictions) and tracked.labels.shape == labels.shape
    np.savez(tmp_path / "nokey.npz", steps=steps)
    with pytest.raises(DataFormatError, match="predictions"):
        load_tracked(tmp_path / "nokey.npz")
    np.savez(tmp_path / "short.npz", steps=steps[:2], predictions=preds)
    with pytest.raises(DataFormatError, match="predictions"):
        load_tracked(tmp_path / "short.npz")
    with pytest.raises(ShapeMismatchError, match="labels"):
        load_tracked(tmp_path / "ok.npz", labels=labels[:1])
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(DataFormatError, match="corrupt.npz"):
        load_tracked(tmp_path / "corrupt.npz")
    np.save(tmp_path / "single.npy", preds)
    with pytest.raises(DataFormatError, match="single .npy"):
        load_tracked(tmp_path / "single.npy")


def test_plot_history_draws_everything():
    steps, preds, labels = _tracked()
    metrics = load_metrics([{"step": s, "base": 0.1, "adversarial": 0.7, "real_score": 0.6, "fake_score": 0.4}
                            for s in range(30)])
    fig = plot_history(metrics, load_tracked(list(zip(steps.tolist(), preds)), labels=labels))
    assert len(fig.axes) >= 5


# --------------------------------------------------------------------------- command line


def test_cli_writes_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["landscape", "--out", str(out), "--sigma", "4"]) == 0
    assert main(["simulate", "--out", str(out), "--sigma", "4", "--spreads", "0.02", "0.06",
                 "--steps", "30"]) == 0
    steps, preds, labels = _tracked()
    np.savez(tmp_path / "tracked.npz", steps=steps, predictions=preds, labels=labels)
    np.savez(tmp_path / "pred.npz", predictions=preds[-1], labels=labels)
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": i, "base": 0.5, "adversarial": 0.7}) + "\n" for i in range(4)))
    assert main(["history", "--out", str(out), "--log", str(log), "--tracked", str(tmp_path / "tracked.npz")]) == 0
    assert main(["report", str(tmp_path / "pred.npz"), "--out", str(out), "--channel-names", "P", "S"]) == 0
    for stem in ("landscape_bce", "simulation", "history", "suppression_report"):
        assert (out / f"{stem}.png").stat().st_size > 0
        json.loads((out / f"{stem}.json").read_text())
    report = json.loads((out / "suppression_report.json").read_text())
    assert report["channels"]["P"]["effective"] == 2  # height 0.9 at both label peaks
    np.savez(tmp_path / "wrong.npz", predictions=preds[-1])
    assert main(["report", str(tmp_path / "wrong.npz"), "--out", str(out)]) == 2
    assert "labels" in capsys.readouterr().err
