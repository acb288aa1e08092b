"""shapeloss.runs: cores, oversubscription, run folders, progress; and what a newcomer's run touches."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss import runs
from shapeloss.errors import InvalidArgumentError

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- cores


def test_available_cores_follows_the_affinity_not_the_machine(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert runs.available_cores() == 1


def test_available_cores_without_affinity_uses_cpu_count(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert runs.available_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert runs.available_cores() == 1


@given(load=st.floats(0, 64), cores=st.integers(1, 32))
@settings(max_examples=50, deadline=None)
def test_oversubscription_warns_exactly_when_load_exceeds_cores(load, cores):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
        message = runs.oversubscription(cores)
    assert (message is not None) == (load > cores)
    if message:
        assert f"{cores} available core" in message


def test_apply_threads_sets_torch_and_warns_when_oversubscribed(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setattr(os, "getloadavg", lambda: (99.0, 0.0, 0.0))
    err = io.StringIO()
    try:
        assert runs.apply_threads(1, file=err) == 1
        assert torch.get_num_threads() == 1
        assert "oversubscribed" in err.getvalue()
        monkeypatch.setattr(runs, "available_cores", lambda: 1)
        assert runs.apply_threads(None, warn=False) == 1  # None: the available cores
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_apply_threads_rejects_bad_counts(bad):
    with pytest.raises(InvalidArgumentError, match="threads: expected an integer >= 1"):
        runs.apply_threads(bad, warn=False)


# ----------------------------------------------------------------------------- folders


def test_run_folders_are_new_per_run(tmp_path):
    a = runs.run_folder("bench", base=tmp_path)
    b = runs.run_folder("bench", base=tmp_path)
    assert a != b and a.is_dir() and b.is_dir() and a.parent == b.parent == tmp_path / "bench"
    assert runs.run_folder("bench", tmp_path / "mine") == tmp_path / "mine"


def test_output_paths_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    committed, figs = tmp_path / "repo" / "results" / "x.json", tmp_path / "repo" / "figures"
    kw = dict(published=committed, published_figures=figs)
    path, folder = runs.output_paths("x", "x.json", **kw)  # default: a run folder under ./runs
    assert path.parent == folder and folder.parent == (tmp_path / "runs" / "x").resolve()
    assert runs.output_paths("x", "x.json", publish=True, **kw) == (committed.resolve(), figs.resolve())
    assert runs.output_paths("x", "x.json", out=tmp_path / "o" / "y.json", **kw) == ((tmp_path / "o" / "y.json").resolve(), (tmp_path / "o").resolve())
    # --out into the committed results' folder publishes the figures as --publish would
    assert runs.output_paths("x", "x.json", out=committed.parent / "z.json", **kw)[1] == figs.resolve()
    assert not (tmp_path / "repo" / "results" / "x.json").exists()


# ----------------------------------------------------------------------------- progress


def test_progress_off_a_terminal_prints_one_line_per_phase():
    out = io.StringIO()
    with runs.Progress(10, initial=4, desc="seed 0 bce", file=out) as bar:
        for step in range(5, 11):
            bar.update(step, {"loss": 0.25})
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seed 0 bce: 6 steps in") and "loss 0.25" in lines[0]


def test_progress_bar_shows_step_loss_rate_and_time_left():
    out = io.StringIO()
    with runs.Progress(10, desc="arm", enabled=True, file=out) as bar:
        for step in range(1, 11):
            bar.update(step, {"loss": 0.5})
    text = out.getvalue()
    assert "10/10" in text and "loss=0.5" in text and "step/s" in text and "<" in text  # elapsed<left


def test_progress_can_be_silent():
    out = io.StringIO()
    with runs.Progress(3, enabled=False, quiet=False, file=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_trainer_bar_follows_the_progress_flag(capsys):
    from shapeloss import AdversarialTrainer, ShapeLoss

    net = torch.nn.Conv1d(1, 1, 3, padding=1)
    for progress in (True, False):
        trainer = AdversarialTrainer(net, ShapeLoss(torch.nn.BCEWithLogitsLoss(), None, adversarial=False),
                                     torch.optim.SGD(net.parameters(), lr=0.1), progress=progress)
        trainer.fit(lambda step: (torch.randn(2, 1, 8), torch.rand(2, 1, 8)), 3)
        err = capsys.readouterr().err
        assert ("/3 [" in err and "step/s" in err) if progress else err == ""


# ----------------------------------------------------------------------------- a newcomer's run


TINY = ["--steps", "4", "--branch-at", "2", "--batch-size", "2", "--eval-windows", "4", "--dev-windows", "4",
        "--curve-every", "2", "--curve-windows", "2", "--threads", "1", "--device", "cpu", "--no-figures", "--no-progress"]


def test_default_run_writes_a_run_folder_not_the_committed_results(tmp_path, monkeypatch, capsys):
    bench = _script("seismic_s_phase")
    committed = tmp_path / "committed"
    monkeypatch.setattr(bench, "RESULTS", committed)
    monkeypatch.chdir(tmp_path)
    bench.run(TINY + ["--work-dir", str(tmp_path / "work")])
    written = list((tmp_path / "runs" / "seismic_s_phase").glob("*/seismic_s_phase_synthetic_quick-custom.json"))
    assert len(written) == 1 and not committed.exists()
    out = capsys.readouterr()
    assert "expected time on this machine" in out.out and "--publish" in out.out
    assert "warmup: 2 steps in" in out.err  # one line per phase off a terminal

    bench.run(TINY + ["--work-dir", str(tmp_path / "work"), "--publish"])  # maintainers: the committed file
    assert (committed / "seismic_s_phase_synthetic_quick-custom.json").is_file()


def test_ncedc_hidden_falls_back_to_synthetic_data(tmp_path, monkeypatch, capsys):
    """Without ../shared/data/phasenet_ncedc (a newcomer's clone), --data ncedc runs on synthetic data."""
    bench = _script("seismic_s_phase")
    from benchmarks import _seismic_cli

    monkeypatch.setattr(_seismic_cli, "ROOT", tmp_path / "clone")  # ../shared is then tmp_path/shared: absent
    args = bench.parse_args(["--data", "ncedc"])
    assert args.data_kind == "synthetic" and "No NCEDC sample" in capsys.readouterr().out
    report = bench.run(TINY + ["--data", "ncedc", "--work-dir", str(tmp_path / "work"), "--out", str(tmp_path / "r.json")])
    assert report["data"] == "synthetic" and report["runs"][0]["arms"]["bce"]["phases"]["S"]["n_labels"] == 4


def test_ludb_hidden_falls_back_to_the_synthetic_ecg(tmp_path, monkeypatch):
    """Without ../shared/data/ludb and $SHAPELOSS_LUDB, the ECG benchmark runs on the synthetic generator."""
    import shapeloss.ecg.ludb as ludb

    monkeypatch.delenv("SHAPELOSS_LUDB", raising=False)
    monkeypatch.setattr(ludb, "__file__", str(tmp_path / "clone" / "shapeloss" / "ecg" / "ludb.py"))
    monkeypatch.chdir(tmp_path)
    assert ludb.default_ludb_root() is None
    ecg = _script("ecg_delineation")
    monkeypatch.setattr(ecg, "default_ludb_root", ludb.default_ludb_root)
    result = ecg.main(["--smoke", "--no-figures", "--no-progress", "--out", str(tmp_path / "ecg.json")])
    assert result["data"].startswith("synthetic ECG")
    assert json.loads((tmp_path / "ecg.json").read_text())["data"] == result["data"]


@pytest.mark.parametrize("name, entry", [("seismic_s_phase", "parse_args"), ("critic_tradeoff", "main"),
                                         ("ecg_delineation", "parse_args"), ("synthetic_edges", "parse_args"),
                                         ("throughput", "main"), ("seismic_continuous", "parse_args")])
def test_every_benchmark_takes_the_run_options(name, entry, capsys):
    """What `shapeloss bench NAME` passes on: run folder, publish, progress and threads options."""
    with pytest.raises(SystemExit) as done:
        getattr(_script(name), entry)(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--threads", "--no-progress", "--run-dir", "--out", "--publish"):
        assert option in text, f"{name}: {option} missing"


@pytest.mark.parametrize("name, entry", [("seismic_s_phase", "parse_args"), ("critic_tradeoff", "main"),
                                         ("ecg_delineation", "parse_args"), ("synthetic_edges", "parse_args"),
                                         ("throughput", "main"), ("diagnostics_simulation", "main"),
                                         ("seismic_continuous", "parse_args")])
def test_every_benchmark_refuses_bad_shared_options_before_any_work(name, entry, capsys, tmp_path):
    """Run directly (not through `shapeloss bench`), a script still ends with status 2 and one
    `error:` line per bad value, naming the option, the expected and the actual value."""
    bad = ["--threads", "0", "--steps", "-1", "--out", str(tmp_path / "missing" / "deeper" / "x.json"), "--lr", "nan"]
    with pytest.raises(SystemExit) as done:
        getattr(_script(name), entry)(bad)
    assert done.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert any(line.startswith("error: --threads: expected an int >= 1, got 0") for line in lines), lines
    assert any(line.startswith("error: --steps: expected an int >= 1, got -1") for line in lines), lines
    assert any(line.startswith("error: --lr:") and "nan" in line for line in lines), lines


def test_threads_applied_restores_the_callers_setting():
    import torch

    before = torch.get_num_threads()
    with runs.threads_applied(1, warn=False) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), runs.threads_applied(1, warn=False):
        raise RuntimeError("a failing run")
    assert torch.get_num_threads() == before
