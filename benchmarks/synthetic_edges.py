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
import copy
import json
import math
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _provenance import provenance  # noqa: E402
from edges_rivals import RIVALS, print_table, rival_loss, summarise, tuned_1d, tuned_2d  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from shapeloss.discriminators import build_discriminator  # noqa: E402
from shapeloss.edges import (  # noqa: E402
    BoundaryDistanceLoss,
    CDFL1Loss,
    SoftArgmaxLoss,
    WeightedBCELoss,
    boundary_f1,
    boundary_peak_heights,
    gaussian_peaks,
    make_contour_images,
    make_onset_burst,
)
from shapeloss.losses import ShapeLoss  # noqa: E402
from shapeloss.metrics import pick_metrics, suppression_report  # noqa: E402
from shapeloss.nets import UNet1d, UNet2d  # noqa: E402
from shapeloss.training import AdversarialTrainer  # noqa: E402

ARMS_1D = ("bce", "weighted_bce", "cdf_l1", "soft_argmax", "boundary", "soft_dtw", "shapeloss")
ARMS_2D = ("bce", "weighted_bce", "boundary", "hausdorff_dt", "hausdorff_er", "cldice", "shapeloss")


def base_loss(arm: str, args: argparse.Namespace) -> nn.Module:
    if arm in ("bce", "shapeloss"):
        return nn.BCEWithLogitsLoss()
    if arm == "weighted_bce":
        return WeightedBCELoss(args.pos_weight)
    if arm == "cdf_l1":
        return CDFL1Loss(args.cdf_weight)
    if arm == "soft_argmax":
        return SoftArgmaxLoss(args.soft_argmax_weight, temperature=args.soft_argmax_temperature)
    if arm == "boundary":
        return BoundaryDistanceLoss(args.boundary_weight)
    if arm in RIVALS:
        return rival_loss(arm, args.dims_now, args.rival_weight)
    raise ValueError(arm)


def train(arm: str, model: nn.Module, dims: int, batches, args: argparse.Namespace, seed: int) -> tuple[nn.Module, dict]:
    """Train one arm from the given initial model; returns the model and a training summary."""
    torch.manual_seed(seed + 1000)
    adversarial = arm == "shapeloss"
    critic = None
    if adversarial:
        if dims == 1:
            critic = build_discriminator(args.critic, 1, 1, dims=1, length=args.length)
        else:
            if args.critic_2d == "patch":
                critic = build_discriminator("patch", 2, 1, dims=2, width=16, depth=2, kernel_size=3)
            else:
                critic = build_discriminator("global", 2, 1, dims=2, width=16, depth=4, kernel_size=3)
    loss = ShapeLoss(base_loss(arm, args), critic, weight=args.weight, adversarial=adversarial)
    g_opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    d_opt = torch.optim.Adam(critic.parameters(), lr=args.d_lr, betas=(0.5, 0.999)) if adversarial else None
    trainer = AdversarialTrainer(model, loss, g_opt, d_opt, progress=args.progress, divergence_window=0)
    t0 = time.perf_counter()
    rows = trainer.fit(batches, args.steps)
    tail = rows[-50:]
    summary = {"seconds": time.perf_counter() - t0}
    for key in ("base", "adversarial", "discriminator", "real_score", "fake_score"):
        vals = [r[key] for r in tail if key in r]
        if vals:
            summary[f"last50_{key}"] = float(np.mean(vals))
    return model, summary


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, chunk: int = 128) -> np.ndarray:
    model.eval()
    out = [torch.sigmoid(model(x[i : i + chunk])) for i in range(0, len(x), chunk)]
    model.train()
    return torch.cat(out).numpy()


def _clean(obj):
    """JSON-safe: numpy to Python, nan to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


# --- 1D ----------------------------------------------------------------------------


def evaluate_1d(probs: np.ndarray, test, args) -> dict:
    true_targets = gaussian_peaks(test.onsets.numpy(), args.length, args.label_width)[:, None, :]
    out = {}
    for name, labels in (("labels", test.targets.numpy()), ("true_onsets", true_targets)):
        rep = suppression_report(probs, labels, threshold=0.7, band=(0.3, 0.7), tolerance=10)
        picks = pick_metrics(probs, labels, threshold=0.5, tolerance=10, distance=args.length)["0"]
        out[name] = {
            "n_labels": int(rep.n_labels[0]),
            "effective": int(rep.effective[0]),
            "effective_share": float(rep.effective_share[0]),
            "band_share": float(rep.band_share[0]),
            "median_peak_height": float(np.median(rep.heights[0])),
            "f1@0.5": picks["f1"],
            "residual_mean": picks["residual_mean"],
            "residual_std": picks["residual_std"],
        }
    # Shape of the answer: where the highest peak is, how wide it is, and how often
    # a peak >= 0.5 appears far (> 30 samples) from the true onset.
    p = probs[:, 0]
    top = p.argmax(axis=-1)
    half = p >= 0.5 * p.max(axis=-1, keepdims=True)
    widths = []
    for i, t in enumerate(top):
        lo, hi = t, t
        while lo > 0 and half[i, lo - 1]:
            lo -= 1
        while hi < p.shape[1] - 1 and half[i, hi + 1]:
            hi += 1
        widths.append(hi - lo + 1)
    far = np.abs(np.arange(p.shape[1])[None, :] - test.onsets.numpy()[:, None]) > 30
    out["shape"] = {
        "argmax_near_burst_share": float(np.mean(np.abs(top - test.bursts.numpy()) <= 10)),
        "false_peak_share": float(np.mean(((p >= 0.5) & far).any(-1))),
        "fwhm_median": float(np.median(widths)),
    }
    return out


def _val_and_test_probs(model, val_x, test_x, chunk=128):
    return predict(model, val_x, chunk), predict(model, test_x, chunk)


def run_1d(args) -> dict:
    cfg = dict(length=args.length, label_jitter=args.jitter, label_bias=args.bias, label_width=args.label_width)
    if args.onset_amplitude is not None:
        cfg["onset_amplitude"] = tuple(args.onset_amplitude)
    test = make_onset_burst(args.test_size, seed=10_000_019, **cfg)
    val = make_onset_burst(args.val_size, seed=10_000_079, **cfg)
    args.dims_now = 1
    results = {arm: [] for arm in args.arms_1d}
    example = {}
    for seed in args.seeds:
        torch.manual_seed(seed)
        init = UNet1d(1, 1, widths=tuple(args.widths), kernel_size=7)
        train_seed = 1_000_003 * (seed + 1)

        def batches(step, train_seed=train_seed):
            d = make_onset_burst(args.batch_size, seed=train_seed + step, **cfg)
            return d.signals, d.targets

        for arm in args.arms_1d:
            model, summary = train(arm, copy.deepcopy(init), 1, batches, args, seed)
            val_probs, probs = _val_and_test_probs(model, val.signals, test.signals)
            metrics = evaluate_1d(probs, test, args)
            metrics["tuned"] = tuned_1d(val_probs, val.targets.numpy(), probs, test.targets.numpy(),
                                        test.onsets.numpy(), args.length)
            metrics["train"] = summary
            results[arm].append(metrics)
            if seed == args.seeds[0]:
                example[arm] = probs[: args.n_examples, 0]
            print(
                f"[1d seed {seed}] {arm:13s} effective {metrics['labels']['effective']:4d}/"
                f"{metrics['labels']['n_labels']} band {metrics['labels']['band_share']:.2f} "
                f"(true onsets: {metrics['true_onsets']['effective']}) f1 {metrics['labels']['f1@0.5']:.2f} "
                f"[{summary['seconds']:.0f} s]",
                flush=True,
            )
    table = summarise(results, ("labels", "effective"), ("labels", "band_share"), ("true_onsets", "effective"),
                      ("labels", "f1@0.5"), ("labels", "residual_std"), ("labels", "median_peak_height"),
                      ("shape", "fwhm_median"), ("shape", "false_peak_share"), ("tuned", "threshold"),
                      ("tuned", "f1"), ("tuned", "best_f1"), ("tuned", "average_precision"),
                      ("tuned", "residual_std"), ("tuned", "hausdorff_median"))
    if "bce" in results and "shapeloss" in results:
        sl = np.array([r["labels"]["effective"] for r in results["shapeloss"]], float)
        bce = np.array([r["labels"]["effective"] for r in results["bce"]], float)
        table["effective_total_bce"] = float(bce.sum())
        table["effective_total_shapeloss"] = float(sl.sum())
        # undefined (None in the JSON) when BCE has no effective detection at all
        table["shapeloss_over_bce_effective"] = float(sl.sum() / bce.sum()) if bce.sum() > 0 else math.nan
    if args.figures:
        figure_1d(test, example, args)
    return {"config": cfg, "test_size": args.test_size, "per_seed": results, "summary": table}


def figure_1d(test, example, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(example)
    n = min(args.n_examples, 4)
    fig, axes = plt.subplots(n, 1, figsize=(8, 1.8 * n), sharex=True)
    axes = np.atleast_1d(axes)
    for i, ax in enumerate(axes):
        ax.plot(test.signals[i, 0].numpy() * 0.5 - 0.6, color="0.6", lw=0.6)
        ax.plot(test.targets[i, 0].numpy(), color="k", lw=1.2, label="label")
        ax.axvline(int(test.onsets[i]), color="k", ls=":", lw=0.8)
        for arm in arms:
            if arm in ("bce", "shapeloss", "weighted_bce"):
                ax.plot(example[arm][i], lw=1, label=arm)
        ax.axhline(0.7, color="r", lw=0.5, ls="--")
        ax.set_ylim(-1.2, 1.1)
    axes[0].legend(fontsize=7, ncol=4, loc="upper right")
    axes[-1].set_xlabel("sample")
    fig.suptitle("1D synthetic edges: subtle onset (dotted) before a dominant burst", fontsize=9)
    fig.tight_layout()
    path = Path(args.figure_dir) / "edges_1d_examples.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


# --- 2D ----------------------------------------------------------------------------


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
            val_probs, probs = _val_and_test_probs(model, val.images, test.images, chunk=32)
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
    path.write_text(json.dumps(_clean(out), indent=1))
    print(f"\nwrote {path} in {out['seconds']:.0f} s")
    return out


if __name__ == "__main__":
    main()
