"""Threshold-free picking measures for the seismic benchmark's arms, with bootstrap intervals.

For each phase, the picks of every window are counted (tp, fp, fn) at each threshold of a grid,
per bootstrap unit (a synthetic window or a real trace). The grid is the 2 %, 4 %, ..., 98 %
quantiles of the arm's best peak heights at the evaluation labels: recall falls in even steps along
it, and a strictly increasing map of the outputs (a calibration) moves the grid with the outputs,
so that every measure but the threshold width is unchanged by it. From summed counts:

* ``best_f1`` and its threshold; ``f1_at_dev``: F1 at the threshold that is best on the dev windows;
* ``recall_at_p90``: the highest recall over thresholds whose precision is at least 0.9;
* ``pr_auc``: area under the precision-recall points (average-precision steps from recall 0);
* ``near_best_width``: width of the contiguous threshold range whose F1 stays within 0.02 of the
  best (a threshold-robustness measure, not a detection measure).

Intervals: 95 % percentile bootstrap over units (pooled over seeds: each seed's units count
separately); a comparison of two arms resamples the same units for both (paired).
"""

from __future__ import annotations

import numpy as np

from shapeloss.metrics import threshold_counts

THRESHOLDS = np.round(np.arange(0.02, 0.99, 0.02), 2)
LEVELS = THRESHOLDS  # quantile levels of the threshold grid
MEASURES = ("best_f1", "f1_at_dev", "recall_at_p90", "pr_auc", "near_best_width")
NEAR_BEST = 0.02


def unit_counts(pred: np.ndarray, labels: np.ndarray, channel: int, units: np.ndarray, tolerance: int,
                distance: int, thresholds: np.ndarray = THRESHOLDS) -> np.ndarray:
    """``(n_units, n_thresholds, 3)`` int64 tp, fp, fn of one channel's picks, per unit."""
    # each window as a channel of one batch row: the pick counts come back per window
    p = pred[None, :, channel]
    y = labels[None, :, channel]
    per_window = threshold_counts(p, y, thresholds, tolerance, distance, label_threshold=0.5)
    n_units = int(units.max()) + 1 if units.size else 0
    out = np.zeros((n_units, thresholds.size, 3), dtype=np.int64)
    np.add.at(out, units, per_window)
    return out


def _rates(counts: np.ndarray):
    """precision, recall, f1 over thresholds from ``(..., T, 3)`` counts (nan where undefined)."""
    tp, fp, fn = (counts[..., k].astype(np.float64) for k in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)
    return precision, recall, f1


def measures(counts: np.ndarray, dev_index: np.ndarray | int, thresholds: np.ndarray = THRESHOLDS) -> dict[str, np.ndarray]:
    """Every measure from summed counts ``(..., T, 3)`` (leading axes: e.g. bootstrap resamples)."""
    precision, recall, f1 = _rates(counts)
    f1z = np.nan_to_num(f1, nan=-1.0)
    best = f1z.max(axis=-1)
    at_dev = np.take_along_axis(f1z, np.broadcast_to(np.asarray(dev_index), best.shape)[..., None], axis=-1)[..., 0]
    ok = np.nan_to_num(precision, nan=0.0) >= 0.9
    r90 = np.where(ok, np.nan_to_num(recall, nan=0.0), 0.0).max(axis=-1)
    # average precision: thresholds from high to low, recall steps times the precision reached there
    r = np.nan_to_num(recall[..., ::-1], nan=0.0)
    p = np.nan_to_num(precision[..., ::-1], nan=1.0)
    steps = np.diff(np.concatenate([np.zeros(r.shape[:-1] + (1,)), np.maximum.accumulate(r, axis=-1)], axis=-1), axis=-1)
    auc = (steps * p).sum(axis=-1)
    near = f1z >= (best[..., None] - NEAR_BEST)
    width = np.zeros(best.shape)
    arg = f1z.argmax(axis=-1)
    flat_near, flat_arg, flat_width = near.reshape(-1, near.shape[-1]), arg.reshape(-1), width.reshape(-1)
    for i in range(flat_arg.size):  # the contiguous run around the best threshold
        lo = hi = flat_arg[i]
        while lo > 0 and flat_near[i, lo - 1]:
            lo -= 1
        while hi < thresholds.size - 1 and flat_near[i, hi + 1]:
            hi += 1
        flat_width[i] = thresholds[hi] - thresholds[lo]
    return {"best_f1": best, "best_threshold": thresholds[arg], "f1_at_dev": at_dev, "recall_at_p90": r90,
            "pr_auc": auc, "near_best_width": flat_width.reshape(best.shape)}


def dev_best_index(dev_counts: np.ndarray) -> int:
    """Index of the threshold with the best F1 on the dev windows (summed counts ``(T, 3)``)."""
    _, _, f1 = _rates(dev_counts)
    return int(np.argmax(np.nan_to_num(f1, nan=-1.0)))


def _resamples(n_units: int, n_boot: int, seed: int) -> np.ndarray:
    """``(n_boot, n_units)`` how often each unit is drawn in each resample."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(np.float64)


def with_intervals(counts: np.ndarray, dev_index, n_boot: int = 1000, seed: int = 0,
                   thresholds: np.ndarray = THRESHOLDS) -> dict[str, dict]:
    """Each measure with a 95 % bootstrap interval over units; ``counts`` is ``(U, T, 3)``.

    ``dev_index`` is one index, or one per unit (pooled seeds: each seed's own dev threshold).
    """
    dev_index = np.asarray(dev_index)
    point = _measures_units(counts, dev_index, np.ones((1, counts.shape[0])), thresholds)
    boot = _measures_units(counts, dev_index, _resamples(counts.shape[0], n_boot, seed), thresholds)
    out = {}
    for k in point:
        low, high = np.nanquantile(boot[k], [0.025, 0.975])
        out[k] = {"value": float(point[k][0]), "ci95": [float(low), float(high)]}
    return out


def _measures_units(counts, dev_index, weights, thresholds):
    """Measures of weighted sums of units; a per-unit ``dev_index`` is summed F1-wise via counts."""
    summed = np.einsum("bu,utk->btk", weights, counts.astype(np.float64))
    if dev_index.ndim == 0:
        return measures(summed, int(dev_index), thresholds)
    # per-unit dev thresholds (pooled seeds): the counts at each unit's own threshold, summed
    at_dev = np.einsum("bu,uk->bk", weights, counts[np.arange(counts.shape[0]), dev_index].astype(np.float64))
    m = measures(summed, 0, thresholds)
    tp, fp, fn = at_dev[:, 0], at_dev[:, 1], at_dev[:, 2]
    m["f1_at_dev"] = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), np.nan)
    return m


def paired_gain(counts_a: np.ndarray, counts_b: np.ndarray, dev_a, dev_b, n_boot: int = 1000, seed: int = 0,
                thresholds: np.ndarray = THRESHOLDS) -> dict[str, dict]:
    """Relative gain ``a / b - 1`` of each measure, with a paired 95 % bootstrap interval."""
    dev_a, dev_b = np.asarray(dev_a), np.asarray(dev_b)
    w = np.concatenate([np.ones((1, counts_a.shape[0])), _resamples(counts_a.shape[0], n_boot, seed)])
    ta, tb = thresholds if isinstance(thresholds, tuple) else (thresholds, thresholds)
    ma = _measures_units(counts_a, dev_a, w, ta)
    mb = _measures_units(counts_b, dev_b, w, tb)
    out = {}
    for k in MEASURES:
        with np.errstate(invalid="ignore", divide="ignore"):
            g = ma[k] / mb[k] - 1.0
        finite = g[1:][np.isfinite(g[1:])]  # 0 / 0 resamples (no pick at all in either arm) left out
        low, high = np.quantile(finite, [0.025, 0.975]) if finite.size else (np.nan, np.nan)
        out[k] = {"gain": float(g[0]), "ci95": [float(low), float(high)]}
    return out


# --------------------------------------------------------------------------- per seed and pooled


def save_counts(path, pred, dev_pred, ev, dev, tolerance: int, distance: int, phases) -> None:
    """Per-unit counts of one arm on the evaluation windows (against the training-style labels and,
    where known, the true picks) and on the dev windows; written atomically."""
    import os
    from pathlib import Path

    from shapeloss.metrics import best_peak_near_labels

    arrays = {}
    for c, phase in enumerate(phases):
        heights = best_peak_near_labels(pred[:, c : c + 1], ev.labels[:, c : c + 1], tolerance).height
        grid = np.clip(np.quantile(heights, LEVELS) if heights.size else THRESHOLDS, 1e-6, 1.0)
        arrays[f"thresholds_{phase}"] = grid
        arrays[f"labels_{phase}"] = unit_counts(pred, ev.labels, c, ev.units, tolerance, distance, grid)
        if ev.truth is not None:
            arrays[f"truth_{phase}"] = unit_counts(pred, ev.truth, c, ev.units, tolerance, distance, grid)
        dev_counts = unit_counts(dev_pred, dev.labels, c, np.zeros(len(dev.labels), dtype=np.int64), tolerance, distance, grid)
        arrays[f"dev_index_{phase}"] = np.array(dev_best_index(dev_counts[0]))
    path = Path(path)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def _load(path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def seed_summary(path, phases, n_boot: int = 1000) -> dict:
    """``{reference: {phase: {measure: {"value", "ci95"}}}}`` for one seed's counts file."""
    z = _load(path)
    out = {}
    for ref in ("labels", "truth"):
        if f"{ref}_{phases[0]}" in z:
            out[ref] = {ph: with_intervals(z[f"{ref}_{ph}"], z[f"dev_index_{ph}"], n_boot, thresholds=z[f"thresholds_{ph}"])
                        for ph in phases}
    return out


def pooled(results: list[dict], phases, n_boot: int = 1000) -> dict:
    """Per schedule, pooled over seeds: every arm's measures with intervals, and each critic arm's
    paired relative gain over the best baseline (the baseline arm with the highest pooled value)."""
    from benchmarks.seismic_arms import BASELINES

    out = {}
    for schedule in sorted({r["schedule"] for r in results}):
        rs = [r for r in results if r["schedule"] == schedule and "counts_files" in r]
        arms = [a for a in rs[0]["counts_files"] if all(a in r["counts_files"] for r in rs)] if rs else []
        files = {a: [_load(r["counts_files"][a]) for r in rs] for a in arms}
        block = {"seeds": [r["seed"] for r in rs], "arms": {}, "gain_over_best_baseline": {}}
        for ref in ("labels", "truth"):
            if not arms or f"{ref}_{phases[0]}" not in files[arms[0]][0]:
                continue
            for ph in phases:
                counts = {a: np.concatenate([z[f"{ref}_{ph}"] for z in files[a]]) for a in arms}
                dev = {a: np.concatenate([np.full(z[f"{ref}_{ph}"].shape[0], int(z[f"dev_index_{ph}"])) for z in files[a]])
                       for a in arms}
                grid = {a: np.mean([z[f"thresholds_{ph}"] for z in files[a]], axis=0) for a in arms}  # level by level
                for a in arms:
                    block["arms"].setdefault(a, {}).setdefault(ref, {})[ph] = with_intervals(counts[a], dev[a], n_boot,
                                                                                            thresholds=grid[a])
                base = [a for a in arms if a in BASELINES]
                for a in (x for x in arms if x not in BASELINES):
                    gains, memo = {}, {}
                    for m in MEASURES:
                        best = max(base, key=lambda b: block["arms"][b][ref][ph][m]["value"])
                        if best not in memo:
                            memo[best] = paired_gain(counts[a], counts[best], dev[a], dev[best], n_boot,
                                                     thresholds=(grid[a], grid[best]))
                        gains[m] = dict(memo[best][m], baseline=best)
                    block["gain_over_best_baseline"].setdefault(a, {}).setdefault(ref, {})[ph] = gains
        out[schedule] = block
    return out


def print_table(pooled_result: dict, phases) -> None:
    """Pooled threshold-free measures per arm, then the critic arms' gains over the best baseline."""
    for schedule, block in pooled_result.items():
        for ref in ("labels", "truth"):
            rows = [(a, d[ref]) for a, d in block["arms"].items() if ref in d]
            if not rows:
                continue
            print(f"\n{schedule}, seeds {block['seeds']}, scored against the {'training-style labels' if ref == 'labels' else 'true picks'}")
            for ph in phases:
                print(f"  {ph}: {'arm':17} " + " ".join(f"{m:>24}" for m in MEASURES))
                for a, d in rows:
                    cells = [f"{d[ph][m]['value']:.3f} [{d[ph][m]['ci95'][0]:.3f}, {d[ph][m]['ci95'][1]:.3f}]" for m in MEASURES]
                    print(f"     {a:17} " + " ".join(f"{c:>24}" for c in cells))
            for a, g in block["gain_over_best_baseline"].items():
                if ref in g:
                    s = g[ref]["S"]
                    print(f"  {a} over the best baseline (S): " + "; ".join(
                        f"{m} {s[m]['gain']:+.1%} [{s[m]['ci95'][0]:+.1%}, {s[m]['ci95'][1]:+.1%}] vs {s[m]['baseline']}" for m in MEASURES))
