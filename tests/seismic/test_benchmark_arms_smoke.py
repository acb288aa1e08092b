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


def test_all_arms_write_full_metrics_and_threshold_free_measures(bench, tmp_path):
    argv = ["--steps", "6", "--branch-at", "3", "--batch-size", "2", "--eval-windows", "6", "--dev-windows", "4",
            "--curve-every", "3", "--curve-windows", "2", "--threads", "1", "--device", "cpu", "--no-figures",
            "--arms", "all", "--out", str(tmp_path / "arms.json"), "--work-dir", str(tmp_path / "work")]
    bench.run(argv)
    saved = json.loads((tmp_path / "arms.json").read_text())
    run = saved["runs"][0]
    from benchmarks.seismic_arms import ALL_ARMS

    assert set(run["arms"]) == set(ALL_ARMS)
    for name, arm in run["arms"].items():
        assert arm["phases"]["S"]["n_labels"] == 6 and "sweep" in arm["phases"]["S"]
        tf = run["threshold_free"][name]
        assert set(tf) == {"labels", "truth"}  # synthetic data know the true onsets
        for measure in ("best_f1", "f1_at_dev", "recall_at_p90", "pr_auc", "near_best_width"):
            v = tf["truth"]["S"][measure]
            assert v["ci95"][0] <= v["value"] + 1e-12 and v["value"] <= v["ci95"][1] + 1e-12
    # the trained baselines ran their own steps from the warm-up; the post-hoc ones none
    assert run["timing"]["widened"]["steps_run"] == 3 and "bce_tuned" not in run["timing"]
    # a strictly increasing map keeps every ranking: the same measures as bce, except the threshold width
    for post in ("bce_tuned", "bce_calibrated", "bce_power"):
        for m in ("best_f1", "pr_auc", "recall_at_p90"):
            assert run["threshold_free"][post]["labels"]["S"][m]["value"] == pytest.approx(
                run["threshold_free"]["bce"]["labels"]["S"][m]["value"])
    pooled = saved["threshold_free"]["branch"]
    assert set(pooled["gain_over_best_baseline"]) == {"shapeloss", "shapeloss_patch", "shapeloss_widened"}
    assert pooled["gain_over_best_baseline"]["shapeloss"]["labels"]["S"]["pr_auc"]["baseline"] in (
        "bce", "bce_tuned", "bce_calibrated", "bce_power", "widened", "weighted")
    # arm checkpoints where the continuous-record evaluation reads them
    assert all((Path(saved["runs"][0]["counts_files"]["bce"]).parent / f"{a}.pt").exists()
               for a in ("bce", "shapeloss", "widened", "weighted", "shapeloss_patch"))

    # The docs' tables render from the JSON: one row per arm, the critic arms' gains, the decision rows.
    from benchmarks._seismic_baselines import decision_rows, render

    md = render([str(tmp_path / "arms.json")])
    assert all(f"| {a} (" in md for a in ALL_ARMS) and "| shapeloss_patch | true picks |" in md
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
