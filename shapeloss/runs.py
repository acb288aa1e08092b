"""How a command-line run behaves on this machine: its cores, its output folder, its progress.

Shared by the benchmark scripts, the examples and ``shapeloss bench``:

* :func:`available_cores` counts the cores this process may run on (its CPU affinity, not the
  machine's total), the default thread count; :func:`oversubscription` says when the load
  average is above it (every step then runs several times slower than on an idle machine);
* :func:`run_folder` is where a user's run writes: ``runs/<name>/<timestamp>/`` under the
  current directory (ignored by git in the repository) unless a folder is named; committed
  evidence is refreshed only on request (the scripts' ``--publish``);
* :class:`Progress` is a tqdm bar on a terminal (step, loss, rate, time left) and one line per
  phase elsewhere (a log file, CI).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "available_cores",
    "oversubscription",
    "apply_threads",
    "threads_applied",
    "run_folder",
    "output_paths",
    "add_run_arguments",
    "parse_checked",
    "Progress",
    "format_duration",
]


def available_cores() -> int:
    """Cores this process may run on: ``os.sched_getaffinity`` where the platform has it
    (a container or ``taskset`` limits it), else ``os.cpu_count()``; at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def oversubscription(cores: int | None = None) -> str | None:
    """A warning when the 1-minute load average is above the available cores, else ``None``
    (also ``None`` where the platform has no load average)."""
    cores = available_cores() if cores is None else cores
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    if load <= cores:
        return None
    return (f"warning: this machine is oversubscribed (load average {load:.1f} on {cores} available core(s)); "
            f"other jobs share the CPU, so each step runs roughly {load / cores:.1f}x slower than on an idle machine")


def apply_threads(threads: int | None, *, warn: bool = True, file: TextIO | None = None) -> int:
    """Set torch's CPU threads to ``threads`` (``None``: :func:`available_cores`), print
    :func:`oversubscription`'s warning when there is one, and return the thread count."""
    import torch

    from .errors import InvalidArgumentError

    n = available_cores() if threads is None else threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"threads: expected an integer >= 1, got {threads!r}")
    torch.set_num_threads(n)
    message = oversubscription() if warn else None
    if message:
        print(message, file=file or sys.stderr, flush=True)
    return n


@contextmanager
def threads_applied(threads: int | None, *, warn: bool = True) -> Iterator[int]:
    """:func:`apply_threads` for the duration of a ``with`` block, then torch's previous
    thread count again (a benchmark called as a library leaves the caller's setting alone)."""
    import torch

    previous = torch.get_num_threads()
    try:
        yield apply_threads(threads, warn=warn)
    finally:
        torch.set_num_threads(previous)


def run_folder(name: str, run_dir: str | os.PathLike[str] | None = None, *, base: str | os.PathLike[str] = "runs") -> Path:
    """The folder a run writes into, created: ``run_dir`` when given, else
    ``<base>/<name>/<UTC timestamp>`` (``base`` relative to the current directory)."""
    if run_dir is not None:
        folder = Path(run_dir)
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        folder = Path(base) / name / stamp
        k = 1
        while folder.exists():  # two runs in the same second get their own folders
            k += 1
            folder = Path(base) / name / f"{stamp}-{k}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def output_paths(name: str, filename: str, *, out: str | os.PathLike[str] | None = None,
                 run_dir: str | os.PathLike[str] | None = None, publish: bool = False,
                 published: str | os.PathLike[str] | None = None,
                 published_figures: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """``(result JSON path, figure folder)`` of a run, folders created.

    * ``out``: that JSON path; figures beside it, except for a path in the committed results'
      folder (``published``'s), whose figures go to ``published_figures`` as a publish would;
    * ``publish``: the committed ``published`` JSON and ``published_figures`` (maintainers);
    * otherwise :func:`run_folder` (``run_dir`` or ``runs/<name>/<timestamp>/``) holds both.
    """
    figures = Path(published_figures) if published_figures is not None else None
    if out is not None:
        path = Path(out).resolve()
        committed = published is not None and path.parent == Path(published).resolve().parent
        folder = figures if committed and figures is not None else path.parent
    elif publish:
        if published is None:
            raise ValueError("publish: expected the committed result's path (published), got None")
        path = Path(published).resolve()
        folder = figures if figures is not None else path.parent
    else:
        folder = run_folder(name, run_dir).resolve()
        path = folder / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    return path, folder


def add_run_arguments(parser: argparse.ArgumentParser, *, publish: str | None = None, out: bool = True,
                      threads: bool = True) -> None:
    """The options every long command shares: ``--threads``, ``--progress/--no-progress`` and,
    for scripts that write results, ``--run-dir``, ``--out`` and (with ``publish``, a description
    of the committed files) ``--publish``."""
    if threads:
        parser.add_argument("--threads", type=int, default=None,
                            help=f"CPU threads for torch (default: the cores available to this process, here {available_cores()})")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="a progress bar (default: on a terminal only; elsewhere one line per phase)")
    if out:
        parser.add_argument("--run-dir", help="folder for this run's results and figures (default: runs/<benchmark>/<timestamp>/)")
        parser.add_argument("--out", help="result JSON path (its figures go beside it); overrides --run-dir")
    if publish:
        parser.add_argument("--publish", action="store_true",
                            help=f"maintainers: refresh the committed evidence ({publish}) instead of writing a run folder")


def parse_checked(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args(argv)`` after checking the options every benchmark shares
    (``--threads``, ``--steps``, ``--seeds``, ``--lr``, output paths...: the same checks as
    ``shapeloss bench``): a bad value ends the run before any work, with status 2 and one
    ``error:`` line per bad value instead of a traceback."""
    from .cli import check_bench_options

    errors = check_bench_options(sys.argv[1:] if argv is None else list(argv))
    if errors.lines:
        raise SystemExit(errors.exit_status())
    return parser.parse_args(argv)


def format_duration(seconds: float) -> str:
    """``"45 s"``, ``"3.2 min"`` or ``"1.5 h"``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Progress of one phase of ``total`` steps.

    On a terminal (``enabled=None`` and stderr a tty, or ``enabled=True``) a tqdm bar shows the
    step, the loss, the rate and the time left. Otherwise, unless ``quiet=False``, one line is
    printed when the phase ends (steps, seconds, seconds per step, last loss).

    Use :meth:`update` with the step reached and the metrics to show, then :meth:`close` (or a
    ``with`` block).
    """

    def __init__(self, total: int, *, initial: int = 0, desc: str = "", enabled: bool | None = None,
                 unit: str = "step", quiet: bool = True, file: TextIO | None = None) -> None:
        self.total, self.initial, self.desc, self.unit = int(total), int(initial), desc, unit
        self.file = file or sys.stderr
        self.quiet = quiet
        self.n = self.initial
        self.postfix: dict[str, str] = {}
        self._start = time.perf_counter()
        self._closed = False
        use_bar = self.file.isatty() if enabled is None else bool(enabled)
        self.bar: Any = None
        if use_bar:
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm is a dependency; a stripped environment still gets the phase line
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=self.total, initial=self.initial, desc=desc or None, unit=unit,
                                dynamic_ncols=True, file=self.file, leave=True, mininterval=0.5)

    def update(self, n: int, metrics: dict[str, float] | None = None) -> None:
        """Advance to step ``n`` and show ``metrics`` (``loss`` first)."""
        if metrics:
            self.postfix = {k: f"{v:.3g}" for k, v in metrics.items() if isinstance(v, (int, float))}
        if self.bar is not None:
            if self.postfix:
                self.bar.set_postfix(self.postfix, refresh=False)
            self.bar.update(int(n) - self.bar.n)
        self.n = int(n)

    def write(self, message: str) -> None:
        """Print a line without breaking the bar."""
        if self.bar is not None:
            self.bar.write(message, file=self.file)
        else:
            print(message, flush=True)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.bar is not None:
            self.bar.close()
            return
        if self.quiet:
            done = self.n - self.initial
            elapsed = time.perf_counter() - self._start
            rate = f" ({elapsed / done:.3f} s/{self.unit})" if done else ""
            shown = ", ".join(f"{k} {v}" for k, v in self.postfix.items())
            print(f"{self.desc + ': ' if self.desc else ''}{done} {self.unit}s in {format_duration(elapsed)}{rate}"
                  f"{', ' + shown if shown else ''}", file=self.file, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
