"""Scoring the seismic benchmark's arms on held-out windows: effective picks, the suppression band,
precision / recall / F1 at fixed and dev-chosen thresholds, per-unit hits for the bootstrap, and
the ratios between arms; plus the helpers that condense training curves and logs."""

from __future__ import annotations

import math

import numpy as np

from benchmarks._seismic_common import BAND, PHASES, PICK_DISTANCE, THRESHOLD, TOLERANCE
from benchmarks._seismic_data import EvalSet
from shapeloss.metrics import (
    best_peak_near_labels,
    bootstrap_ratio,
    pick_metrics,
    suppression_report,
    threshold_sweep,
)


def per_unit_hits(pred: np.ndarray, ev: EvalSet, channel: int) -> np.ndarray:
    """Effective picks of one phase summed per bootstrap unit (window or trace)."""
    near = best_peak_near_labels(pred[:, channel : channel + 1], ev.labels[:, channel : channel + 1], TOLERANCE)
    per_window = np.bincount(near.batch[near.height >= THRESHOLD], minlength=len(ev.inputs))
    return np.bincount(ev.units, weights=per_window).astype(np.int64)


def evaluate(pred: np.ndarray, dev_pred: np.ndarray, ev: EvalSet, dev: EvalSet) -> dict:
    """Everything the table and the JSON report for one arm."""
    report = suppression_report(pred[:, :2], ev.labels[:, :2], THRESHOLD, BAND, TOLERANCE, channel_names=PHASES)
    out = {"suppression": report.to_dict(), "phases": {}}
    picks05 = pick_metrics(pred[:, :2], ev.labels[:, :2], 0.5, TOLERANCE, PICK_DISTANCE, channel_names=PHASES)
    picks07 = pick_metrics(pred[:, :2], ev.labels[:, :2], 0.7, TOLERANCE, PICK_DISTANCE, channel_names=PHASES)
    sweep_dev = threshold_sweep(dev_pred[:, :2], dev.labels[:, :2], tolerance=TOLERANCE, distance=PICK_DISTANCE, channel_names=PHASES)
    sweep = threshold_sweep(pred[:, :2], ev.labels[:, :2], tolerance=TOLERANCE, distance=PICK_DISTANCE, channel_names=PHASES)
    for c, phase in enumerate(PHASES):
        f1_dev = np.nan_to_num(sweep_dev[phase]["f1"], nan=-1.0)
        best = float(sweep_dev[phase]["thresholds"][int(np.argmax(f1_dev))])
        at_best = pick_metrics(pred[:, c : c + 1], ev.labels[:, c : c + 1], best, TOLERANCE, PICK_DISTANCE)["0"]
        heights = report.heights[c]
        out["phases"][phase] = {
            "n_labels": int(report.n_labels[c]),
            "effective": int(report.effective[c]),
            "effective_share": float(report.effective_share[c]),
            "band_share": float(report.band_share[c]),
            "median_height": float(np.median(heights)) if heights.size else None,
            "at_0.5": picks05[phase],
            "at_0.7": picks07[phase],
            "dev_threshold": best,
            "at_dev_threshold": at_best,
            "sweep": {k: [None if not math.isfinite(v) else float(v) for v in sweep[phase][k]] for k in sweep[phase]},
        }
    for name, mask in ev.subsets.items():
        if mask.any():
            sub = suppression_report(pred[mask][:, 1:2], ev.labels[mask][:, 1:2], THRESHOLD, BAND, TOLERANCE)
            out.setdefault("subsets", {})[name] = {
                "n_labels": int(sub.n_labels[0]), "effective": int(sub.effective[0]),
                "effective_share": float(sub.effective_share[0]), "band_share": float(sub.band_share[0]),
                "median_height": float(np.median(sub.heights[0])) if sub.heights[0].size else None,
            }
    out["hits"] = {phase: per_unit_hits(pred, ev, c).tolist() for c, phase in enumerate(PHASES)}
    return out


def steps_to_half(curve: list[dict], key: str) -> int | None:
    """First step at which ``key`` reaches half of its final value (the end of an early plateau)."""
    if not curve or not curve[-1].get(key):
        return None
    half = 0.5 * curve[-1][key]
    return next((int(r["step"]) for r in curve if r[key] >= half), None)


def compare(bce: dict, sl: dict) -> dict:
    """Ratios ShapeLoss / BCE of effective picks with 95 % bootstrap intervals over units."""
    out = {}
    for phase in PHASES:
        ratio, low, high = bootstrap_ratio(sl["hits"][phase], bce["hits"][phase], n_boot=2000, seed=0)
        b, s = bce["phases"][phase], sl["phases"][phase]
        out[phase] = {
            "effective_ratio": ratio, "ci95": [low, high],
            "band_share_ratio": (s["band_share"] / b["band_share"]) if b["band_share"] else None,
        }
    return out


def thin(rows: list[dict], n: int) -> list[dict]:
    """About ``n`` rows, each the mean of a block of consecutive steps (keeps the curve readable)."""
    if len(rows) <= n:
        return rows
    size = int(math.ceil(len(rows) / n))
    out = []
    for i in range(0, len(rows), size):
        block = rows[i : i + size]
        keys = {k for r in block for k in r if isinstance(r[k], (int, float))}
        out.append({k: float(np.mean([r[k] for r in block if k in r])) for k in keys})
        out[-1]["step"] = int(block[-1]["step"])
    return out
