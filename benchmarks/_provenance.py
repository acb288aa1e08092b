"""Where a benchmark result comes from: the command, the commit, and any uncommitted files it imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def provenance(script: str, argv: list[str] | None) -> tuple[str, str | None, list[str] | None]:
    """``(command, commit, uncommitted_files)`` for a run of ``script`` with ``argv``.

    ``uncommitted_files`` lists the library files (``shapeloss/``, the seismic package
    excepted), the script and every Python module beside it in ``benchmarks/`` (the helpers
    scripts import) that differ from the commit: empty means the run is of committed code.
    ``commit`` and the list are ``None`` outside a git checkout.
    """
    rel = os.path.relpath(script, ROOT)
    command = "python " + " ".join([rel] + list(sys.argv[1:] if argv is None else argv))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        lines = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "shapeloss", rel, "benchmarks/*.py",
             ":!shapeloss/seismic"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.split("\n")
        return command, commit, [line[3:] for line in lines if line.strip()]
    except OSError:
        return command, None, None


def _nvidia_driver(index: int) -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader", "-i", str(index)],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def device_info(device: str) -> dict:
    """What a run trains on, recorded by the run itself at run time (never added by hand afterwards).

    ``device`` as given to torch (``"cpu"``, ``"cuda"``, ``"cuda:1"``). Always: torch, its CUDA
    build (``None`` for a CPU build), Python, platform and CPU count. On a GPU also the device's
    name (``torch.cuda.get_device_name``), memory, compute capability and the NVIDIA driver
    version (``nvidia-smi``; ``None`` where it cannot be asked).
    """
    import platform

    import torch

    info = {"device": str(device), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "python": platform.python_version(), "platform": platform.platform(), "cpu_count": os.cpu_count()}
    if str(device).startswith("cuda"):
        index = torch.device(device).index
        index = torch.cuda.current_device() if index is None else index
        props = torch.cuda.get_device_properties(index)
        info.update(name=torch.cuda.get_device_name(index), memory_gib=round(props.total_memory / 2**30, 1),
                    capability=f"{props.major}.{props.minor}", driver=_nvidia_driver(index))
    return info
