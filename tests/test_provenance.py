"""benchmarks/_provenance.py: a run records its command, commit and device itself."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "_provenance.py"


@pytest.fixture(scope="module")
def prov():
    spec = importlib.util.spec_from_file_location("_provenance_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cpu_run_records_torch_build_and_machine(prov):
    info = prov.device_info("cpu")
    assert info["device"] == "cpu" and info["torch"] == torch.__version__ and info["torch_cuda"] == torch.version.cuda
    assert info["cpu_count"] >= 1 and info["python"].count(".") == 2
    assert "name" not in info and "driver" not in info  # nothing about a GPU is invented on a CPU


def test_gpu_run_records_name_memory_capability_and_driver(prov, monkeypatch):
    """On a GPU the run asks torch for the device and nvidia-smi for the driver (both stubbed here)."""
    asked = {}
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: asked.setdefault("name", i) is not None and "NVIDIA H200")
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda i: SimpleNamespace(total_memory=141 * 2**30, major=9, minor=0))

    def fake_run(cmd, **kwargs):
        asked["cmd"] = cmd
        return subprocess.CompletedProcess(cmd, 0, stdout="570.86.15\n", stderr="")

    monkeypatch.setattr(prov.subprocess, "run", fake_run)
    info = prov.device_info("cuda:1")
    assert asked["name"] == 1 and asked["cmd"][-1] == "1"  # the device asked for, not device 0
    assert (info["name"], info["memory_gib"], info["capability"], info["driver"]) == ("NVIDIA H200", 141.0, "9.0", "570.86.15")


def test_driver_is_none_when_nvidia_smi_is_missing_or_fails(prov, monkeypatch):
    def missing(cmd, **kwargs):
        raise FileNotFoundError(cmd[0])

    monkeypatch.setattr(prov.subprocess, "run", missing)
    assert prov._nvidia_driver(0) is None
    monkeypatch.setattr(prov.subprocess, "run", lambda cmd, **k: subprocess.CompletedProcess(cmd, 9, stdout="", stderr="x"))
    assert prov._nvidia_driver(0) is None


def test_command_and_commit_come_from_the_checkout(prov):
    command, commit, uncommitted = prov.provenance(str(SCRIPT.parent / "throughput.py"), ["--steps", "2"])
    assert command == "python benchmarks/throughput.py --steps 2"
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SCRIPT.parents[1], capture_output=True, text=True).stdout.strip()
    assert commit == head and isinstance(uncommitted, list)
    assert sys.argv  # untouched


def test_uncommitted_helpers_of_a_script_make_the_run_dirty(prov, tmp_path, monkeypatch):
    """A change to a module the script imports from benchmarks/ counts, like one to the library;
    result files and other folders do not."""
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    for rel in ("shapeloss/core.py", "shapeloss/seismic/x.py", "benchmarks/run.py", "benchmarks/_helper.py",
                "benchmarks/results/r.json", "docs/page.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("0\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(prov, "ROOT", tmp_path)
    script = str(tmp_path / "benchmarks" / "run.py")
    assert prov.provenance(script, [])[2] == []
    for rel in ("benchmarks/results/r.json", "docs/page.md", "shapeloss/seismic/x.py"):
        (tmp_path / rel).write_text("1\n")
    assert prov.provenance(script, [])[2] == []
    (tmp_path / "benchmarks" / "_helper.py").write_text("1\n")
    (tmp_path / "shapeloss" / "core.py").write_text("1\n")
    assert sorted(prov.provenance(script, [])[2]) == ["benchmarks/_helper.py", "shapeloss/core.py"]


def test_a_script_that_imports_a_domain_package_counts_its_changes(prov, tmp_path, monkeypatch):
    """``imports`` widens the scope (the seismic scripts name shapeloss/seismic); ``marked_commit``
    marks a commit dirty for a changed or a new file under its paths, and for nothing else."""
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    for rel in ("shapeloss/seismic/x.py", "benchmarks/run.py", "docs/page.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("0\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(prov, "ROOT", tmp_path)
    monkeypatch.delenv("SHAPELOSS_GIT_COMMIT", raising=False)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    script = str(tmp_path / "benchmarks" / "run.py")
    assert prov.marked_commit(["shapeloss", "benchmarks/run.py"]) == head
    (tmp_path / "docs" / "page.md").write_text("1\n")
    assert prov.marked_commit(["shapeloss", "benchmarks/run.py"]) == head
    (tmp_path / "shapeloss" / "seismic" / "x.py").write_text("1\n")
    assert prov.provenance(script, [])[1:] == (head, [])
    assert prov.provenance(script, [], imports=("shapeloss/seismic",))[2] == ["shapeloss/seismic/x.py"]
    assert prov.marked_commit(["shapeloss", "benchmarks/run.py"]) == head + "-dirty"
    git("checkout", "--", "shapeloss")
    (tmp_path / "benchmarks" / "_new.py").write_text("0\n")  # not yet added: marks the commit, not the list
    assert prov.marked_commit(["benchmarks/*.py"]) == head + "-dirty" and prov.provenance(script, [])[2] == []
    monkeypatch.setenv("SHAPELOSS_GIT_COMMIT", "abc123")
    assert prov.marked_commit(["shapeloss"]) == "abc123"


def test_outside_a_checkout_there_is_no_commit(prov, tmp_path, monkeypatch):
    monkeypatch.setattr(prov, "ROOT", tmp_path)
    monkeypatch.delenv("SHAPELOSS_GIT_COMMIT", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert prov.provenance(str(tmp_path / "benchmarks" / "run.py"), ["--x"]) == ("python benchmarks/run.py --x", None, None)
    assert prov.marked_commit(["shapeloss"]) is None
