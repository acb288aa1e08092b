"""Where a benchmark result comes from: the command, the commit, and any uncommitted files it imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: Domain packages whose changes do not mark a run as uncommitted unless the script says it imports them.
DOMAINS = ("shapeloss/seismic",)


def git_head(root: Path | None = None) -> str | None:
    """The checkout's ``HEAD`` commit; ``None`` outside a git checkout (or without git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root or ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def changed_files(pathspecs: list[str], untracked: bool = False, root: Path | None = None) -> list[str] | None:
    """Files under ``pathspecs`` (git pathspecs, ``:!`` excludes) that differ from ``HEAD``; with
    ``untracked`` also files git does not track yet (ignored ones never). ``None`` outside a checkout."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", f"--untracked-files={'all' if untracked else 'no'}", "--",
                              *pathspecs], cwd=root or ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return [line[3:] for line in out.stdout.split("\n") if line.strip()]


def provenance(script: str, argv: list[str] | None, imports: tuple[str, ...] = ()) -> tuple[str, str | None, list[str] | None]:
    """``(command, commit, uncommitted_files)`` for a run of ``script`` with ``argv``.

    ``uncommitted_files`` lists the tracked files that differ from the commit among: the library
    (``shapeloss/``, except the domain packages of :data:`DOMAINS` the script does not name in
    ``imports``, e.g. ``imports=("shapeloss/seismic",)``), the script, and every Python module beside
    it in ``benchmarks/`` (the modules scripts import). Empty means no tracked file in that scope
    differs from the commit; files not yet added to git are not seen. ``commit`` and the list are
    ``None`` outside a git checkout.
    """
    rel = os.path.relpath(script, ROOT)
    command = "python " + " ".join([rel] + list(sys.argv[1:] if argv is None else argv))
    commit = git_head()
    if commit is None:
        return command, None, None
    left_out = [f":!{d}" for d in DOMAINS if d not in imports]
    return command, commit, changed_files(["shapeloss", rel, "benchmarks/*.py", *left_out])


def marked_commit(pathspecs: list[str]) -> str | None:
    """``<commit>`` or ``<commit>-dirty`` when a file under ``pathspecs`` differs from it or is not
    yet tracked; ``$SHAPELOSS_GIT_COMMIT`` where set (a copy of the tree without .git, e.g. on a GPU host)."""
    if os.environ.get("SHAPELOSS_GIT_COMMIT"):
        return os.environ["SHAPELOSS_GIT_COMMIT"]
    sha = git_head()
    if sha is None:
        return None
    return sha + ("-dirty" if changed_files(pathspecs, untracked=True) else "")


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
