"""2D synthetic edges: a faint contour inside a strong one; every arm trained, scored, drawn.

``run_2d(args)`` is the ``edges_2d`` block of ``benchmarks/synthetic_edges.py``'s JSON:
per arm and seed the boundary F1 and ridge heights of each contour at 0.5, and the
tuned / threshold-free measures of :func:`edges_rivals.tuned_2d`; then the seed summary.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from _edges_train import train, val_and_test_probs
from edges_rivals import summarise, tuned_2d
from shapeloss.edges import boundary_f1, boundary_peak_heights, make_contour_images
from shapeloss.nets import UNet2d

ROOT = Path(__file__).resolve().parents[1]


def evaluate_2d(probs: np.ndarray, test, args) -> dict:
    out = {}
    names = ("strong", "faint")
    f1 = boundary_f1(probs, test.true_boundaries.numpy(), threshold=0.5, tolerance=args.pixel_tolerance)
    heights = boundary_peak_heights(probs, test.targets.numpy(), tolerance=args.pixel_tolerance)
    for c, name in enumerate(names):
        h = heights[c]
        out[name] = {
            "boundary_f1": float(f1["f1"][c]),
            "precision": float(f1["precision"][c]),
            "recall": float(f1["recall"][c]),
            "median_peak_height": float(np.median(h)),
            "effective_share": float(np.mean(h >= 0.7)),
            "band_share": float(np.mean((h >= 0.3) & (h < 0.7))),
        }
    return out


def run_2d(args) -> dict:
    cfg = dict(size=(args.image_size, args.image_size), label_jitter=args.jitter_2d)
    test = make_contour_images(args.test_size_2d, seed=20_000_003, **cfg)
    val = make_contour_images(args.val_size_2d, seed=20_000_017, **cfg)
    args.dims_now = 2
    results = {arm: [] for arm in args.arms_2d}
    example = {}
    for seed in args.seeds:
        torch.manual_seed(seed)
        init = UNet2d(1, 2, widths=(8, 16, 32))
        train_seed = 2_000_003 * (seed + 1)

        def batches(step, train_seed=train_seed):
            d = make_contour_images(args.batch_size_2d, seed=train_seed + step, **cfg)
            return d.images, d.targets

        for arm in args.arms_2d:
            a = copy.copy(args)
            a.steps = args.steps_2d
            a.weight = args.weight_2d
            model, summary = train(arm, copy.deepcopy(init), 2, batches, a, seed)
            val_probs, probs = val_and_test_probs(model, val.images, test.images, chunk=32)
            metrics = evaluate_2d(probs, test, args)
            metrics["tuned"] = tuned_2d(val_probs, val.true_boundaries.numpy(), probs,
                                        test.true_boundaries.numpy(), args.pixel_tolerance)
            metrics["train"] = summary
            results[arm].append(metrics)
            if seed == args.seeds[0]:
                example[arm] = probs[:3]
            print(
                f"[2d seed {seed}] {arm:9s} faint: F1 {metrics['faint']['boundary_f1']:.3f} "
                f"median height {metrics['faint']['median_peak_height']:.2f} "
                f"effective {metrics['faint']['effective_share']:.2f} | strong F1 "
                f"{metrics['strong']['boundary_f1']:.3f} [{summary['seconds']:.0f} s]",
                flush=True,
            )
    table = summarise(results, ("faint", "boundary_f1"), ("faint", "median_peak_height"),
                      ("faint", "effective_share"), ("faint", "band_share"),
                      ("strong", "boundary_f1"), ("strong", "median_peak_height"),
                      *[("tuned", c, k) for c in ("faint", "strong") for k in
                        ("threshold", "f1", "best_f1", "average_precision", "hd95_median", "hd95_missing_share")])
    if args.figures:
        figure_2d(test, example, args)
    return {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
            "test_size": args.test_size_2d, "per_seed": results, "summary": table}


def figure_2d(test, example, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(example)
    fig, axes = plt.subplots(2, 2 + len(arms), figsize=(2 * (2 + len(arms)), 4))
    for r in range(2):
        axes[r, 0].imshow(test.images[r, 0], cmap="gray")
        axes[r, 0].set_title("image", fontsize=8)
        axes[r, 1].imshow(test.targets[r, 1], vmin=0, vmax=1)
        axes[r, 1].set_title("faint label", fontsize=8)
        for j, arm in enumerate(arms):
            axes[r, 2 + j].imshow(example[arm][r, 1], vmin=0, vmax=1)
            axes[r, 2 + j].set_title(f"{arm}: faint", fontsize=8)
    for ax in axes.ravel():
        ax.set_axis_off()
    fig.tight_layout()
    path = Path(args.figure_dir) / "edges_2d_examples.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=70)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
