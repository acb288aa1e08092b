"""The ECG delineation benchmark's scoring: the validation threshold per boundary, the metrics of
one arm on the test leads (F1 at the fixed and the validation threshold, timing error, effective
and suppression band shares), their mean and spread over seeds, and the printed table."""

from __future__ import annotations

import math

import numpy as np
import torch

from shapeloss.ecg import BOUNDARIES, delineation_metrics, pick_boundaries
from shapeloss.metrics import suppression_report


@torch.no_grad()
def best_thresholds(probs: np.ndarray, data, args) -> dict[str, float]:
    """Per boundary, the threshold of ``args.sweep`` with the highest F1 on ``data`` (validation)."""
    best = {name: (-1.0, 0.5) for name in BOUNDARIES}
    for th in args.sweep:
        picks = [pick_boundaries(probs[i], None, threshold=th, distance=args.distance) for i in range(len(probs))]
        m = delineation_metrics(picks, data.boundaries, sampling_rate=data.sampling_rate, tolerance_ms=150.0,
                                spans=data.spans)
        for name in BOUNDARIES:
            if m[name]["f1"] > best[name][0]:
                best[name] = (m[name]["f1"], th)
    return {name: th for name, (_, th) in best.items()}


def evaluate(probs: np.ndarray, test, args, thresholds: dict[str, float] | None = None) -> dict:
    mask = test.masks[:, None, :]
    picks = [pick_boundaries(probs[i], None, threshold=args.threshold, distance=args.distance)
             for i in range(len(probs))]
    delin = delineation_metrics(picks, test.boundaries, sampling_rate=test.sampling_rate, tolerance_ms=150.0,
                                 spans=test.spans)
    rep = suppression_report(probs * mask, test.targets * mask, threshold=0.7, band=(0.3, 0.7), tolerance=10,
                             channel_names=list(BOUNDARIES))
    # F1 at the threshold chosen per boundary on the validation records: a
    # suppressed-but-well-placed boundary scores there, a missed one does not.
    if thresholds is not None:
        picks_t = [pick_boundaries(probs[i], None, threshold=0.5, distance=args.distance)
                   for i in range(len(probs))]
        for c, name in enumerate(BOUNDARIES):
            th = thresholds[name]
            for i in range(len(probs)):
                picks_t[i][c] = pick_boundaries(probs[i, c : c + 1], None, threshold=th,
                                                distance=args.distance)[0]
        tuned = delineation_metrics(picks_t, test.boundaries, sampling_rate=test.sampling_rate, tolerance_ms=150.0,
                                    spans=test.spans)
        for name in BOUNDARIES:
            delin[name]["f1_val_threshold"] = tuned[name]["f1"]
            delin[name]["val_threshold"] = thresholds[name]
    for c, name in enumerate(BOUNDARIES):
        delin[name]["n_labels"] = int(rep.n_labels[c])
        delin[name]["effective_share"] = float(rep.effective_share[c])
        delin[name]["band_share"] = float(rep.band_share[c])
        delin[name]["median_peak_height"] = float(np.median(rep.heights[c])) if len(rep.heights[c]) else math.nan
    return delin


def summarise(results: dict) -> dict:
    table = {}
    for arm, runs in results.items():
        table[arm] = {}
        for name in BOUNDARIES:
            row = {}
            for key in ("f1", "sensitivity", "ppv", "error_mean_ms", "error_std_ms", "effective_share", "band_share",
                        "f1_val_threshold", "val_threshold"):
                vals = np.array([np.nan if r[name][key] is None else r[name][key] for r in runs], float)
                ok = np.isfinite(vals)
                row[key] = {"mean": float(vals[ok].mean()) if ok.any() else None,
                            "std": float(vals[ok].std()) if ok.any() else None}
            table[arm][name] = row
    return table


def print_table(table: dict, title: str) -> None:
    print(f"\n{title}")
    keys = ("f1", "sensitivity", "ppv", "error_mean_ms", "error_std_ms", "effective_share", "band_share",
            "f1_val_threshold", "val_threshold")
    print("| boundary | arm | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 2) + "|")
    for name in BOUNDARIES:
        for arm in table:
            cells = []
            for k in keys:
                m = table[arm][name][k]["mean"]
                cells.append("n/a" if m is None else f"{m:.3f}" if abs(m) < 10 else f"{m:.1f}")
            print(f"| {name} | {arm} | " + " | ".join(cells) + " |")
