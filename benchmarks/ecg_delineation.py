"""ECG delineation on LUDB: BCE alone vs ShapeLoss, same seed and initial weights.

Each lead of each record is one example (LUDB annotates leads separately);
targets are Gaussian peaks at the six boundaries (P, QRS, T onset and offset).
Records are split deterministically (70 / 10 / 20 %, seed 0) so no patient is
in two sets. Training windows are cropped inside the annotated span of a lead
(the unannotated first and last beats never reach the loss); evaluation runs
on whole test leads; an unmatched prediction is a false positive only inside
the annotated span (the span starts at an onset and ends at an offset, so a
boundary predicted a sample outside it must still match).

Metrics per boundary: sensitivity, PPV, F1 at 150 ms, mean and standard
deviation of the timing error (ms), and from shapeloss.metrics the effective
detection share (best peak >= 0.7 within 10 samples = 20 ms of a label peak)
and the suppression band share (best peak in [0.3, 0.7)). F1 is reported at a
fixed 0.5 threshold and at the threshold chosen per boundary and arm on the
validation records (which tells a suppressed-but-well-placed boundary from a
missed one).

Without ../shared/data/ludb (or $SHAPELOSS_LUDB) it runs on the synthetic ECG
generator and says so.

Usage:
    python benchmarks/ecg_delineation.py              # --quick defaults
    python benchmarks/ecg_delineation.py --seeds 0 1 2 --steps 3000
"""

from __future__ import annotations

import argparse
import copy
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _ecg_delineation_eval import best_thresholds, evaluate, print_table, summarise  # noqa: E402
from _harness import predict, write_json  # noqa: E402  (one predict and one JSON writer for ECG and edges)
from _provenance import provenance  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from shapeloss.discriminators import build_discriminator  # noqa: E402
from shapeloss.ecg import (  # noqa: E402
    BOUNDARIES,
    default_ludb_root,
    load_ludb,
    make_synthetic_ecg,
    record_ids,
    split_records,
)
from shapeloss.ecg.dataset import build_lead_set, sample_windows  # noqa: E402
from shapeloss.losses import ShapeLoss  # noqa: E402
from shapeloss.nets import UNet1d  # noqa: E402
from shapeloss.training import AdversarialTrainer  # noqa: E402

ARMS = ("bce", "shapeloss")

# Published deep delineators on LUDB, as quoted in issue 6 (F1 at 150 ms); not measured here.
PUBLISHED_F1 = {"P": 0.98, "QRS": 0.999, "T": 0.995}


def load_data(args) -> tuple[dict, str]:
    root = None if args.synthetic else (Path(args.ludb) if args.ludb else default_ludb_root())
    if root is not None and (root / "RECORDS").is_file():
        ids = record_ids(root)
        split = split_records(ids, seed=0)
        if args.max_train_records:
            split["train"] = split["train"][: args.max_train_records]
        if args.max_test_records:
            split["test"] = split["test"][: args.max_test_records]
            split["validation"] = split["validation"][: args.max_test_records]
        leads = args.leads
        sets = {k: build_lead_set(load_ludb(root, split[k]), leads=leads, width=args.width) for k in ("train", "validation", "test")}
        source = (f"LUDB ({root.name}: {len(split['train'])} train / {len(split['validation'])} validation / "
                  f"{len(split['test'])} test records, leads {leads or 'all'})")
        sets["split"] = split
        return sets, source
    print("LUDB not found (../shared/data/ludb or $SHAPELOSS_LUDB): running on the synthetic ECG generator instead.")
    n_train, n_test = (args.max_train_records or 112), (args.max_test_records or 32)
    sets = {
        "train": build_lead_set(make_synthetic_ecg(n_train, seed=1), width=args.width),
        "validation": build_lead_set(make_synthetic_ecg(max(n_test // 2, 1), seed=3), width=args.width),
        "test": build_lead_set(make_synthetic_ecg(n_test, seed=2), width=args.width),
    }
    return sets, f"synthetic ECG ({n_train} train / {n_test} test records, one lead each)"


def train_arm(arm: str, init: nn.Module, data, args, seed: int) -> tuple[nn.Module, dict]:
    model = copy.deepcopy(init)
    torch.manual_seed(seed + 1000)
    adversarial = arm == "shapeloss"
    critic = build_discriminator(args.critic, len(BOUNDARIES), 1, dims=1) if adversarial else None
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), critic, weight=args.weight, adversarial=adversarial)
    g_opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    d_opt = torch.optim.Adam(critic.parameters(), lr=args.d_lr, betas=(0.5, 0.999)) if adversarial else None
    trainer = AdversarialTrainer(model, loss, g_opt, d_opt, progress=args.progress, divergence_window=0)
    base_seed = 7_000_001 * (seed + 1)

    def batches(step):
        return sample_windows(data, args.batch_size, args.window, np.random.default_rng(base_seed + step))

    t0 = time.perf_counter()
    rows = trainer.fit(batches, args.steps)
    summary = {"seconds": time.perf_counter() - t0}
    for key in ("base", "adversarial", "discriminator", "real_score", "fake_score"):
        vals = [r[key] for r in rows[-50:] if key in r]
        if vals:
            summary[f"last50_{key}"] = float(np.mean(vals))
    return model, summary



def figure(test, probs_by_arm: dict, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    i = 0
    start, stop = test.spans[i]
    s = slice(int(start), int(min(start + 1500, stop)))
    fig, axes = plt.subplots(len(probs_by_arm) + 1, 1, figsize=(9, 2 + 1.6 * len(probs_by_arm)), sharex=True)
    t = np.arange(test.signals.shape[1])[s] / test.sampling_rate
    axes[0].plot(t, test.signals[i, s], color="k", lw=0.7)
    axes[0].set_title(f"record {test.records[i]}, lead {test.leads[i]} (test)", fontsize=8)
    colors = plt.cm.tab10(np.arange(6))
    for ax, (arm, probs) in zip(axes[1:], probs_by_arm.items()):
        for c, name in enumerate(BOUNDARIES):
            ax.plot(t, test.targets[i, c, s], color=colors[c], lw=0.6, ls=":")
            ax.plot(t, probs[i, c, s], color=colors[c], lw=1.0, label=name)
        ax.axhline(0.7, color="r", lw=0.5, ls="--")
        ax.set_ylabel(arm, fontsize=8)
        ax.set_ylim(0, 1.05)
    axes[1].legend(fontsize=6, ncol=6, loc="upper right")
    axes[-1].set_xlabel("s (dotted: labels)")
    fig.tight_layout()
    path = Path(args.figure_dir) / "ecg_delineation_example.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"wrote {path}")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="the default settings (kept for explicit commands)")
    p.add_argument("--smoke", action="store_true", help="a few steps on a handful of records (tests)")
    p.add_argument("--synthetic", action="store_true", help="use the synthetic ECG even if LUDB is present")
    p.add_argument("--ludb", default=None, help="LUDB folder (default: ../shared/data/ludb or $SHAPELOSS_LUDB)")
    p.add_argument("--leads", nargs="+", default=None, help="lead names to use (default: all 12)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--width", type=float, default=5.0, help="boundary peak standard deviation, samples")
    p.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64])
    p.add_argument("--kernel-size", type=int, default=9)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--d-lr", type=float, default=2e-4)
    p.add_argument("--weight", type=float, default=100.0, help="ShapeLoss lambda")
    p.add_argument("--critic", default="light", choices=["light", "global", "patch"])
    p.add_argument("--threshold", type=float, default=0.5, help="pick threshold for F1")
    p.add_argument("--sweep", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                   help="thresholds tried on the validation records")
    p.add_argument("--distance", type=int, default=100, help="minimum samples between two picks of one kind")
    p.add_argument("--max-train-records", type=int, default=None)
    p.add_argument("--max-test-records", type=int, default=None)
    p.add_argument("--no-figures", dest="figures", action="store_false")
    p.add_argument("--figure-dir", help="where figures go (default: the run folder; docs/figures with --publish)")
    add_run_arguments(p, publish="benchmarks/results/ecg_delineation.json and docs/figures/ecg_delineation_example.png")
    args = parse_checked(p, argv)
    if args.smoke:
        args.steps, args.batch_size, args.window = 3, 4, 256
        args.max_train_records, args.max_test_records = 3, 2
        args.seeds = args.seeds[:1]
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.threads = apply_threads(args.threads)
    path, figure_dir = output_paths("ecg_delineation", "ecg_delineation.json", out=args.out, run_dir=args.run_dir, publish=args.publish,
                                    published=ROOT / "benchmarks" / "results" / "ecg_delineation.json",
                                    published_figures=ROOT / "docs" / "figures")
    args.figure_dir = args.figure_dir or str(figure_dir)
    command, commit, dirty = provenance(__file__, argv)
    t0 = time.perf_counter()
    sets, source = load_data(args)
    train, test = sets["train"], sets["test"]
    print(f"data: {source}; {len(train)} train leads, {len(test)} test leads")
    results = {arm: [] for arm in ARMS}
    example = {}
    for seed in args.seeds:
        torch.manual_seed(seed)
        init = UNet1d(1, len(BOUNDARIES), widths=tuple(args.widths), kernel_size=args.kernel_size)
        for arm in ARMS:
            model, summary = train_arm(arm, init, train, args, seed)
            thresholds = best_thresholds(predict(model, sets["validation"].signals), sets["validation"], args)
            probs = predict(model, test.signals)
            metrics = evaluate(probs, test, args, thresholds)
            metrics["train"] = summary
            results[arm].append(metrics)
            if seed == args.seeds[0]:
                example[arm] = probs[:1]
            f1s = " ".join(f"{n} {metrics[n]['f1']:.3f}" for n in BOUNDARIES)
            eff = " ".join(f"{metrics[n]['effective_share']:.2f}" for n in BOUNDARIES)
            print(f"[seed {seed}] {arm:9s} F1: {f1s} | effective: {eff} [{summary['seconds']:.0f} s]", flush=True)
    table = summarise(results)
    print_table(table, f"ECG delineation, {source}, {len(args.seeds)} seed(s), {args.steps} steps")
    if args.figures:
        figure(test, example, args)
    out = {
        "command": command, "commit": commit, "uncommitted_files": dirty, "torch": torch.__version__,
        "python": platform.python_version(), "threads": args.threads, "data": source,
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "figure_dir", "run_dir", "publish", "progress")},
        "split": sets.get("split"), "n_train_leads": len(train), "n_test_leads": len(test),
        "published_f1_quoted_in_issue_6": PUBLISHED_F1,
        "per_seed": results, "summary": table, "seconds": time.perf_counter() - t0,
    }
    write_json(path, out)
    print(f"\nwrote {path} in {out['seconds']:.0f} s")
    return out


if __name__ == "__main__":
    main()
