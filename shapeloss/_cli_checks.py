"""Checks of command-line options, all collected before any work starts.

argparse stops at the first value it cannot convert; a long run should not start, and
then fail an hour later on an unwritable output path. :class:`OptionErrors` converts and
checks every option, collects one line per bad value (``"--flag: expected <X>, got <Y>"``)
and :meth:`OptionErrors.exit_status` prints them all and returns 2.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

__all__ = ["OptionErrors"]


def _nearest_existing(path: Path) -> Path:
    """``path`` itself or its nearest ancestor that exists (``.`` for a bare relative name)."""
    path = path if path.is_absolute() else Path.cwd() / path
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


class OptionErrors:
    """Collect one message per bad option value; each check returns the converted value or ``None``."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    # -------------------------------------------------------------- numbers

    def integer(self, flag: str, raw: object, minimum: int) -> int | None:
        """An int ``>= minimum``."""
        if raw is None:
            return None
        try:
            value = int(str(raw))
        except ValueError:
            self.add(f"{flag}: expected an int >= {minimum}, got {raw!r}")
            return None
        if value < minimum:
            self.add(f"{flag}: expected an int >= {minimum}, got {value}")
            return None
        return value

    def real(self, flag: str, raw: object, low: float = -math.inf, high: float = math.inf,
             low_open: bool = False, want: str | None = None) -> float | None:
        """A finite float in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
        if raw is None:
            return None
        if want is None:
            if low == 0 and high == 1:
                want = "a float in [0, 1]"
            elif low_open and low == 0 and math.isinf(high):
                want = "a positive float"
            elif math.isinf(high) and not math.isinf(low):
                want = f"a float {'>' if low_open else '>='} {low:g}"
            else:
                want = "a finite float"
        try:
            value = float(str(raw))
        except ValueError:
            self.add(f"{flag}: expected {want}, got {raw!r}")
            return None
        bad = not math.isfinite(value) or value < low or value > high or (low_open and value == low)
        if bad:
            self.add(f"{flag}: expected {want}, got {value!r}")
            return None
        return value

    def probability(self, flag: str, raw: object) -> float | None:
        return self.real(flag, raw, 0.0, 1.0)

    # -------------------------------------------------------------- paths

    def existing_file(self, flag: str, raw: object, what: str) -> Path | None:
        if raw is None:
            return None
        path = Path(str(raw))
        if not path.is_file():
            why = "a folder" if path.is_dir() else "not found"
            self.add(f"{flag}: expected an existing {what}, got {str(path)!r} ({why})")
            return None
        return path

    def _creatable(self, flag: str, path: Path, kind: str) -> bool:
        anchor = _nearest_existing(path)
        if anchor == (path if path.is_absolute() else Path.cwd() / path):
            return True
        if not anchor.is_dir():
            self.add(f"{flag}: expected a writable {kind}, got {str(path)!r} ({str(anchor)!r} is not a folder)")
            return False
        if not os.access(anchor, os.W_OK | os.X_OK):
            self.add(f"{flag}: expected a writable {kind}, got {str(path)!r} (no write permission in {str(anchor)!r})")
            return False
        return True

    def writable_file(self, flag: str, raw: object) -> Path | None:
        """A file path that can be written: not a folder, in a folder that exists or can be made."""
        if raw is None:
            return None
        path = Path(str(raw))
        if path.is_dir():
            self.add(f"{flag}: expected a writable file path, got {str(path)!r} (a folder)")
            return None
        if path.exists() and not (path.is_file() and os.access(path, os.W_OK)):
            self.add(f"{flag}: expected a writable file path, got {str(path)!r} (not a writable regular file)")
            return None
        return path if self._creatable(flag, path, "file path") else None

    def writable_folder(self, flag: str, raw: object) -> Path | None:
        """A folder that exists and is writable, or can be made."""
        if raw is None:
            return None
        path = Path(str(raw))
        if path.exists() and not path.is_dir():
            self.add(f"{flag}: expected a writable folder, got {str(path)!r} (a file)")
            return None
        if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
            self.add(f"{flag}: expected a writable folder, got {str(path)!r} (no write permission)")
            return None
        return path if self._creatable(flag, path, "folder") else None

    # -------------------------------------------------------------- result

    def exit_status(self) -> int:
        """0 when every value was good; else print one ``error:`` line per bad value and return 2."""
        for line in self.lines:
            print(f"error: {line}", file=sys.stderr)
        return 2 if self.lines else 0
