"""Command line: ``python -m shapeloss.diagnostics {landscape,simulate,history,report} ...``.

Each subcommand writes a PNG figure and a JSON file into ``--out`` (created if
needed) and prints the paths it wrote.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._cli_checks import OptionErrors
from ..errors import ShapeLossError


def _figure_backend() -> None:
    import matplotlib

    matplotlib.use("Agg")


def _write(out: Path, stem: str, payload: dict[str, Any], fig: Any) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / f"{stem}.json", out / f"{stem}.png"
    json_path.write_text(json.dumps(payload, indent=1, allow_nan=False))
    fig.savefig(png_path, dpi=90)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return [json_path, png_path]


def _label(args: argparse.Namespace) -> np.ndarray:
    from .landscape import gaussian_label

    if getattr(args, "label", None):
        return np.load(args.label).astype(np.float64).reshape(-1)
    return gaussian_label(args.sigma)


def _landscape(args: argparse.Namespace) -> list[Path]:
    import matplotlib.pyplot as plt

    from .landscape import pointwise_landscape, template_landscape

    label = _label(args)
    spreads = [0.0] if not args.spread else [0.0, args.spread]
    lands = []
    for s in spreads:
        lands.append(pointwise_landscape(label, args.loss, spread=s))
        lands.append(template_landscape(label, args.loss, spread=s))
    fig, axes = plt.subplots(len(spreads), 2, figsize=(10, 3.8 * len(spreads)), squeeze=False)
    for ax, land in zip(axes.reshape(-1), lands):
        land.plot(ax=ax, threshold=args.threshold)
    fig.tight_layout()
    payload = {"landscapes": [land.to_dict(include_grid=args.grid) for land in lands]}
    return _write(Path(args.out), f"landscape_{args.loss}", payload, fig)


def _simulate(args: argparse.Namespace) -> list[Path]:
    from .simulation import plot_simulation, simulate_spreads

    rate = args.sampling_rate
    results = simulate_spreads(
        [s * rate for s in args.spreads],
        skew=args.skew,
        label=_label(args),
        loss=args.loss,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        sampling_rate=rate,
    )
    for r in results:
        print(
            f"spread {r.spread / rate:g} s: point-wise {r.pointwise_height:.3f} at {r.pointwise_position:+.0f}, "
            f"closed form {r.optimum_height:.3f}, template {r.template_height:.3f} at {r.template_position:+.2f} samples"
        )
    fig = plot_simulation(results, threshold=args.threshold)
    payload = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("func", "out")},
        "results": [r.to_dict(include_curves=args.curves) for r in results],
    }
    return _write(Path(args.out), "simulation", payload, fig)


def _history(args: argparse.Namespace) -> list[Path]:
    from .history import band_share_over_steps, load_metrics, load_tracked, plot_history

    metrics = load_metrics(args.log) if args.log else None
    tracked = load_tracked(args.tracked) if args.tracked else None
    band = tuple(args.band)
    fig = plot_history(metrics, tracked, window=args.window, threshold=args.threshold, band=band,
                       tolerance=args.tolerance, channel_names=args.channel_names)
    payload: dict[str, Any] = {}
    if metrics is not None:
        last = {k: (None if not np.isfinite(v[-1]) else float(v[-1])) for k, v in metrics.items()}
        payload["metrics"] = {"rows": int(metrics["step"].size), "last": last}
    if tracked is not None:
        payload["tracked"] = {"steps": tracked.steps.tolist(), "shape": list(tracked.predictions.shape[1:])}
        if tracked.labels is not None:
            share, eff = band_share_over_steps(tracked, band, args.threshold, args.tolerance)
            clean = lambda a: [[None if not np.isfinite(x) else float(x) for x in row] for row in a]  # noqa: E731
            payload["tracked"]["band_share"] = clean(share)
            payload["tracked"]["effective_share"] = clean(eff)
    return _write(Path(args.out), "history", payload, fig)


def _report(args: argparse.Namespace) -> list[Path]:
    import matplotlib.pyplot as plt

    from ..metrics import suppression_report
    from .history import read_npz

    data = read_npz(args.npz, required=("predictions", "labels"))
    predictions, labels = data["predictions"], data["labels"]
    report = suppression_report(predictions, labels, threshold=args.threshold, band=tuple(args.band),
                                tolerance=args.tolerance, channel_names=args.channel_names)
    for name, ch in report.to_dict()["channels"].items():
        print(f"{name}: {ch['effective']}/{ch['n_labels']} effective, band share {ch['band_share']}")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    report.plot(ax=ax)
    fig.tight_layout()
    return _write(Path(args.out), "suppression_report", report.to_dict(), fig)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shapeloss.diagnostics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser, label: bool = False) -> None:
        p.add_argument("--out", default="diagnostics", help="output folder (default: ./diagnostics)")
        p.add_argument("--threshold", type=float, default=0.7, help="decision threshold drawn and used (default 0.7)")
        if label:
            p.add_argument("--sigma", type=float, default=20.0, help="Gaussian label sigma in samples (default 20)")
            p.add_argument("--label", help="a .npy file holding a 1-D label shape (replaces --sigma)")
            p.add_argument("--loss", default="bce", choices=["bce", "mse", "focal"], help="point-wise base loss")

    p = sub.add_parser("landscape", help="point-wise and template loss landscapes")
    common(p, label=True)
    p.add_argument("--spread", type=float, default=0.0, help="also draw the landscapes under a label jitter (samples)")
    p.add_argument("--grid", action="store_true", help="write the full grids into the JSON")
    p.set_defaults(func=_landscape)

    p = sub.add_parser("simulate", help="model-free simulation against jittered targets")
    common(p, label=True)
    p.add_argument("--spreads", type=float, nargs="+", default=[0.1, 0.3, 0.5], help="jitter sd in seconds")
    p.add_argument("--sampling-rate", type=float, default=100.0, help="samples per second (default 100)")
    p.add_argument("--skew", type=float, default=0.0, help="skew-normal shape of the jitter (default 0)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--curves", action="store_true", help="write curves and trajectories into the JSON")
    p.set_defaults(func=_simulate)

    def report_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--band", type=float, nargs=2, default=[0.3, 0.7], metavar=("LOW", "HIGH"))
        p.add_argument("--tolerance", type=int, default=10, help="samples around each label peak (default 10)")
        p.add_argument("--channel-names", nargs="+", help="one name per channel")

    p = sub.add_parser("history", help="training curves, prediction waterfall and band share over steps")
    common(p)
    p.add_argument("--log", help="metrics log (.csv or .jsonl)")
    p.add_argument("--tracked", help=".npz with steps, predictions (S, B, C, L) and optionally labels")
    p.add_argument("--window", type=int, default=0, help="which tracked window to draw")
    report_options(p)
    p.set_defaults(func=_history)

    p = sub.add_parser("report", help="suppression report of predictions against peak-shaped labels")
    common(p)
    p.add_argument("npz", help=".npz with predictions and labels, both (B, C, L)")
    report_options(p)
    p.set_defaults(func=_report)
    return parser


def check_options(args: argparse.Namespace) -> OptionErrors:
    """Every option's range and every path, checked before any work (one line per bad value)."""
    errors = OptionErrors()
    errors.probability("--threshold", args.threshold)
    errors.writable_folder("--out", args.out)
    if args.command in ("landscape", "simulate"):
        if args.label:
            errors.existing_file("--label", args.label, ".npy file")
        else:
            errors.real("--sigma", args.sigma, 0.0, low_open=True)
    if args.command == "landscape":
        errors.real("--spread", args.spread, 0.0)
    if args.command == "simulate":
        for spread in args.spreads:
            errors.real("--spreads", spread, 0.0, low_open=True, want="each spread: expected a positive float")
        errors.real("--sampling-rate", args.sampling_rate, 0.0, low_open=True)
        errors.real("--skew", args.skew)
        errors.integer("--steps", args.steps, 1)
        errors.integer("--batch-size", args.batch_size, 1)
        errors.real("--lr", args.lr, 0.0, low_open=True)
        errors.integer("--seed", args.seed, 0)
    if args.command in ("history", "report"):
        errors.integer("--tolerance", args.tolerance, 0)
        low, high = args.band
        if not (0.0 <= low < high <= 1.0):
            errors.add(f"--band: expected 0 <= LOW < HIGH <= 1, got {low:g} {high:g}")
    if args.command == "history":
        errors.integer("--window", args.window, 0)
        if args.log:
            errors.existing_file("--log", args.log, ".csv or .jsonl file")
        if args.tracked:
            errors.existing_file("--tracked", args.tracked, ".npz file")
    if args.command == "report":
        errors.existing_file("npz", args.npz, ".npz file")
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "history" and not (args.log or args.tracked):
        parser.error("history: expected --log and/or --tracked, got neither")
    errors = check_options(args)
    if errors.lines:
        return errors.exit_status()
    _figure_backend()
    try:
        paths = args.func(args)
    except (ShapeLossError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
