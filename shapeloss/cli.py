"""The ``shapeloss`` command.

::

    shapeloss bench seismic|ecg|edges|throughput [benchmark options...]
    shapeloss diagnose landscape|simulate|history|report [options...]
    shapeloss pick FILE [FILE...] --model CHECKPOINT [--out picks.csv]

``bench`` runs a script of the repository's ``benchmarks/`` folder (found next to the
installed package in a source checkout, or in ``$SHAPELOSS_BENCHMARKS``) with the options
that follow, in a fresh Python process, after checking the options the scripts share
(``--threads``, ``--steps``, ``--seeds``, ``--out``...).

Every command checks every option and output path before any work starts, and exits with
status 2 and one ``error:`` line per bad value. ``diagnose`` is ``python -m shapeloss.diagnostics``.
``pick`` reads ObsPy-readable files (miniSEED, SAC, ...), runs a PhaseNet checkpoint over
them with :func:`shapeloss.seismic.annotate.annotate` and writes one pick per line; it lives in
:mod:`shapeloss.seismic.cli`, added to the parser lazily (this module imports no domain package).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cli_checks import OptionErrors
from .errors import ShapeLossError

__all__ = ["main", "build_parser", "BENCHMARKS", "load_phasenet"]

#: ``shapeloss bench NAME`` runs ``benchmarks/<script>``.
BENCHMARKS = {
    "seismic": "seismic_s_phase.py",
    "ecg": "ecg_delineation.py",
    "edges": "synthetic_edges.py",
    "throughput": "throughput.py",
}


def _benchmark_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("SHAPELOSS_BENCHMARKS"):
        dirs.append(Path(os.environ["SHAPELOSS_BENCHMARKS"]))
    dirs.append(Path(__file__).resolve().parent.parent / "benchmarks")  # source checkout
    dirs.append(Path.cwd() / "benchmarks")
    return dirs


def find_benchmark(name: str) -> Path:
    """The path of a benchmark script; :class:`FileNotFoundError` names where it looked."""
    script = BENCHMARKS[name]
    for folder in _benchmark_dirs():
        if (folder / script).is_file():
            return folder / script
    looked = ", ".join(str(d) for d in _benchmark_dirs())
    raise FileNotFoundError(
        f"benchmark {name!r}: expected {script} in one of {looked}, got none. The benchmarks ship with the "
        "source repository, not the wheel: clone it, or point $SHAPELOSS_BENCHMARKS at its benchmarks/ folder"
    )


# Options the benchmark scripts share, checked before the script starts (argparse in the
# script would stop at the first bad value, or a bad value would end in a traceback later).
_BENCH_INTS = {  # option -> minimum
    "--threads": 1, "--steps": 1, "--batch-size": 1, "--critic-steps": 1, "--eval-windows": 1,
    "--dev-windows": 1, "--crops-per-trace": 1, "--curve-every": 1, "--curve-windows": 1,
    "--track-every": 1, "--tracked-windows": 1, "--figure-windows": 1, "--checkpoint-every": 1,
    "--d-every": 1, "--max-train-records": 1, "--max-test-records": 1, "--workers": 0, "--branch-at": 0,
}
_BENCH_POSITIVE = ("--lr", "--d-lr")
_BENCH_FILES = ("--out", "--figure")
_BENCH_FOLDERS = ("--figure-dir", "--work-dir")


def check_bench_options(options: Sequence[str]) -> OptionErrors:
    """Every shared benchmark option's value, checked at once (unknown options are the script's)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for flag in (*_BENCH_INTS, *_BENCH_POSITIVE, *_BENCH_FILES, *_BENCH_FOLDERS, "--weight", "--threshold"):
        parser.add_argument(flag)
    parser.add_argument("--seeds", nargs="+")
    known, _ = parser.parse_known_args(list(options))
    errors = OptionErrors()
    for flag, minimum in _BENCH_INTS.items():
        errors.integer(flag, getattr(known, flag[2:].replace("-", "_")), minimum)
    for seed in known.seeds or ():
        errors.integer("--seeds", seed, 0)
    for flag in _BENCH_POSITIVE:
        errors.real(flag, getattr(known, flag[2:].replace("-", "_")), 0.0, low_open=True, want="a float > 0")
    errors.real("--weight", known.weight, 0.0, want="a float >= 0")
    errors.probability("--threshold", known.threshold)
    for flag in _BENCH_FILES:
        errors.writable_file(flag, getattr(known, flag[2:].replace("-", "_")))
    for flag in _BENCH_FOLDERS:
        errors.writable_folder(flag, getattr(known, flag[2:].replace("-", "_")))
    return errors


def _bench(args: argparse.Namespace) -> int:
    errors = check_bench_options(args.options)
    if errors.lines:
        return errors.exit_status()
    script = find_benchmark(args.name)
    return subprocess.call([sys.executable, str(script), *args.options])


def _diagnose(args: argparse.Namespace) -> int:
    from .diagnostics.__main__ import main as diagnostics_main

    return diagnostics_main(args.options)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shapeloss", description="Adversarial shape losses: benchmarks, diagnostics, picking.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "bench", help="run a benchmark of the repository's benchmarks/ folder",
        description="Run benchmarks/<script> with the options that follow (see 'shapeloss bench NAME --help').",
    )
    p.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark: " + ", ".join(f"{k} ({v})" for k, v in BENCHMARKS.items()))
    p.add_argument("options", nargs=argparse.REMAINDER, help="options passed to the benchmark script")
    p.set_defaults(func=_bench)

    p = sub.add_parser(
        "diagnose", help="loss landscapes, model-free simulation, training histories, suppression reports",
        description="python -m shapeloss.diagnostics: landscape | simulate | history | report "
                    "(see 'shapeloss diagnose COMMAND --help').", add_help=False,
    )
    p.add_argument("options", nargs=argparse.REMAINDER, help="landscape | simulate | history | report, then its options")
    p.set_defaults(func=_diagnose)

    from .seismic.cli import add_pick_parser  # the one domain command, added lazily (the core imports no domain)

    add_pick_parser(sub)
    return parser


_SEISMIC = {"load_phasenet": "load_phasenet", "check_pick_options": "check_pick_options", "_pick": "pick_command"}


def __getattr__(name: str) -> Any:
    """``shapeloss.cli.load_phasenet`` and the other former seismic names, from :mod:`shapeloss.seismic.cli`.

    Resolved on first use, so importing :mod:`shapeloss.cli` imports no domain package.
    """
    if name in _SEISMIC:
        from .seismic import cli as seismic_cli

        return getattr(seismic_cli, _SEISMIC[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``shapeloss`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["diagnose"]:
        # forwarded whole: 'shapeloss diagnose --help' is the diagnostics' own help
        rest = argv[1:]
        if not rest or rest[0] in ("-h", "--help"):
            from .diagnostics.__main__ import build_parser as diagnostics_parser

            helper = diagnostics_parser()
            helper.prog = "shapeloss diagnose"
            helper.print_help()
            return 0 if rest else 2
        args = argparse.Namespace(command="diagnose", options=rest, func=_diagnose)
    else:
        args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ShapeLossError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
