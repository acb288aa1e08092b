"""1D synthetic edges: a subtle onset before a dominant burst; every arm trained, scored, drawn.

``run_1d(args)`` is the ``edges_1d`` block of ``benchmarks/synthetic_edges.py``'s JSON:
per arm and seed the suppression report against the jittered labels and the true
onsets, pick F1 at 0.5, the shape of the answer, and the tuned / threshold-free
measures of :func:`edges_rivals.tuned_1d`; then the seed summary.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import torch

from _edges_train import train, val_and_test_probs
from edges_rivals import summarise, tuned_1d
from shapeloss.edges import gaussian_peaks, make_onset_burst
from shapeloss.metrics import pick_metrics, suppression_report
from shapeloss.nets import UNet1d

ROOT = Path(__file__).resolve().parents[1]


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
            val_probs, probs = val_and_test_probs(model, val.signals, test.signals)
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
