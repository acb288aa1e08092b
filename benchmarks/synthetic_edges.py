"""Synthetic-edge benchmark: does ShapeLoss lift subtle boundaries that BCE suppresses?

1D: a subtle onset followed by a dominant burst (shapeloss.edges.make_onset_burst),
labelled with timing jitter. Arms, all from the same initial weights per seed:
BCE, class-weighted BCE, BCE + 1D Wasserstein (CDF-L1), BCE + soft-argmax
position head, BCE + boundary (distance-map) loss, and ShapeLoss (BCE + a
conditional critic). Reported per arm: effective detections (best predicted
peak >= 0.7 within 10 samples of a label peak), the suppression band share
(best peak in [0.3, 0.7)), against the jittered labels and against the true
onsets, and pick F1 / residuals at a 0.5 threshold.

2D: a faint contour a few pixels inside a strong one (make_contour_images);
BCE vs ShapeLoss with a 2D PatchGAN critic; boundary F1 at a pixel tolerance
and the peak heights across each boundary.

Rival arms (opt-in, extra 'baselines'; benchmarks/edges_rivals.py): soft-DTW
(tslearn) in 1D; MONAI's distance-transform Hausdorff and soft clDice losses and
kornia's erosion Hausdorff loss in 2D, where weighted BCE and the boundary loss
are arms too. Every run also reports F1 at a threshold tuned on validation
data, the best F1 and average precision over thresholds, the timing residual
(1D) and the boundary Hausdorff distance, with 95 % intervals over seeds.

Usage:
    python benchmarks/synthetic_edges.py            # --quick: both dims, 3 seeds
    python benchmarks/synthetic_edges.py --dims 1 --seeds 0 1 2 3 4 --steps 3000
    python benchmarks/synthetic_edges.py --dims 2 --arms-2d bce weighted_bce hausdorff_dt cldice shapeloss

Writes benchmarks/results/synthetic_edges.json (with the exact command) and
figures under docs/figures/.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _edges_1d import run_1d  # noqa: E402
from _edges_2d import run_2d  # noqa: E402
from _edges_train import ARMS_1D, ARMS_2D, limit_numba_threads  # noqa: E402
from _harness import write_json  # noqa: E402
from _provenance import provenance  # noqa: E402
from edges_rivals import RIVALS, print_table  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

import torch  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the default settings (kept for explicit commands)")
    p.add_argument("--smoke", action="store_true", help="a few steps on tiny sets (tests)")
    p.add_argument("--dims", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms-1d", nargs="+", default=[a for a in ARMS_1D if a not in RIVALS], choices=ARMS_1D)
    p.add_argument("--arms-2d", nargs="+", default=["bce", "shapeloss"], choices=ARMS_2D)
    p.add_argument("--rival-weight", type=float, default=1.0, help="weight of each rival's shape term")
    p.add_argument("--val-size", type=int, default=250, help="1D validation signals (threshold tuning)")
    p.add_argument("--val-size-2d", type=int, default=50, help="2D validation images (threshold tuning)")
    p.add_argument("--steps", type=int, default=1000, help="training steps per 1D arm")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--length", type=int, default=512)
    p.add_argument("--jitter", type=float, default=6.0, help="label timing jitter (std, samples)")
    p.add_argument("--bias", type=float, default=0.0, help="label timing bias (samples)")
    p.add_argument("--label-width", type=float, default=4.0)
    p.add_argument("--onset-amplitude", type=float, nargs=2, default=None,
                   help="(low, high) subtle-onset amplitude in noise std (default: the generator's)")
    p.add_argument("--test-size", type=int, default=500)
    p.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--d-lr", type=float, default=2e-4)
    p.add_argument("--weight", type=float, default=10.0, help="ShapeLoss lambda (1D)")
    p.add_argument("--critic", default="light", choices=["light", "global", "patch", "reference"])
    p.add_argument("--pos-weight", type=float, default=10.0)
    p.add_argument("--cdf-weight", type=float, default=1.0)
    p.add_argument("--soft-argmax-weight", type=float, default=1.0)
    p.add_argument("--soft-argmax-temperature", type=float, default=1.0)
    p.add_argument("--boundary-weight", type=float, default=1.0)
    p.add_argument("--steps-2d", type=int, default=800)
    p.add_argument("--batch-size-2d", type=int, default=8)
    p.add_argument("--image-size", type=int, default=48)
    p.add_argument("--jitter-2d", type=float, default=0.8)
    p.add_argument("--test-size-2d", type=int, default=100)
    p.add_argument("--pixel-tolerance", type=int, default=1)
    p.add_argument("--weight-2d", type=float, default=10.0)
    p.add_argument("--critic-2d", default="patch", choices=["patch", "global"],
                   help="2D critic: a PatchGAN (width 16, depth 2) or a global one (width 16, depth 4)")
    p.add_argument("--n-examples", type=int, default=4)
    p.add_argument("--no-figures", dest="figures", action="store_false")
    p.add_argument("--figure-dir", help="where figures go (default: the run folder; docs/figures with --publish)")
    add_run_arguments(p, publish="benchmarks/results/synthetic_edges.json and docs/figures/edges_*_examples.png")
    args = parse_checked(p, argv)
    if args.smoke:
        args.steps, args.steps_2d, args.test_size, args.test_size_2d = 3, 2, 16, 4
        args.val_size, args.val_size_2d = 8, 4
        args.batch_size, args.batch_size_2d, args.length, args.image_size = 4, 2, 128, 24
        args.seeds, args.n_examples = args.seeds[:1], 2
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.threads = apply_threads(args.threads)
    if "soft_dtw" in args.arms_1d:
        limit_numba_threads(args.threads)
    path, figure_dir = output_paths("synthetic_edges", "synthetic_edges.json", out=args.out, run_dir=args.run_dir, publish=args.publish,
                                    published=ROOT / "benchmarks" / "results" / "synthetic_edges.json",
                                    published_figures=ROOT / "docs" / "figures")
    args.figure_dir = args.figure_dir or str(figure_dir)
    command, commit, dirty = provenance(__file__, argv)
    out = {"command": command, "commit": commit, "uncommitted_files": dirty, "torch": torch.__version__,
           "python": platform.python_version(), "threads": args.threads, "seeds": args.seeds,
           "settings": {k: v for k, v in vars(args).items() if k not in ("out", "figure_dir", "run_dir", "publish", "progress")}}
    t0 = time.perf_counter()
    if 1 in args.dims:
        out["edges_1d"] = run_1d(args)
        print_table(f"1D edges (jitter {args.jitter} samples, {len(args.seeds)} seeds, {args.test_size} test signals)",
                    out["edges_1d"]["summary"])
    if 2 in args.dims:
        out["edges_2d"] = run_2d(args)
        print_table(f"2D edges ({len(args.seeds)} seeds, {args.test_size_2d} test images)", out["edges_2d"]["summary"])
    out["seconds"] = time.perf_counter() - t0
    write_json(path, out)
    print(f"\nwrote {path} in {out['seconds']:.0f} s")
    return out


if __name__ == "__main__":
    main()
