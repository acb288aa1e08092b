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
    excepted) and the script that differ from the commit: empty means the run is of
    committed code. ``commit`` and the list are ``None`` outside a git checkout.
    """
    rel = os.path.relpath(script, ROOT)
    command = "python " + " ".join([rel] + list(sys.argv[1:] if argv is None else argv))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        lines = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "shapeloss", rel, ":!shapeloss/seismic"],
            cwd=ROOT, capture_output=True, text=True,
        ).stdout.split("\n")
        return command, commit, [line[3:] for line in lines if line.strip()]
    except OSError:
        return command, None, None
