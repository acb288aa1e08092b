"""Checkpoint files: written atomically, read without executing code.

``save_atomic`` writes to a temporary file in the same folder, flushes it to
disk, and renames it over the target: a crash at any moment leaves either the
old checkpoint or the new one, never half of one. The previous checkpoint is
also kept as ``<name>.prev``. ``load_checkpoint`` uses
``torch.load(weights_only=True)`` (through :func:`read_checkpoint`, the one reader of
checkpoint files), so a downloaded file cannot run code.

What may be at the target path: nothing, or a regular file. A directory, a
device, a FIFO or a socket is refused (``CheckpointError``), never moved aside.
A symbolic link is followed: the file it points to is replaced (atomically, in
that file's folder) and the link itself is left as it was. Temporary files a
killed save left behind (``.<name>.tmp-<pid>`` of a process that no longer
runs) are removed by the next save to the same path.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError

__all__ = ["save_atomic", "load_checkpoint", "read_checkpoint", "check_checkpoint_path", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "shapeloss-checkpoint-v1"


def file_kind(mode: int) -> str:
    """'a directory', 'a FIFO (named pipe)', ...: what an ``st_mode`` is, in words."""
    for test, name in (
        (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def check_checkpoint_path(path: str | os.PathLike[str]) -> Path:
    """The file a checkpoint at ``path`` would replace: ``path``, or its symlink's target.

    Raises:
        CheckpointError: something other than a regular file is there (a
            directory, a device, a FIFO, a socket, a symlink loop), or the
            folder is a file.
    """
    if not isinstance(path, (str, os.PathLike)) or str(path) == "":
        raise CheckpointError(f"path: expected a file path, got {path!r}")
    given = Path(path)
    try:
        target = Path(os.path.realpath(given, strict=False)) if given.is_symlink() else given
    except OSError as exc:  # a symlink loop
        raise CheckpointError(f"path: expected a regular file or a new file name, got {str(given)!r} ({exc.strerror})") from exc
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:  # e.g. a symlink loop, a path through a file
        raise CheckpointError(f"path: expected a regular file or a new file name, got {str(given)!r} ({exc.strerror})") from exc
    if mode is not None and stat.S_ISLNK(mode):
        raise CheckpointError(f"path: expected a regular file or a new file name, got a symlink that does not resolve (a loop) at {str(given)!r}")
    if mode is not None and not stat.S_ISREG(mode):
        via = f" (the target of the symlink {str(given)!r})" if target != given else ""
        raise CheckpointError(
            f"path: expected a regular file or a new file name for the checkpoint, got {file_kind(mode)} at "
            f"{str(target)!r}{via}; it is left untouched"
        )
    parent = target.parent
    if parent.exists() and not parent.is_dir():
        raise CheckpointError(f"path: expected a folder to hold the checkpoint, got a file at {str(parent)!r}")
    return target


def _remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete ``.<name>.tmp-<pid>`` / ``.<name>.prev-tmp-<pid>`` files whose writer no longer runs."""
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:prev-)?tmp-(\d+)$")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if not match or not (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and _alive(pid):
            continue  # another process may be saving right now
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate the process there: never probe, assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


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
        path: the checkpoint's path: a new name or a regular file (a symlink is
            followed and its target replaced); its folder is created if needed.
        keep_previous: keep the checkpoint being replaced as ``<path>.prev``.

    Returns:
        The path written (the symlink's target when ``path`` is a symlink).

    Raises:
        CheckpointError: ``path`` (or ``<path>.prev``) is a directory, a
            device, a FIFO or a socket: nothing is written and it is left as it was.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state: expected a dict, got {type(state).__name__}")
    path = check_checkpoint_path(path)
    prev = path.with_name(path.name + ".prev")
    if keep_previous and os.path.lexists(prev) and not stat.S_ISREG(prev.lstat().st_mode):
        raise CheckpointError(
            f"path: expected {str(prev)!r} (the previous checkpoint) to be a regular file or absent, "
            f"got {file_kind(prev.lstat().st_mode)}; it is left untouched"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f"path: expected a folder that can be created, got {str(path.parent)!r} ({exc.strerror})") from exc
    _remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # "x": never write through whatever might sit at the temporary name
        with open(tmp, "xb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        if keep_previous and path.exists():
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


def read_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device | None = "cpu", argument: str = "path"
) -> Any:
    """Read any ``torch.save`` file with ``weights_only=True``: the one checkpoint reader.

    :func:`load_checkpoint` (a trainer's checkpoint) and
    :func:`shapeloss.seismic.cli.load_phasenet` (a trainer's, a Lightning module's or a plain
    ``state_dict``) both read through it, so a missing or corrupt file gets one wording:
    ``"<argument>: expected an existing checkpoint file, got ..."`` or
    ``"<argument>: expected a readable checkpoint, got an unreadable file at '<path>' (...)"``.

    Args:
        path: the file.
        map_location: as ``torch.load``.
        argument: the name the messages give the path (``"path"``, or ``"model"`` for the
            command line's ``--model``).

    Returns:
        What the file holds (a dict for every checkpoint shapeloss writes).

    Raises:
        CheckpointError: the file is missing, not a regular file, truncated, not a torch
            file, or would need arbitrary code to load; the message names the file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise CheckpointError(f"{argument}: expected a checkpoint file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        what = file_kind(path.stat().st_mode) if path.exists() else "nothing (not found)"
        raise CheckpointError(f"{argument}: expected an existing checkpoint file, got {what} at {str(path)!r}")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(
            f"{argument}: expected a readable checkpoint, got an unreadable file at {str(path)!r} "
            f"({type(exc).__name__}: {str(exc)[:200]})"
        ) from exc


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device | None = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_atomic` (``weights_only=True``).

    Raises:
        CheckpointError: the file is missing, not a regular file, truncated,
            not a checkpoint, or would need arbitrary code to load; the message
            names the file (see :func:`read_checkpoint`).
    """
    state = read_checkpoint(path, map_location)
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        got = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise CheckpointError(f"path: field 'format': expected {CHECKPOINT_FORMAT!r}, got {got!r} in {str(path)!r}")
    return state
