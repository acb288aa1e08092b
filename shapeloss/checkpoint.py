"""Checkpoint files: written atomically, read without executing code.

``save_atomic`` writes to a temporary file in the same folder, flushes it to
disk, and renames it over the target: a crash at any moment leaves either the
old checkpoint or the new one, never half of one. The previous checkpoint is
also kept as ``<name>.prev``. ``load_checkpoint`` uses
``torch.load(weights_only=True)``, so a downloaded file cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError

__all__ = ["save_atomic", "load_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "shapeloss-checkpoint-v1"


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_atomic(state: dict[str, Any], path: str | os.PathLike[str], keep_previous: bool = True) -> Path:
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename).

    Args:
        state: what ``torch.save`` can write.
        path: the checkpoint's path; its folder is created if needed.
        keep_previous: keep the checkpoint being replaced as ``<path>.prev``.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        if keep_previous and path.exists():
            prev = path.with_name(path.name + ".prev")
            prev_tmp = path.with_name(f".{path.name}.prev-tmp-{os.getpid()}")
            try:
                os.link(path, prev_tmp)  # a second name for the old file, no copy
            except OSError:
                import shutil

                shutil.copy2(path, prev_tmp)
            os.replace(prev_tmp, prev)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device | None = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_atomic` (``weights_only=True``).

    Raises:
        CheckpointError: the file is missing, truncated, not a checkpoint, or
            would need arbitrary code to load; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"path: expected an existing checkpoint file, got {str(path)!r} (not found)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(
            f"{path}: expected a readable shapeloss checkpoint, got an unreadable file ({type(exc).__name__}: {str(exc)[:200]})"
        ) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"{path}: field 'format': expected {CHECKPOINT_FORMAT!r}, got {got!r}")
    return state
