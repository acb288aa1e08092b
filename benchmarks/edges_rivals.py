"""Rival arms and the threshold-free measures of the synthetic-edge benchmark.

Kept apart from ``synthetic_edges.py`` so that file does not grow:

- ``RIVALS``: benchmark arm name -> (dims it applies to, the class of
  :mod:`shapeloss.edges.rivals` behind it). Each is BCE + ``--rival-weight``
  (1, set once, not tuned) times the library's shape term.
- :func:`tuned_1d` / :func:`tuned_2d`: F1 at the threshold that maximises F1 on
  separate validation data (so a fixed-threshold gain and a detection gain can
  be told apart), the best F1 over thresholds on the test set and the average
  precision (both threshold-free), the timing residual (1D) and the boundary
  Hausdorff distance at the tuned threshold.
- :func:`summarise`: per arm and metric, the mean, the spread and the 95 %
  Student-t interval of the mean over seeds, and the per-seed values.
"""

from __future__ import annotations

import math

import numpy as np
from torch import nn

from shapeloss.edges import boundary_f1, boundary_hausdorff
from shapeloss.edges import rivals as _rivals
from shapeloss.metrics import pick_metrics, threshold_sweep

RIVALS = {
    "soft_dtw": ((1,), "SoftDTWLoss"),
    "hausdorff_dt": ((2,), "HausdorffDTLoss"),
    "hausdorff_er": ((2,), "HausdorffERLoss"),
    "cldice": ((2,), "SoftclDiceLoss"),
}
THRESHOLDS = np.round(np.arange(0.05, 1.0, 0.05), 2)
# two-sided 95 % Student-t quantiles by degrees of freedom (scipy.stats.t.ppf(0.975, df))
_T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def rival_loss(arm: str, dims: int, weight: float) -> nn.Module:
    """The loss module of rival ``arm`` for ``dims``-D data."""
    applies, name = RIVALS[arm]
    if dims not in applies:
        raise ValueError(f"arm {arm!r}: defined for {applies}-D data, got {dims}-D")
    return getattr(_rivals, name)(weight)


def rival_available(arm: str) -> tuple[bool, str]:
    return _rivals.rival_available(RIVALS[arm][1])


def average_precision(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the precision-recall steps of a threshold sweep (thresholds ascending).

    Recall grows as the threshold falls; each step in recall is weighted by the
    precision reached there. Thresholds with no prediction (nan precision) add nothing.
    """
    p = np.nan_to_num(np.asarray(precision, float)[::-1])
    r = np.nan_to_num(np.asarray(recall, float)[::-1])
    r = np.maximum.accumulate(r)
    return float(np.sum(np.diff(np.concatenate([[0.0], r])) * p))


def _best(f1: np.ndarray) -> tuple[float, float]:
    f1 = np.nan_to_num(np.asarray(f1, float), nan=-1.0)
    i = int(np.argmax(f1))
    return float(THRESHOLDS[i]), float(max(f1[i], 0.0))


def tuned_1d(val_probs, val_labels, probs, labels, true_onsets, length: int) -> dict:
    """1D picks: one pick per signal (distance = length), tolerance 10 samples."""
    kw = dict(tolerance=10, distance=length)
    threshold, val_f1 = _best(threshold_sweep(val_probs, val_labels, THRESHOLDS, **kw)["0"]["f1"])
    sweep = threshold_sweep(probs, labels, THRESHOLDS, **kw)["0"]
    at = pick_metrics(probs, labels, threshold=threshold, **kw)["0"]
    onset = np.zeros_like(probs)
    onset[np.arange(len(probs)), 0, np.clip(np.round(true_onsets).astype(int), 0, length - 1)] = 1
    hd = boundary_hausdorff(probs, onset, threshold=threshold, percentile=100)[:, 0]
    return {
        "threshold": threshold,
        "val_f1": val_f1,
        "f1": at["f1"],
        "residual_mean": at["residual_mean"],
        "residual_std": at["residual_std"],
        "best_f1": _best(sweep["f1"])[1],
        "average_precision": average_precision(sweep["precision"], sweep["recall"]),
        "hausdorff_median": float(np.nanmedian(hd)) if np.isfinite(hd).any() else math.nan,
        "hausdorff_missing_share": float(np.mean(np.isnan(hd))),
    }


def tuned_2d(val_probs, val_bounds, probs, bounds, tolerance: int) -> dict:
    """2D boundaries, per channel (strong, faint): tuned F1, best F1, AP and HD95 (pixels)."""
    def sweep(p, b):
        rows = [boundary_f1(p, b, threshold=float(t), tolerance=tolerance) for t in THRESHOLDS]
        return {k: np.stack([r[k] for r in rows], axis=1) for k in ("precision", "recall", "f1")}

    val, test = sweep(val_probs, val_bounds), sweep(probs, bounds)
    out = {}
    for c, name in enumerate(("strong", "faint")):
        threshold, val_f1 = _best(val["f1"][c])
        i = int(np.flatnonzero(THRESHOLDS == threshold)[0])
        hd = boundary_hausdorff(probs[:, c : c + 1], bounds[:, c : c + 1], threshold=threshold, percentile=95)[:, 0]
        out[name] = {
            "threshold": threshold,
            "val_f1": val_f1,
            "f1": float(test["f1"][c, i]),
            "precision": float(test["precision"][c, i]),
            "recall": float(test["recall"][c, i]),
            "best_f1": _best(test["f1"][c])[1],
            "average_precision": average_precision(test["precision"][c], test["recall"][c]),
            "hd95_median": float(np.nanmedian(hd)) if np.isfinite(hd).any() else math.nan,
            "hd95_missing_share": float(np.mean(np.isnan(hd))),
        }
    return out


def interval(values) -> dict:
    """Mean, standard deviation (ddof 1) and 95 % Student-t interval of the mean; None where undefined."""
    v = np.array([np.nan if x is None else x for x in values], float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"mean": None, "std": None, "low": None, "high": None, "n": 0}
    mean = float(v.mean())
    if v.size == 1:
        return {"mean": mean, "std": None, "low": None, "high": None, "n": 1}
    std = float(v.std(ddof=1))
    half = _T975.get(v.size - 1, 1.96) * std / math.sqrt(v.size)
    return {"mean": mean, "std": std, "low": mean - half, "high": mean + half, "n": int(v.size)}


def summarise(results: dict, *keys: tuple[str, ...]) -> dict:
    """``{arm: {"group.key": interval(...) + per-seed values}}`` over the seeds of each arm."""
    table = {}
    for arm, runs in results.items():
        row = {}
        for path in keys:
            vals = []
            for r in runs:
                x = r
                for k in path:
                    x = x.get(k) if isinstance(x, dict) else None
                vals.append(x)
            row[".".join(path)] = {**interval(vals), "values": vals}
        table[arm] = row
    return table


def print_table(title: str, table: dict) -> None:
    arms = [a for a in table if isinstance(table[a], dict)]
    cols = list(table[arms[0]])
    print(f"\n{title}")
    print("| arm | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for arm in arms:
        cells = []
        for c in cols:
            m, lo, hi = table[arm][c]["mean"], table[arm][c].get("low"), table[arm][c].get("high")
            spec = ".3f" if m is None or abs(m) < 10 else ".1f"
            cells.append("n/a" if m is None else f"{m:{spec}}" + ("" if lo is None else f" [{lo:{spec}}, {hi:{spec}}]"))
        print(f"| {arm} | " + " | ".join(cells) + " |")
    for k, v in table.items():
        if not isinstance(v, dict):
            print(f"{k}: {v:.3f}" if math.isfinite(v) else f"{k}: undefined")
