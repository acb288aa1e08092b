"""``shapeloss pick``: pick P and S phases in waveform files with a PhaseNet checkpoint.

The seismic part of the command line (:mod:`shapeloss.cli` adds this sub-command lazily, so
the core's command line imports no domain package at module level). ``pick`` reads
ObsPy-readable files (miniSEED, SAC, ...), runs a PhaseNet checkpoint over them with
:func:`shapeloss.seismic.annotate.annotate` and writes one pick per line (CSV or JSON).
Every option is checked before any work starts; each bad value gets one ``error:`` line and
the command exits with status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._cli_checks import OptionErrors
from ..checkpoint import read_checkpoint
from ..errors import CheckpointError
from .annotate import annotate
from .phasenet import PhaseNet

__all__ = ["load_phasenet", "check_pick_options", "pick_command", "add_pick_parser"]


def load_phasenet(path: str | os.PathLike[str], map_location: str = "cpu") -> Any:
    """A :class:`~shapeloss.seismic.PhaseNet` from a checkpoint, in eval mode.

    Accepts a checkpoint of :class:`~shapeloss.AdversarialTrainer` (its ``"model"``
    weights), of :class:`shapeloss.lightning.ShapeLossModule` (``"state_dict"`` with a
    ``generator.`` prefix) or a plain ``state_dict``. The architecture (input channels,
    classes, filters, depth) is read from the weights' shapes. Files are read with
    ``weights_only=True``.
    """
    state = read_checkpoint(path, map_location, argument="model")
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


def pick_command(args: argparse.Namespace) -> int:
    """``shapeloss pick``: check every option, read every file, annotate, write the picks."""
    errors = check_pick_options(args)
    if errors.lines:
        return errors.exit_status()
    try:
        import obspy
    except ImportError:
        print("error: shapeloss pick needs ObsPy: pip install 'shapeloss[seismic]'", file=sys.stderr)
        return 2
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
        np.savez_compressed(args.probabilities, **{
            f"{t.trace_id}_{k}": t.data for k, t in enumerate(result.traces)
        })
    if out is not None:
        print(f"{len(rows)} picks written to {out}", file=sys.stderr)
    return 0


def add_pick_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``pick`` sub-command to the ``shapeloss`` parser's sub-parsers; returns its parser."""
    p = subparsers.add_parser(
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
    p.set_defaults(func=pick_command)
    return p
