"""A tiny run of benchmarks/seismic_continuous.py with untrained pickers (the numbers mean nothing)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

from shapeloss.checkpoint import CHECKPOINT_FORMAT, save_atomic
from shapeloss.seismic import PhaseNet

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load("seismic_continuous")


def _checkpoint(path: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    save_atomic({"format": CHECKPOINT_FORMAT, "model": PhaseNet().state_dict()}, path)
    return path


def test_tiny_run_writes_json_figures_and_markdown(bench, tmp_path, monkeypatch):
    a, b = _checkpoint(tmp_path / "a.pt", 0), _checkpoint(tmp_path / "b.pt", 1)
    out = tmp_path / "run" / "cont.json"
    argv = ["--arm", f"bce={a}", "--arm", f"shapeloss={b}", "--records", "2", "--record-minutes", "1.5",
            "--shift-records", "1", "--shifts", "scatter40", "--no-ncedc", "--n-boot", "20", "--threads", "1",
            "--cache-dir", str(tmp_path / "cache"), "--out", str(out), "--no-progress"]
    result = bench.run(argv)
    saved = json.loads(out.read_text())
    assert saved["command"].startswith("python benchmarks/seismic_continuous.py --arm bce=")
    assert saved["commit"] and saved["environment"]["device"] == "cpu" and saved["settings"]["records"] == 2
    assert saved["source"] == "synthetic" and saved["baseline"] == "bce"
    assert set(saved["sets"]) == set(saved["record_sets"]) == {"synthetic", "scatter40"}
    assert saved["record_sets"]["synthetic"]["0"]["hours"] == pytest.approx(2 * 90 / 3600)
    s = saved["sets"]["synthetic"]["analyst"]["S"]["0.5s"]
    assert set(s) == {"bce", "shapeloss"} and set(saved["sets"]["synthetic"]) == {"analyst", "truth"}
    m = s["shapeloss"]["measures"]
    for key in ("pr_auc", "best_f1", "recall_at_precision", "f1_at_0.5", "f1_at_0.7", "near_best_width"):
        assert key in m and set(m[key]) == {"value", "low", "high"}
    assert len(s["bce"]["curve"]["f1"]) == len(saved["thresholds"]) == 91
    assert "vs_baseline" in s["shapeloss"] and "vs_baseline" not in s["bce"]
    tr = saved["transfer"]["scatter40"]["analyst"]["S"]["0.1s"]["shapeloss"]
    assert tr["f1_lost"]["value"] is None or tr["f1_lost"]["value"] >= 0
    assert set(saved["verdict"]) == {"shapeloss"}
    for fig in saved["figures"]:
        assert Path(fig).is_file() and Path(fig).stat().st_size < 300_000
    # a second run reads the cached picks and gives the same scores; without --out it writes a run folder
    monkeypatch.chdir(tmp_path)
    again = bench.run([a for a in argv if a not in ("--out", str(out))] + ["--no-figures"])
    assert again["sets"] == result["sets"] and again["transfer"] == result["transfer"]
    assert len(list((tmp_path / "runs" / "seismic_continuous").glob("*/seismic_continuous_synthetic.json"))) == 1
    md = _load("_continuous_report").markdown(saved)
    assert "| shapeloss |" in md and "Paired differences against bce" in md


def test_bad_command_lines_are_refused(bench, tmp_path):
    with pytest.raises(SystemExit):
        bench.run(["--no-ncedc"])  # no arm
    with pytest.raises(SystemExit):
        bench.run(["--arm", f"bce={tmp_path / 'missing.pt'}", "--no-ncedc", "--no-progress"])
    with pytest.raises(SystemExit):
        bench.run(["--arm", "bce=x.pt", "--seeds", "0", "1"])


NCEDC = Path(__file__).resolve().parents[3] / "shared" / "data" / "phasenet_ncedc"


@pytest.mark.skipif(not NCEDC.is_dir(), reason="the shared NCEDC sample is not here")
def test_ncedc_sets_are_the_benchmark_split_with_pre_event_noise():
    sets_module = _load("_continuous_sets")
    plain = sets_module.ncedc_sets(str(NCEDC), jitter=False, names=("ncedc", "ncedc_dev"))
    assert len(plain["ncedc"].groups) == 30 and len(plain["ncedc_dev"].groups) == 25
    g = plain["ncedc"].groups[0]
    assert set(g.catalogues) == {"analyst"} and g.catalogues["analyst"]["P"].tolist() == [3000]
    assert g.noise.tolist() == [[0, 3000 - sets_module.NCEDC_NOISE_GUARD]]
    semi = sets_module.ncedc_sets(str(NCEDC), jitter=True)["ncedc"]
    assert [x.name for x in semi.groups] == [x.name for x in plain["ncedc"].groups]
    truth = [x.catalogues["truth"]["S"][0] for x in semi.groups]
    assert truth == [x.catalogues["analyst"]["S"][0] for x in plain["ncedc"].groups]
    assert any(x.catalogues["analyst"]["S"][0] != t for x, t in zip(semi.groups, truth))  # emergent picks moved


def test_transfer_error_bars_never_negative_when_the_interval_misses_the_estimate():
    """The F1 lost in a transfer is a max minus a value: its bootstrap interval can lie wholly above
    the estimate (a three-seed run crashed in matplotlib on exactly that). Bars are clipped at 0."""
    import numpy as np

    from benchmarks._continuous_figures import error_bars

    vals = [{"value": 0.01, "low": 0.02, "high": 0.05}, {"value": 0.03, "low": 0.01, "high": 0.04},
            {"value": 0.06, "low": 0.0, "high": 0.05}]
    err = error_bars(vals)
    assert err.shape == (2, 3) and (err >= 0).all()
    np.testing.assert_allclose(err, [[0.0, 0.02, 0.06], [0.04, 0.01, 0.0]])
