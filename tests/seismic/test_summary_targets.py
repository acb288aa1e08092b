"""The seismic summary's pass / fail verdict is the synthetic benchmark's targets (issue 8): real-data
runs carry none (issue 14, item 6: they used to be judged by the synthetic thresholds)."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks._seismic_summary import SYNTHETIC_TARGETS, summarise, summary  # noqa: E402


def _run(seed: int, s_ratio: float, p_ratio: float, share: float, band_bce: float, band_sl: float) -> dict:
    phases = lambda s_share, band: {"S": {"effective": 10, "effective_share": s_share, "band_share": band},  # noqa: E731
                                    "P": {"effective": 20}}
    return {"seed": seed, "schedule": "branch",
            "comparison": {"S": {"effective_ratio": s_ratio}, "P": {"effective_ratio": p_ratio}},
            "arms": {"bce": {"phases": phases(0.1, band_bce)}, "shapeloss": {"phases": phases(share, band_sl)}}}


PASSING = [_run(0, 2.0, 1.0, 0.5, 0.4, 0.1), _run(1, 1.7, 0.98, 0.3, 0.3, 0.15)]
FAILING = [_run(0, 2.0, 1.0, 0.5, 0.4, 0.1), _run(1, 1.2, 0.9, 0.2, 0.3, 0.2)]


def test_synthetic_runs_are_judged_by_every_target_over_all_seeds():
    assert summarise(PASSING)["branch"]["synthetic_targets"] == {name: True for name in SYNTHETIC_TARGETS}
    # one seed missing every target fails them all: the verdict is over all seeds
    assert summarise(FAILING)["branch"]["synthetic_targets"] == {name: False for name in SYNTHETIC_TARGETS}


@pytest.mark.parametrize("results", [PASSING, FAILING])
def test_real_data_runs_carry_no_synthetic_verdict_and_the_same_numbers(results):
    real, synthetic = summarise(results, synthetic=False)["branch"], summarise(results, synthetic=True)["branch"]
    assert real["synthetic_targets"] is None
    assert real["summary"] == synthetic["summary"] and real["seeds"] == synthetic["seeds"] == [0, 1]
    assert summary({"data": "ncedc_jitter", "summary": {"branch": real}})[0].count("targets") == 0
    assert "targets {" in summary({"data": "synthetic", "summary": {"branch": synthetic}})[0]


def test_a_real_data_run_writes_no_synthetic_verdict(tmp_path):
    """A 2-step run on a folder of PhaseNet npz files (the numbers mean nothing)."""
    folder = tmp_path / "npz"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        np.savez(folder / f"trace{i}.npz", data=rng.normal(size=(4000, 3)), itp=1500 + 10 * i, its=1900 + 10 * i,
                 channels="HHE_HHN_HHZ")
    spec = importlib.util.spec_from_file_location("seismic_s_phase", ROOT / "benchmarks" / "seismic_s_phase.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    bench.run(["--data", str(folder), "--steps", "2", "--branch-at", "1", "--batch-size", "2", "--crops-per-trace", "1",
               "--curve-every", "1", "--curve-windows", "1", "--tracked-windows", "1", "--threads", "1", "--device", "cpu",
               "--no-figures", "--no-progress", "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "r.json")])
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["data"] == "npz" and saved["summary"]["branch"]["synthetic_targets"] is None
    assert saved["summary"]["branch"]["summary"]["S_ratio"]["per_seed"] is not None
