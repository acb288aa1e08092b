"""What the training helper writes and watches while it runs: the metrics log and the divergence watch.

:class:`MetricsLogger` appends one row per step to a ``.csv`` or ``.jsonl``
file. Three rules keep the log true to the run:

* a CSV header grows when a row brings a column it lacks (an adversarial run
  appending to a log started without the critic, a critic column first seen on
  a later step): the file is rewritten once, atomically, with the old rows
  padded with empty cells; no value is ever dropped;
* an existing file must be a metrics log (a CSV with a ``step`` column): any
  other file is refused, never appended to;
* on a resumed run (``after_step``), rows of steps after the checkpoint (the
  killed run's, about to be run again) and a half-written last line are
  dropped, with a warning, so each step appears once.

:class:`DivergenceWatch` warns once when the critic wins outright or collapses.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import warnings
from collections import deque
from pathlib import Path

import numpy as np

from ._validation import check_positive_int
from .checkpoint import file_kind
from .errors import InvalidArgumentError

__all__ = ["MetricsLogger", "DivergenceWatch"]


def _replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a crash leaves the old file or the new)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _step_of(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


class MetricsLogger:
    """Appends one row of metrics per step to a ``.csv`` or ``.jsonl`` file.

    The file is opened in append mode (a resumed run continues it) and flushed
    every ``flush_every`` rows and on :meth:`close`. See the module docstring
    for how the header grows and what a resumed run drops.
    """

    def __init__(self, path: str | os.PathLike[str], flush_every: int = 50) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"log_path: expected a .csv or .jsonl file path, got {type(path).__name__}")
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".jsonl", ".json"):
            raise InvalidArgumentError(f"log_path: expected a .csv or .jsonl file name, got {str(path)!r}")
        if self.path.exists() and not stat.S_ISREG(self.path.stat().st_mode):
            raise InvalidArgumentError(
                f"log_path: expected a regular file or a new file name, got {file_kind(self.path.stat().st_mode)} at {str(path)!r}"
            )
        self.kind = "csv" if suffix == ".csv" else "jsonl"
        self.flush_every = check_positive_int(flush_every, "flush_every")
        self._file: io.TextIOBase | None = None
        self._fields: list[str] | None = None
        self._rows = 0

    # ------------------------------------------------------------------ opening
    def open(self, after_step: int | None = None) -> None:
        """Open the file for appending (done by the first :meth:`write` otherwise).

        Args:
            after_step: the step a resumed run restarts from: rows of later
                steps are dropped (with a warning). ``None``: keep every row.
        """
        if self._file is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size > 0:
            if after_step is None and self._ends_with_newline():
                # nothing to drop: read only the first line (a long log is not parsed again)
                with open(self.path, newline="") as f:
                    first = f.readline()
                check = self._csv_existing if self.kind == "csv" else self._jsonl_existing
                check(first, None)
            else:
                text = self.path.read_text()
                (self._csv_existing if self.kind == "csv" else self._jsonl_existing)(text, after_step)
        self._file = open(self.path, "a", newline="")  # noqa: SIM115 - kept open across steps

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def _drop_note(self, partial: bool, later: int, after_step: int | None) -> None:
        parts = []
        if partial:
            parts.append("a half-written last line (a run killed while writing it)")
        if later:
            parts.append(f"{later} row(s) of steps after {after_step} (written after the checkpoint this run resumed "
                         "from; the resumed run writes those steps again)")
        warnings.warn(f"{self.path}: dropped {' and '.join(parts)}", RuntimeWarning, stacklevel=4)

    def _csv_existing(self, text: str, after_step: int | None) -> None:
        partial = not text.endswith("\n")
        lines = text.splitlines(keepends=True)
        if partial:
            lines = lines[:-1]
        rows = list(csv.reader(lines))
        header = rows[0] if rows else []
        if "step" not in header:
            raise InvalidArgumentError(
                f"log_path: expected a metrics log with a 'step' column (or a new file), got a file whose first line is "
                f"{','.join(header)[:80]!r} at {str(self.path)!r}; it is left untouched"
            )
        self._fields = header
        col = header.index("step")
        keep = [header]
        later = 0
        for row in rows[1:]:
            step = _step_of(row[col]) if col < len(row) else None
            if after_step is not None and step is not None and step > after_step:
                later += 1
            else:
                keep.append(row)
        if partial or later:
            self._drop_note(partial, later, after_step)
            _replace_text(self.path, self._csv_text(header, keep[1:]))

    def _jsonl_existing(self, text: str, after_step: int | None) -> None:
        lines = text.splitlines(keepends=True)
        partial = not text.endswith("\n")
        if partial:
            lines = lines[:-1]
        keep, later = [], 0
        for line in lines:
            try:
                step = _step_of(json.loads(line).get("step"))
            except (ValueError, AttributeError):
                raise InvalidArgumentError(
                    f"log_path: expected a metrics log of JSON objects, one a line (or a new file), got the line "
                    f"{line.strip()[:80]!r} in {str(self.path)!r}; it is left untouched"
                ) from None
            if after_step is not None and step is not None and step > after_step:
                later += 1
            else:
                keep.append(line)
        if partial or later:
            self._drop_note(partial, later, after_step)
            _replace_text(self.path, "".join(keep))

    @staticmethod
    def _csv_text(fields: list[str], rows: list[list[str]]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow(list(row) + [""] * (len(fields) - len(row)))
        return out.getvalue()

    def _grow_header(self, new: list[str]) -> None:
        """Rewrite the CSV with ``new`` columns appended to its header (old rows padded)."""
        assert self._file is not None and self._fields is not None
        self._file.flush()
        self._file.close()
        rows = list(csv.reader(self.path.read_text().splitlines()))[1:]
        self._fields = self._fields + new
        _replace_text(self.path, self._csv_text(self._fields, rows))
        self._file = open(self.path, "a", newline="")  # noqa: SIM115

    # ------------------------------------------------------------------ writing
    def write(self, row: dict[str, float]) -> None:
        """Append one row (a CSV's header grows when the row has new columns)."""
        if self._file is None:
            self.open()
        assert self._file is not None
        if self.kind == "csv":
            if self._fields is None:
                self._fields = list(row)
                csv.writer(self._file, lineterminator="\n").writerow(self._fields)
            new = [k for k in row if k not in self._fields]
            if new:
                self._grow_header(new)
            csv.writer(self._file, lineterminator="\n").writerow([row.get(k, "") for k in self._fields])
        else:
            self._file.write(json.dumps(row) + "\n")
        self._rows += 1
        if self._rows % self.flush_every == 0:
            self._file.flush()

    def flush(self) -> None:
        """Write buffered rows to disk (before a checkpoint, so log and checkpoint agree)."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None


class DivergenceWatch:
    """Warns once when the critic wins outright or collapses.

    * wins outright: over ``window`` consecutive critic steps, the real score
      stays near 1 and the fake score near 0 (probabilities, for objectives
      with bounded scores), or the critic's loss stays near 0 (others). The
      generator's adversarial gradient then vanishes (non-saturating loss
      saturates in the critic's favour) and the shape term stops helping.
    * collapses: the real and fake scores stay equal to within ``1e-3`` for the
      window: the critic tells nothing apart and the adversarial term is noise.
    """

    def __init__(self, window: int = 200, margin: float = 0.02) -> None:
        self.window = window
        self.margin = margin
        self._real: deque[float] = deque(maxlen=window)
        self._fake: deque[float] = deque(maxlen=window)
        self._dloss: deque[float] = deque(maxlen=window)
        self.warned: set[str] = set()

    def update(self, real: float, fake: float, d_loss: float, bounded: bool, step: int) -> None:
        self._real.append(real)
        self._fake.append(fake)
        self._dloss.append(d_loss)
        if len(self._real) < self.window:
            return
        if bounded:
            wins = min(self._real) > 1 - self.margin and max(self._fake) < self.margin
        else:
            wins = max(self._dloss) < self.margin
        if wins and "wins" not in self.warned:
            self.warned.add("wins")
            warnings.warn(
                f"step {step}: the discriminator has won outright for {self.window} steps "
                f"(real score ~{np.mean(self._real):.3f}, fake ~{np.mean(self._fake):.3f}); the generator's "
                "adversarial gradient is vanishing. Likely causes: a critic much stronger than the generator, "
                "or labels the generator cannot reach. Knobs: a lower critic learning rate, d_every > 1, a "
                "smaller critic (width/depth), spectral_norm=True, an r1_weight > 0, or objective='hinge'.",
                RuntimeWarning,
                stacklevel=3,
            )
        gap = max(abs(r - f) for r, f in zip(self._real, self._fake))
        if gap < 1e-3 and "collapse" not in self.warned:
            self.warned.add("collapse")
            warnings.warn(
                f"step {step}: the discriminator has scored real and fake labels alike for {self.window} steps "
                f"(|real - fake| < 1e-3); it has collapsed and the adversarial term carries no shape information. "
                "Likely causes: a critic learning rate too low or zero, a frozen critic, a condition that does not "
                "vary. Knobs: a higher critic learning rate, d_steps > 1, a wider critic, check that d_optimizer "
                "holds the critic's parameters.",
                RuntimeWarning,
                stacklevel=3,
            )
