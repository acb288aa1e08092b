"""Figures of benchmarks/seismic_continuous.py: PR curves, F1 against threshold, threshold-transfer bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks._results import save_figure


def _panels(result: dict) -> list[tuple[str, str, str, str]]:
    """(set, catalogue, phase, tolerance) of the curve panels: the source set (analyst picks), then S
    at the widest tolerance on every other set whose curves were kept."""
    widest = list(result["tolerances"])[-1]
    panels = [(result["source"], "analyst", phase, tol) for phase in ("P", "S") for tol in result["tolerances"]]
    for name, by_cat in result["sets"].items():
        for cat, by_phase in by_cat.items():
            entry = by_phase["S"][widest]
            if (name, cat) != (result["source"], "analyst") and all("curve" in e for e in entry.values()):
                panels.append((name, cat, "S", widest))
    return panels


def figures(result: dict, folder: Path, stem: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arms = list(result["arms"])
    colors = {arm: plt.get_cmap("tab10")(k % 10) for k, arm in enumerate(arms)}
    t = np.asarray(result["thresholds"])
    written = []

    def save(fig, name):
        written.append(save_figure(fig, folder, stem, name, dpi=60))

    panels = _panels(result)
    for kind in ("pr", "f1"):
        cols = min(4, len(panels))
        rows = -(-len(panels) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.1 * rows), squeeze=False)
        for ax in axes.flat[len(panels):]:
            ax.axis("off")
        for ax, (name, cat, phase, tol) in zip(axes.flat, panels):
            entry = result["sets"][name][cat][phase][tol]
            for arm in arms:
                c = {k: np.array([np.nan if v is None else v for v in entry[arm]["curve"][k]]) for k in ("precision", "recall", "f1")}
                m = entry[arm]["measures"]
                if kind == "pr":
                    ax.plot(c["recall"], c["precision"], color=colors[arm], lw=1.2, label=f"{arm} (AUC {m['pr_auc']['value']:.3f})")
                else:
                    ax.plot(t, c["f1"], color=colors[arm], lw=1.2, label=f"{arm} (best {m['best_f1']['value']:.3f})")
            if kind == "pr":
                ax.set(xlabel="recall", ylabel="precision", title=f"{phase}, {tol}, {name} ({cat})", xlim=(0, 1.02), ylim=(0, 1.02))
            else:
                ax.set(xlabel="threshold", ylabel="F1", title=f"{phase}, {tol}, {name} ({cat})", ylim=(0, 1.02))
            ax.legend(fontsize=6)
        save(fig, "precision_recall" if kind == "pr" else "f1_threshold")

    # F1 lost by moving each arm's source threshold to the other sets (S, analyst, 0.5 s), 95 % intervals
    targets = [n for n in result.get("transfer", {}) if "S" in result["transfer"][n].get("analyst", {})]
    if targets:
        tol = list(result["tolerances"])[-1]
        fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(targets), 3.3))
        width = 0.8 / len(arms)
        for k, arm in enumerate(arms):
            vals = [result["transfer"][n]["analyst"]["S"][tol][arm]["f1_lost"] for n in targets]
            v = np.array([x["value"] for x in vals], dtype=float)
            err = error_bars(vals)
            ax.bar(np.arange(len(targets)) + (k - (len(arms) - 1) / 2) * width, v, width, yerr=err, color=colors[arm],
                   label=arm, capsize=2, error_kw={"lw": 0.7})
        ax.set_xticks(np.arange(len(targets)), targets, fontsize=8)
        ax.set(ylabel=f"S F1 lost ({tol}, analyst picks)", title=f"threshold chosen on {result['source']}, applied unchanged")
        ax.legend(fontsize=6)
        save(fig, "transfer")
    return written


def error_bars(vals: list[dict]) -> np.ndarray:
    """``(2, n)`` bar lengths below and above each ``{"value", "low", "high"}``, clipped at 0.

    A bootstrap percentile interval need not contain its point estimate: the F1 lost in a
    threshold transfer is a best-over-thresholds minus a value, and the best of a resample is
    biased upwards, so the whole interval can sit above the estimate. matplotlib refuses negative
    bar lengths; the clipped bar then simply starts at the estimate.
    """
    err = np.array([[x["value"] - x["low"], x["high"] - x["value"]] for x in vals], dtype=float).T
    return np.clip(err, 0.0, None).reshape(2, len(vals))
