"""The ``shapeloss`` command.

::

    shapeloss bench seismic|ecg|edges|throughput [benchmark options...]
    shapeloss diagnose landscape|simulate|history|report [options...]
    shapeloss pick FILE [FILE...] --model CHECKPOINT [--out picks.csv]

``bench`` runs a script of the repository's ``benchmarks/`` folder (found next to the
installed package in a source checkout, or in ``$SHAPELOSS_BENCHMARKS``) with the options
that follow, in a fresh Python process. ``diagnose`` is ``python -m shapeloss.diagnostics``.
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


def _bench(args: argparse.Namespace) -> int:
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
    depth = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("down_branch."))
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


def _pick(args: argparse.Namespace) -> int:
    try:
        import obspy
    except ImportError:
        print("error: shapeloss pick needs ObsPy: pip install 'shapeloss[seismic]'", file=sys.stderr)
        return 2
    from .seismic.annotate import annotate

    model = load_phasenet(args.model, map_location=args.device).to(args.device)
    stream = obspy.Stream()
    for name in args.files:
        try:
            stream += obspy.read(name)
        except Exception as exc:  # ObsPy raises many types for unreadable files
            raise FileNotFoundError(f"{name}: expected a file ObsPy can read (miniSEED, SAC, ...), got {type(exc).__name__}: {exc}") from exc
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
    p.add_argument("--threshold", type=float, default=0.5, help="pick threshold for every phase (default 0.5)")
    p.add_argument("--p-threshold", type=float, help="P threshold (default: --threshold)")
    p.add_argument("--s-threshold", type=float, help="S threshold (default: --threshold)")
    p.add_argument("--window", type=int, default=3001, help="window length in samples at 100 Hz (default 3001)")
    p.add_argument("--overlap", type=int, default=1500, help="samples shared by consecutive windows (default 1500)")
    p.add_argument("--stacking", choices=["avg", "max"], default="avg")
    p.add_argument("--min-distance", type=int, default=100, help="samples between two picks of one phase (default 100)")
    p.add_argument("--batch-size", type=int, default=64)
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
