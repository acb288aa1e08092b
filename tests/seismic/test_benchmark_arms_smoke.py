"""A few-step run of the seismic benchmark's extra arms (the numbers mean nothing): every arm lands
in the JSON with full metrics and threshold-free measures, and post-hoc maps keep rankings."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "seismic_s_phase.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("seismic_s_phase", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


HAS_MONAI = importlib.util.find_spec("monai") is not None


def test_all_arms_write_full_metrics_and_threshold_free_measures(bench, tmp_path):
    # 'all' includes the focal arm, which needs MONAI (extra 'baselines'); without it, every other arm
    arms = ["all"] if HAS_MONAI else ["baselines", "moonshots"]
    argv = ["--steps", "6", "--branch-at", "3", "--batch-size", "2", "--eval-windows", "6", "--dev-windows", "4",
            "--curve-every", "3", "--curve-windows", "2", "--threads", "1", "--device", "cpu", "--no-figures",
            "--arms", *arms, "--out", str(tmp_path / "arms.json"), "--work-dir", str(tmp_path / "work")]
    bench.run(argv)
    saved = json.loads((tmp_path / "arms.json").read_text())
    run = saved["runs"][0]
    from benchmarks.seismic_arms import ALL_ARMS, LIBRARY_ARMS

    expected = ALL_ARMS if HAS_MONAI else tuple(a for a in ALL_ARMS if a not in LIBRARY_ARMS)
    assert set(run["arms"]) == set(expected)
    for name, arm in run["arms"].items():
        assert arm["phases"]["S"]["n_labels"] == 6 and "sweep" in arm["phases"]["S"]
        tf = run["threshold_free"][name]
        assert set(tf) == {"labels", "truth"}  # synthetic data know the true onsets
        for measure in ("best_f1", "f1_at_dev", "recall_at_p90", "pr_auc", "near_best_width"):
            v = tf["truth"]["S"][measure]
            assert v["ci95"][0] <= v["value"] + 1e-12 and v["value"] <= v["ci95"][1] + 1e-12
    # the trained baselines ran their own steps from the warm-up; the post-hoc ones none
    assert run["timing"]["widened"]["steps_run"] == 3 and "bce_tuned" not in run["timing"]
    if HAS_MONAI:
        assert run["timing"]["focal"]["steps_run"] == 3
    # a strictly increasing map keeps every ranking: the same measures as bce, except the threshold width
    for post in ("bce_tuned", "bce_calibrated", "bce_power"):
        for m in ("best_f1", "pr_auc", "recall_at_p90"):
            assert run["threshold_free"][post]["labels"]["S"][m]["value"] == pytest.approx(
                run["threshold_free"]["bce"]["labels"]["S"][m]["value"])
    pooled = saved["threshold_free"]["branch"]
    assert set(pooled["gain_over_best_baseline"]) == {"shapeloss", "shapeloss_patch", "shapeloss_widened"}
    assert pooled["gain_over_best_baseline"]["shapeloss"]["labels"]["S"]["pr_auc"]["baseline"] in (
        "bce", "bce_tuned", "bce_calibrated", "bce_power", "widened", "weighted", "focal")
    # arm checkpoints where the continuous-record evaluation reads them
    assert all((Path(saved["runs"][0]["counts_files"]["bce"]).parent / f"{a}.pt").exists()
               for a in ("bce", "shapeloss", "widened", "weighted", "shapeloss_patch"))

    # The docs' tables render from the JSON: one row per arm, the critic arms' gains, the decision rows.
    from benchmarks._seismic_baselines import decision_rows, render

    md = render([str(tmp_path / "arms.json")])
    assert all(f"| {a} (" in md for a in expected) and "| shapeloss_patch | true picks |" in md
    rows = decision_rows(saved, "synthetic")
    assert len(rows) == 4 and rows[0].startswith("| synthetic: one fixed threshold (0.7) | ")

    # The same command again: nothing retrained, the same numbers.
    again = bench.run(argv)
    assert again["runs"][0]["threshold_free"] == run["threshold_free"]


def test_arms_option_refuses_unknown_arms_and_keeps_old_folders(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--arms", "bogus"])
    a = bench.parse_args(["--arms", "widened"])
    assert a.arms == ["bce", "shapeloss", "widened"]
    # the focal arm needs an optional library, so the 'baselines' group leaves it out
    assert "focal" not in bench.parse_args(["--arms", "baselines"]).arms


def test_focal_arm_without_monai_is_refused_by_name(bench, monkeypatch, capsys):
    import importlib.util as iu

    real = iu.find_spec
    monkeypatch.setattr(iu, "find_spec", lambda name, *a: None if name == "monai" else real(name, *a))
    with pytest.raises(SystemExit) as exc:
        bench.parse_args(["--arms", "baselines", "focal"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--arms: expected MONAI installed for the arm 'focal'" in err and "got no module 'monai'" in err


@pytest.mark.skipif(not HAS_MONAI, reason="monai (extra 'baselines') not installed")
def test_focal_arm_loss_is_monai_sigmoid_focal_with_gamma_2():
    import torch

    from benchmarks.seismic_arms import arm_specs, base_loss

    loss = base_loss(arm_specs("compact")["focal"])
    logits, target = torch.tensor([[[2.0, -1.0, 0.0]]]), torch.tensor([[[1.0, 0.0, 0.5]]])
    p = torch.sigmoid(logits)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    pt = p * target + (1 - p) * (1 - target)
    # hard targets: the textbook (1 - p_t)^2 * BCE; confident right answers weigh far less than BCE
    expected = (1 - pt[..., :2]) ** 2 * bce[..., :2]
    per = torch.stack([loss(logits[..., i:i + 1], target[..., i:i + 1]) for i in range(3)])
    torch.testing.assert_close(per[:2], expected.flatten(), rtol=1e-5, atol=1e-6)
    assert per[0] < 0.05 * bce[..., 0].item()


def test_unit_counts_and_measures_on_a_hand_made_case():
    from benchmarks import seismic_threshold_free as tf

    length = 400
    x = np.arange(length)
    label = np.exp(-0.5 * ((x - 200) / 20.0) ** 2)
    labels = np.zeros((2, 3, length))
    labels[:, 1] = label
    pred = np.zeros((2, 3, length))
    pred[0, 1] = 0.8 * label  # a hit at 0.8
    pred[1, 1] = 0.4 * np.exp(-0.5 * ((x - 320) / 5.0) ** 2)  # a false pick at 0.4, the event missed
    grid = np.array([0.2, 0.5, 0.9])
    c = tf.unit_counts(pred, labels, 1, np.array([0, 1]), 10, 100, grid)
    np.testing.assert_array_equal(c[0], [[1, 0, 0], [1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(c[1], [[0, 1, 1], [0, 0, 1], [0, 0, 1]])
    m = tf.measures(c.sum(axis=0), 1, grid)
    assert m["best_f1"] == pytest.approx(2 / 3) and m["best_threshold"] == 0.5
    assert m["recall_at_p90"] == pytest.approx(0.5) and m["pr_auc"] == pytest.approx(0.5)
    assert m["near_best_width"] == pytest.approx(0.0)
