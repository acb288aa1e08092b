"""The ``shapeloss`` console script: --help of every command, bench lookup, pick end to end."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from shapeloss import cli
from shapeloss.errors import CheckpointError
from shapeloss.seismic import PhaseNet, synthetic_record


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shapeloss.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args,expected", [
    (["--help"], "{bench,diagnose,pick}"),
    (["bench", "--help"], "seismic"),
    (["diagnose", "--help"], "landscape"),
    (["diagnose", "simulate", "--help"], "--spreads"),
    (["pick", "--help"], "--model"),
])
def test_help_of_each_command(args, expected):
    done = _run(*args)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


@pytest.mark.parametrize("name", sorted(cli.BENCHMARKS))
def test_bench_help_is_forwarded_to_the_script(name):
    try:
        cli.find_benchmark(name)
    except FileNotFoundError:
        pytest.skip(f"benchmarks/{cli.BENCHMARKS[name]} is not in this checkout")
    done = _run("bench", name, "--help")
    assert done.returncode == 0, done.stderr
    assert cli.BENCHMARKS[name] in done.stdout  # argparse prints the script's name


def test_console_script_is_installed():
    exe = shutil.which("shapeloss")
    if exe is None:
        pytest.skip("the 'shapeloss' console script is not on PATH (package not pip-installed)")
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "pick" in done.stdout


def test_missing_benchmark_names_where_it_looked(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_benchmark_dirs", lambda: [tmp_path])
    assert cli.main(["bench", "edges"]) == 2
    err = capsys.readouterr().err
    assert "expected synthetic_edges.py in one of" in err and str(tmp_path) in err


def test_load_phasenet_reads_trainer_and_plain_checkpoints(tmp_path):
    torch.manual_seed(0)
    net = PhaseNet(filters_root=4, depth=4)
    torch.save({"format": "shapeloss-checkpoint-v1", "model": net.state_dict()}, tmp_path / "trainer.pt")
    torch.save(net.state_dict(), tmp_path / "plain.pt")
    torch.save({"state_dict": {f"generator.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "lightning.ckpt")
    x = torch.randn(1, 3, 3001)
    with torch.no_grad():
        expected = net.eval()(x)
        for name in ("trainer.pt", "plain.pt", "lightning.ckpt"):
            loaded = cli.load_phasenet(tmp_path / name)
            assert not loaded.training
            torch.testing.assert_close(loaded(x), expected)
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="model: expected PhaseNet weights"):
        cli.load_phasenet(tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not found"):
        cli.load_phasenet(tmp_path / "missing.pt")


@pytest.mark.parametrize("fmt", ["MSEED", "SAC"])
def test_pick_on_files(tmp_path, fmt, capsys):
    obspy = pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")
    rec = synthetic_record(duration_s=70.0, n_events=2, seed=1)
    t0 = obspy.UTCDateTime(2020, 2, 3, 4, 5, 6)
    stream = obspy.Stream([
        obspy.Trace(rec.waveforms[i].astype(np.float32), {"network": "XX", "station": "STA", "channel": f"HH{c}",
                                                          "starttime": t0, "sampling_rate": 100.0})
        for i, c in enumerate("ENZ")
    ])
    files = []
    for tr in stream:
        path = tmp_path / f"{tr.id}.{fmt.lower()}"
        tr.write(str(path), format=fmt)
        files.append(str(path))
    torch.manual_seed(0)
    torch.save({"model": PhaseNet().state_dict()}, tmp_path / "model.pt")

    out = tmp_path / "picks.csv"
    assert cli.main(["pick", *files, "--model", str(tmp_path / "model.pt"), "--out", str(out), "--threshold", "0.3",
                     "--probabilities", str(tmp_path / "probs.npz")]) == 0
    rows = list(csv.DictReader(out.open()))
    assert rows, "an untrained net at threshold 0.3 still yields some peaks"
    assert {r["phase"] for r in rows} <= {"P", "S"}
    assert all(r["trace_id"] == "XX.STA..HH" for r in rows)
    assert all(t0 <= obspy.UTCDateTime(r["time"]) <= t0 + 70 for r in rows)
    probs = np.load(tmp_path / "probs.npz")
    assert probs["XX.STA..HH_0"].shape == (3, 7000)

    js = tmp_path / "picks.json"
    assert cli.main(["pick", *files, "--model", str(tmp_path / "model.pt"), "--out", str(js), "--threshold", "0.3"]) == 0
    assert len(json.loads(js.read_text())["picks"]) == len(rows)


def test_pick_reports_unreadable_files(tmp_path, capsys):
    pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")
    bad = tmp_path / "bad.mseed"
    bad.write_bytes(b"not a waveform")
    torch.save(PhaseNet().state_dict(), tmp_path / "model.pt")
    assert cli.main(["pick", str(bad), "--model", str(tmp_path / "model.pt")]) == 2
    assert "expected a file ObsPy can read" in capsys.readouterr().err
