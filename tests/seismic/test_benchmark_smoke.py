"""A 20-step run of benchmarks/seismic_s_phase.py on synthetic data (the numbers mean nothing)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "seismic_s_phase.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("seismic_s_phase", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_twenty_step_run_writes_json_and_figures_and_resumes(bench, tmp_path):
    argv = [
        "--steps", "20", "--branch-at", "10", "--batch-size", "4", "--eval-windows", "16", "--dev-windows", "8",
        "--curve-every", "10", "--curve-windows", "8", "--track-every", "5", "--threads", "1", "--device", "cpu",
        "--out", str(tmp_path / "smoke.json"), "--work-dir", str(tmp_path / "work"),
    ]
    report = bench.run(argv)
    saved = json.loads((tmp_path / "smoke.json").read_text())
    assert saved["command"].startswith("python benchmarks/seismic_s_phase.py --steps 20")
    assert saved["settings"]["steps"] == 20 and saved["settings"]["branch_at"] == 10
    run = saved["runs"][0]
    assert run["schedule"] == "branch" and set(run["arms"]) == {"bce", "shapeloss"}
    for arm in run["arms"].values():
        assert arm["phases"]["S"]["n_labels"] == 16
        assert 0.0 <= arm["phases"]["S"]["band_share"] <= 1.0
        assert len(arm["hits"]["S"]) == 16
        assert [r["step"] for r in arm["curve"]] == [0, 10, 20]
    assert run["timing"]["shapeloss"]["steps_run"] == 10
    assert "S_ratio_at_least_1.64" in saved["summary"]["branch"]["synthetic_targets"]
    assert all(Path(f).exists() for f in report["figures"]) and len(report["figures"]) >= 4

    # Running the same command again resumes: nothing is retrained.
    again = bench.run(argv)
    assert again["runs"][0]["arms"]["bce"]["phases"] == run["arms"]["bce"]["phases"]


def test_interrupted_arm_resumes_from_its_checkpoint(bench, tmp_path):
    base = [
        "--schedule", "scratch", "--batch-size", "2", "--eval-windows", "4", "--dev-windows", "4",
        "--curve-every", "5", "--curve-windows", "4", "--threads", "1", "--device", "cpu", "--checkpoint-every", "5",
        "--no-figures", "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "r.json"),
    ]
    args = bench.parse_args(base + ["--steps", "10"])
    args.work_root = str(tmp_path / "manual")
    data, dev, ev = bench.make_data(args, 0)
    trainer, timing, _ = bench.train_arm(args, "bce", None, 0, data, dev, tmp_path, until=5)
    assert trainer.step_count == 5 and (tmp_path / "bce.pt").exists()
    trainer, timing, _ = bench.train_arm(args, "bce", None, 0, data, dev, tmp_path, until=10)
    assert trainer.step_count == 10 and timing["steps_run"] == 5
