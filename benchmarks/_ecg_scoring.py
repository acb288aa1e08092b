"""Counts and threshold-free measures of ECG boundary picks, per record, over a threshold grid.

:func:`boundary_counts` matches each lead's picks to its annotations (150 ms, one to one, closest
pairs first, as :func:`shapeloss.ecg.delineation_metrics`; an unmatched pick is a false positive
only inside the annotated span) at every threshold of a grid, from one peak search per lead and
boundary: the picks at a threshold are the picks at the lowest one that reach it (a higher peak
within ``distance`` that suppressed a lower one is still there at any threshold the lower one
passes). Counts are summed per record (the bootstrap unit: a record's twelve leads share one
heart). The measures (best F1 over thresholds, PR-AUC, F1 at the validation-tuned threshold,
paired gains) are :mod:`seismic_threshold_free`'s, so the ECG and seismic tables read alike.
"""

from __future__ import annotations

import math

import numpy as np

from shapeloss.ecg import BOUNDARIES
from shapeloss.ecg.dataset import LeadSet
from shapeloss.errors import ShapeMismatchError
from shapeloss.metrics import find_peaks_batch, match_peaks_grouped

#: Pick thresholds of the grid (0.02 to 0.98): a post-hoc map moves outputs across it.
THRESHOLDS = np.round(np.arange(0.02, 0.99, 0.02), 2)
LIMB = ("i", "ii", "iii", "avr", "avl", "avf")
CHEST = ("v1", "v2", "v3", "v4", "v5", "v6")


def tolerance_samples(data: LeadSet, tolerance_ms: float = 150.0) -> int:
    return int(math.floor(tolerance_ms * data.sampling_rate / 1000.0 + 1e-9))


def _channel(probs: np.ndarray, data: LeadSet, c: int, distance: int):
    row, pos, val = find_peaks_batch(probs[:, c], 0.0, distance)
    lab = [np.asarray(b[c], dtype=np.int64) for b in data.boundaries]
    lg = np.concatenate([np.full(len(a), i, dtype=np.int64) for i, a in enumerate(lab)])
    lp = np.concatenate(lab) if lab else np.zeros(0, dtype=np.int64)
    return row, pos, val, lg, lp


def _match(row, pos, lg, lp, n, spans, tol):
    """Per lead tp, fp (unmatched inside the span), fn, and the matched (lead, pick - label) pairs."""
    pi, li = match_peaks_grouped(row, pos, lg, lp, tol)
    tp = np.bincount(row[pi], minlength=n)
    un = np.ones(row.size, bool)
    un[pi] = False
    inside = (pos >= spans[row, 0]) & (pos < spans[row, 1])
    fp = np.bincount(row[un & inside], minlength=n)
    fn = np.bincount(lg, minlength=n) - tp
    return tp, fp, fn, row[pi], pos[pi] - lp[li]


def boundary_counts(probs: np.ndarray, data: LeadSet, distance: int = 100, thresholds: np.ndarray = THRESHOLDS,
                    tolerance_ms: float = 150.0) -> np.ndarray:
    """``(n_leads, 6, T, 3)`` int64 tp, fp, fn of each lead's picks at each threshold."""
    n = len(data)
    if probs.shape[:2] != (n, len(BOUNDARIES)) or probs.shape[2] != data.signals.shape[1]:
        raise ShapeMismatchError(f"probs: expected shape ({n}, {len(BOUNDARIES)}, {data.signals.shape[1]}), got {probs.shape}")
    tol = tolerance_samples(data, tolerance_ms)
    out = np.zeros((n, len(BOUNDARIES), thresholds.size, 3), dtype=np.int64)
    for c in range(len(BOUNDARIES)):
        row, pos, val, lg, lp = _channel(probs, data, c, distance)
        for j, t in enumerate(thresholds):
            keep = val >= t
            tp, fp, fn, _, _ = _match(row[keep], pos[keep], lg, lp, n, data.spans, tol)
            out[:, c, j] = np.stack([tp, fp, fn], axis=1)
    return out


def timing_errors(probs: np.ndarray, data: LeadSet, thresholds: dict[str, float], distance: int = 100,
                  tolerance_ms: float = 150.0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per boundary, ``(lead index, error ms)`` of every matched pick at that boundary's threshold."""
    tol = tolerance_samples(data, tolerance_ms)
    out = {}
    for c, name in enumerate(BOUNDARIES):
        row, pos, val, lg, lp = _channel(probs, data, c, distance)
        keep = val >= thresholds[name]
        *_, lead, err = _match(row[keep], pos[keep], lg, lp, len(data), data.spans, tol)
        out[name] = (lead, err * 1000.0 / data.sampling_rate)
    return out


def record_units(data: LeadSet, leads: tuple[str, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(row index of each kept lead, its record unit 0..R-1)``, keeping ``leads`` (all if None)."""
    rows = np.array([i for i, ld in enumerate(data.leads) if leads is None or ld in leads], dtype=np.int64)
    ids = {r: k for k, r in enumerate(dict.fromkeys(data.records[i] for i in rows))}
    return rows, np.array([ids[data.records[i]] for i in rows], dtype=np.int64)


def per_record(counts: np.ndarray, data: LeadSet, leads: tuple[str, ...] | None = None) -> np.ndarray:
    """Lead counts ``(N, 6, T, 3)`` summed per record: ``(R, 6, T, 3)``, only ``leads`` counted."""
    rows, units = record_units(data, leads)
    out = np.zeros((int(units.max()) + 1 if units.size else 0,) + counts.shape[1:], dtype=np.int64)
    np.add.at(out, units, counts[rows])
    return out


def f1_curve(counts: np.ndarray) -> np.ndarray:
    """F1 over thresholds of summed counts ``(..., T, 3)`` (-1 where undefined)."""
    tp, fp, fn = (counts[..., k].astype(np.float64) for k in range(3))
    d = 2 * tp + fp + fn
    return np.where(d > 0, 2 * tp / np.maximum(d, 1), -1.0)


def best_index(counts: np.ndarray) -> int:
    """Index of the threshold with the best pooled F1 (counts ``(U, T, 3)`` or ``(T, 3)``)."""
    c = counts.sum(axis=0) if counts.ndim == 3 else counts
    return int(np.argmax(f1_curve(c)))


def transfer_loss(source: np.ndarray, target: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """F1 lost on ``target`` units ``(U, T, 3)`` at the threshold best on ``source`` against the oracle
    (best on the target itself), with a 95 % bootstrap interval over target units; the source's
    threshold index may be one per target unit (``source`` then ``(U,)`` int)."""
    src = np.asarray(source)
    idx = src if src.ndim == 1 else np.full(target.shape[0], best_index(src))
    rng = np.random.default_rng(seed)
    w = np.concatenate([np.ones((1, target.shape[0])),
                        rng.multinomial(target.shape[0], np.full(target.shape[0], 1 / target.shape[0]), size=n_boot)])
    summed = np.einsum("bu,utk->btk", w, target.astype(np.float64))
    at = np.einsum("bu,uk->bk", w, target[np.arange(target.shape[0]), idx].astype(np.float64))
    oracle = f1_curve(summed).max(axis=-1)
    tuned = f1_curve(at[:, None, :])[:, 0]
    loss = oracle - tuned
    ci = lambda v: [float(x) for x in np.quantile(v[1:], [0.025, 0.975])]  # noqa: E731
    return {"oracle_f1": float(oracle[0]), "transferred_f1": float(tuned[0]), "loss": float(loss[0]),
            "loss_ci95": ci(loss), "transferred_f1_ci95": ci(tuned)}
