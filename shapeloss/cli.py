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
them with :func:`shapeloss.seismic.annotate.annotate` and writes one pick per line.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._cli_checks import OptionErrors
from .errors import CheckpointError, ShapeLossError

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


# --------------------------------------------------------------------------- pick


def load_phasenet(path: str | os.PathLike[str], map_location: str = "cpu") -> Any:
    """A :class:`~shapeloss.seismic.PhaseNet` from a checkpoint, in eval mode.

    Accepts a checkpoint of :class:`~shapeloss.AdversarialTrainer` (its ``"model"``
    weights), of :class:`shapeloss.lightning.ShapeLossModule` (``"state_dict"`` with a
    ``generator.`` prefix) or a plain ``state_dict``. The architecture (input channels,
    classes, filters, depth) is read from the weights' shapes. Files are read with
    ``weights_only=True``.
    """
    import torch

    from .seismic.phasenet import PhaseNet

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"model: expected an existing checkpoint file, got {str(path)!r} (not found)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(f"model: expected a readable checkpoint, got {str(path)!r} ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    elif isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = {k[len("generator."):]: v for k, v in state["state_dict"].items() if k.startswith("generator.")}
    if not isinstance(state, dict) or "inc.weight" not in state or "out.weight" not in state:
        raise CheckpointError(
            f"model: expected PhaseNet weights (keys 'inc.weight', 'out.weight', ...), got {str(path)!r} without them"
        )
    shapes_ok = all(isinstance(state[k], torch.Tensor) and state[k].ndim == 3 for k in ("inc.weight", "out.weight"))
    levels = {k.split(".")[1] for k in state if isinstance(k, str) and k.startswith("down_branch.")}
    if not shapes_ok or not levels or not all(level.isdigit() for level in levels):
        raise CheckpointError(
            f"model: expected PhaseNet weights (3-D 'inc.weight' and 'out.weight', 'down_branch.<level>...' keys), "
            f"got {str(path)!r} with keys {sorted(map(str, state))[:6]}"
        )
    depth = 1 + max(int(level) for level in levels)
    inc = state["inc.weight"]
    net = PhaseNet(
        in_channels=int(inc.shape[1]), classes=int(state["out.weight"].shape[0]),
        filters_root=int(inc.shape[0]), depth=depth, kernel_size=int(inc.shape[2]),
    )
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"model: expected weights matching shapeloss's PhaseNet, got: {str(exc)[:300]}") from exc
    return net.eval()


def check_pick_options(args: argparse.Namespace) -> OptionErrors:
    """Every option of ``shapeloss pick``, checked at once; converted values go back into ``args``."""
    import torch

    errors = OptionErrors()
    for name in args.files:
        errors.existing_file("files", name, "waveform file (miniSEED, SAC, ...)")
    if errors.existing_file("--model", args.model, "checkpoint file") is not None:
        try:  # a junk checkpoint is a bad option value too; reading it is cheap next to picking
            args.net = load_phasenet(args.model)
        except CheckpointError as exc:
            errors.add(str(exc))
    args.threshold = errors.probability("--threshold", args.threshold)
    args.p_threshold = errors.probability("--p-threshold", args.p_threshold)
    args.s_threshold = errors.probability("--s-threshold", args.s_threshold)
    args.window = errors.integer("--window", args.window, 2)
    args.overlap = errors.integer("--overlap", args.overlap, 0)
    if args.window is not None and args.overlap is not None and args.overlap >= args.window:
        errors.add(f"--overlap: expected an int in [0, --window={args.window}), got {args.overlap}")
    args.min_distance = errors.integer("--min-distance", args.min_distance, 1)
    args.batch_size = errors.integer("--batch-size", args.batch_size, 1)
    order = args.component_order
    if not order or len(set(order)) != len(order):
        errors.add(f"--component-order: expected distinct component letters such as 'ENZ', got {order!r}")
    try:
        torch.device(args.device)
    except (RuntimeError, TypeError):
        errors.add(f"--device: expected a device torch knows ('cpu', 'cuda', 'cuda:0', ...), got {args.device!r}")
    inputs = {Path(p).resolve() for p in [*args.files, args.model] if Path(p).exists()}
    for flag, value in (("--out", args.out), ("--probabilities", args.probabilities)):
        if errors.writable_file(flag, value) is not None and Path(value).resolve() in inputs:
            # writing the picks over a waveform file or the checkpoint would destroy it
            errors.add(f"{flag}: expected a path other than an input file or the checkpoint, got {value!r}")
    return errors


def _pick(args: argparse.Namespace) -> int:
    errors = check_pick_options(args)
    if errors.lines:
        return errors.exit_status()
    try:
        import obspy
    except ImportError:
        print("error: shapeloss pick needs ObsPy: pip install 'shapeloss[seismic]'", file=sys.stderr)
        return 2
    from .seismic.annotate import annotate

    model = args.net.to(args.device)
    stream = obspy.Stream()
    for name in args.files:  # every unreadable file is reported, before any picking
        try:
            stream += obspy.read(name)
        except Exception as exc:  # ObsPy raises many types for unreadable files
            errors.add(f"{name}: expected a file ObsPy can read (miniSEED, SAC, ...), got {type(exc).__name__}: {exc}")
    if errors.lines:
        return errors.exit_status()
    threshold: Any = args.threshold
    if args.p_threshold is not None or args.s_threshold is not None:
        threshold = {"P": args.p_threshold if args.p_threshold is not None else args.threshold,
                     "S": args.s_threshold if args.s_threshold is not None else args.threshold}
    result = annotate(
        stream, model, window=args.window, overlap=args.overlap, stacking=args.stacking,
        threshold=threshold, min_distance=args.min_distance, batch_size=args.batch_size,
        component_order=args.component_order, device=args.device,
    )
    rows = [{"trace_id": p.trace_id, "phase": p.phase, "time": str(p.time), "probability": round(p.probability, 4)}
            for p in result.picks]
    out = Path(args.out) if args.out else None
    for path in (out, Path(args.probabilities) if args.probabilities else None):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    if out is not None and out.suffix.lower() == ".json":
        out.write_text(json.dumps({"picks": rows, "messages": result.messages}, indent=1))
    else:
        handle = open(out, "w", newline="") if out is not None else sys.stdout  # noqa: SIM115
        try:
            writer = csv.DictWriter(handle, fieldnames=["trace_id", "phase", "time", "probability"])
            writer.writeheader()
            writer.writerows(rows)
        finally:
            if out is not None:
                handle.close()
    if args.probabilities:
        import numpy as np

        np.savez_compressed(args.probabilities, **{
            f"{t.trace_id}_{k}": t.data for k, t in enumerate(result.traces)
        })
    if out is not None:
        print(f"{len(rows)} picks written to {out}", file=sys.stderr)
    return 0


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

    p = sub.add_parser(
        "pick", help="pick P and S phases in miniSEED/SAC files with a PhaseNet checkpoint",
        description="Pick P and S phases on continuous records (any format ObsPy reads) with a PhaseNet checkpoint "
                    "(trainer, Lightning or plain state_dict). Writes CSV (default, to stdout) or JSON.",
    )
    p.add_argument("files", nargs="+", help="waveform files (miniSEED, SAC, ...); traces are grouped by station")
    p.add_argument("--model", required=True, help="checkpoint of a shapeloss PhaseNet")
    p.add_argument("--out", help="picks file: .csv (default: stdout) or .json")
    p.add_argument("--probabilities", help="also write the probability traces to this .npz")
    # numbers are read as text and checked together (check_pick_options): one line per bad value
    p.add_argument("--threshold", default="0.5", help="pick threshold for every phase, in [0, 1] (default 0.5)")
    p.add_argument("--p-threshold", help="P threshold (default: --threshold)")
    p.add_argument("--s-threshold", help="S threshold (default: --threshold)")
    p.add_argument("--window", default="3001", help="window length in samples at 100 Hz (default 3001)")
    p.add_argument("--overlap", default="1500", help="samples shared by consecutive windows (default 1500)")
    p.add_argument("--stacking", choices=["avg", "max"], default="avg")
    p.add_argument("--min-distance", default="100", help="samples between two picks of one phase (default 100)")
    p.add_argument("--batch-size", default="64")
    p.add_argument("--component-order", default="ENZ", help="the model's input components (default ENZ)")
    p.add_argument("--device", default="cpu")
    p.set_defaults(func=_pick)
    return parser


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
