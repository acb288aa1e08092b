"""The seismic benchmark's figures: peak-height histograms, example windows, tracked S predictions
over training, training curves and precision-recall over thresholds (bce against shapeloss)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks._results import save_figure
from benchmarks._seismic_common import BAND, PHASES, THRESHOLD


def figures(args, results: list[dict], folder: Path, stem: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"bce": "tab:blue", "shapeloss": "tab:red"}
    written = []
    first = {s: next(r for r in results if r["schedule"] == s) for s in sorted({r["schedule"] for r in results})}

    def save(fig, name):
        written.append(save_figure(fig, folder, stem, name, dpi=72))

    # 1. Peak-height histograms per arm and phase.
    fig, axes = plt.subplots(len(first), 2, figsize=(10, 3.2 * len(first)), squeeze=False)
    for row, (schedule, r) in enumerate(first.items()):
        for c, phase in enumerate(PHASES):
            ax = axes[row, c]
            for arm in ("bce", "shapeloss"):
                h = r["arms"][arm]["suppression"]["channels"][phase]["heights"]
                ax.hist(h, bins=np.linspace(0, 1, 21), alpha=0.55, color=colors[arm],
                        label=f"{arm} (effective {r['arms'][arm]['phases'][phase]['effective']})")
            ax.axvspan(*BAND, color="0.9", zorder=-1)
            ax.axvline(THRESHOLD, color="k", ls="--", lw=1)
            ax.set(title=f"{phase} ({schedule}, seed {r['seed']})", xlabel="best predicted peak within 10 samples of the label", ylabel="label peaks")
            ax.legend(fontsize=8)
    save(fig, "histograms")

    # 2. Example windows with both arms' predictions; 3. tracked S predictions over training.
    for schedule, r in first.items():
        work = Path(args.work_root) / f"seed{r['seed']}_{schedule}"
        pred = np.load(work / "predictions.npz")
        n = min(4, len(pred["inputs"]))
        fig, axes = plt.subplots(n, 1, figsize=(11, 2.4 * n), squeeze=False)
        for i in range(n):
            ax = axes[i, 0]
            x = pred["inputs"][i]
            for k in range(3):
                ax.plot(0.3 * x[k] + 1.6 + 0.7 * k, lw=0.4, color="0.5")
            ax.plot(pred["labels"][i, 0], color="k", lw=1, ls=":", label="P / S labels")
            ax.plot(pred["labels"][i, 1], color="k", lw=1, ls=":")
            for arm in ("bce", "shapeloss"):
                ax.plot(pred[arm][i, 0].astype(float), color=colors[arm], lw=0.8, ls="--")
                ax.plot(pred[arm][i, 1].astype(float), color=colors[arm], lw=1.2, label=f"{arm} (S solid, P dashed)")
            ax.axhline(THRESHOLD, color="k", lw=0.5)
            ax.set_ylim(-0.05, 3.3)
            if i == 0:
                ax.legend(fontsize=7, loc="upper right")
        axes[-1, 0].set_xlabel("sample (100 Hz)")
        save(fig, f"examples_{schedule}")

        tr = np.load(work / "tracked.npz")
        if tr["shapeloss_S"].size:
            n = min(3, tr["labels"].shape[0])
            fig, axes = plt.subplots(n, 2, figsize=(11, 2.2 * n), squeeze=False)
            for j, arm in enumerate(("bce", "shapeloss")):
                steps, s = tr[f"{arm}_steps"], tr[f"{arm}_S"].astype(float)
                if not s.size:  # an arm resumed after it had finished has no tracked history
                    axes[0, j].set_title(f"{arm}: no tracked history in this invocation", fontsize=8)
                    continue
                cmap = plt.get_cmap("viridis")
                for i in range(n):
                    ax = axes[i, j]
                    centre = int(np.argmax(tr["labels"][i]))
                    lo, hi = max(0, centre - 300), centre + 300
                    for k in range(0, len(steps), max(1, len(steps) // 12)):
                        ax.plot(np.arange(lo, min(hi, s.shape[-1])), s[k, i, lo:hi], color=cmap(k / max(1, len(steps) - 1)), lw=0.8)
                    ax.plot(np.arange(lo, min(hi, s.shape[-1])), tr["labels"][i, lo:hi], "k:", lw=1)
                    ax.axhline(THRESHOLD, color="k", lw=0.5)
                    ax.set_title(f"{arm}: S over steps {int(steps[0])}-{int(steps[-1])} (dark to light)", fontsize=8)
            save(fig, f"tracked_{schedule}")

    # 4. Training curves: losses and effective picks on dev windows.
    fig, axes = plt.subplots(len(first), 2, figsize=(11, 3.2 * len(first)), squeeze=False)
    for row, (schedule, r) in enumerate(first.items()):
        for arm in ("bce", "shapeloss"):
            loss = r["arms"][arm]["losses"]
            axes[row, 0].plot([x["step"] for x in loss], [x.get("base", np.nan) for x in loss], color=colors[arm], label=f"{arm} BCE")
            curve = r["arms"][arm]["curve"]
            for phase, ls in (("P", "--"), ("S", "-")):
                axes[row, 1].plot([x["step"] for x in curve], [x[f"effective_{phase}"] for x in curve], color=colors[arm], ls=ls,
                                  label=f"{arm} {phase}")
        axes[row, 0].set(yscale="log", xlabel="step", ylabel="BCE", title=f"training loss ({schedule})")
        axes[row, 1].set(xlabel="step", ylabel=f"effective picks ({args.curve_windows} dev windows)", title=f"effective picks ({schedule})")
        for ax in axes[row]:
            if schedule == "branch":
                ax.axvline(args.branch_at, color="0.6", lw=0.8)
            ax.legend(fontsize=7)
    save(fig, "curves")

    # 5. Precision-recall over thresholds, per arm, for S.
    fig, axes = plt.subplots(1, len(first), figsize=(5 * len(first), 3.6), squeeze=False)
    for j, (schedule, r) in enumerate(first.items()):
        ax = axes[0, j]
        for arm in ("bce", "shapeloss"):
            for phase, ls in (("P", "--"), ("S", "-")):
                sw = r["arms"][arm]["phases"][phase]["sweep"]
                ax.plot(np.array(sw["recall"], dtype=float), np.array(sw["precision"], dtype=float), color=colors[arm], ls=ls, marker=".",
                        label=f"{arm} {phase}")
        ax.set(xlabel="recall", ylabel="precision", title=f"thresholds 0.05-0.95 ({schedule})")
        ax.legend(fontsize=7)
    save(fig, "precision_recall")
    return written
