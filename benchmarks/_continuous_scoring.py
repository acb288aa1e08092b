"""Scores of benchmarks/seismic_continuous.py: operating points per arm, paired differences, transfer, verdict.

Counts are pooled over seeds (each seed's picker on that seed's records; a group is one record),
so the bootstrap resamples records of every seed; the per-seed values show the spread. Threshold
transfer chooses each seed's threshold on that seed's source records and averages the F1 lost
over seeds (records resampled within each seed).
"""

from __future__ import annotations

import math

import numpy as np

from shapeloss.operating_points import (
    bootstrap_operating_points,
    bootstrap_transfer,
    compare_operating_points,
    concat_counts,
    count_picks,
    operating_points,
    pr_curve,
)

TOLERANCES = {"0.1s": 10, "0.5s": 50}
SAMPLES_PER_HOUR = 360000.0
SETTINGS = dict(f1_at=(0.5, 0.7), precision=0.9, recall=0.8, near_best=0.02, rate_scale=SAMPLES_PER_HOUR)
#: Measures that do not depend on where the scores sit (a monotone recalibration leaves them).
THRESHOLD_FREE = ("pr_auc", "recall_at_precision", "best_f1")
MOONSHOT_RELATIVE = 0.10


def _r(x: float, digits: int = 4):
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def _rounded(d: dict) -> dict:
    return {k: ({kk: _r(vv) for kk, vv in v.items()} if isinstance(v, dict) else _r(v)) for k, v in d.items()}


def counts_of(picks: list[dict], record_set, catalogue: str, phase: str, tolerance: int, grid: np.ndarray):
    groups = record_set.groups
    return count_picks([p[phase][0] for p in picks], [p[phase][1] for p in picks],
                       [g.catalogues[catalogue][phase] for g in groups], grid, tolerance,
                       noise_intervals=[g.noise for g in groups])


def score(cands: dict, sets: dict, arms: list[str], baseline: str | None, source: str | None,
          grid: np.ndarray, n_boot: int, progress=None, curves_for: tuple[str, ...] = ()) -> dict:
    """``cands[seed][arm][set]``: picks per group; ``sets[seed][set]``: the record sets; PR curves
    are kept for the source set and the sets in ``curves_for`` (3 decimals)."""
    seeds = sorted(cands)
    names = list(sets[seeds[0]])
    out = {"sets": {}, "transfer": {}}
    counts: dict = {}
    for name in names:
        for cat in sets[seeds[0]][name].groups[0].catalogues:
            for phase in ("P", "S"):
                for tol_name, tol in TOLERANCES.items():
                    key = (name, cat, phase, tol_name)
                    counts[key] = {arm: [counts_of(cands[s][arm][name], sets[s][name], cat, phase, tol, grid) for s in seeds]
                                   for arm in arms}
                    if progress:
                        progress.update(1)
                    entry = {}
                    for arm in arms:
                        pooled = concat_counts(counts[key][arm])
                        curve = pr_curve(pooled)
                        entry[arm] = {
                            "measures": _rounded(bootstrap_operating_points(pooled, n_boot=n_boot, seed=0, **SETTINGS)),
                            "per_seed": {str(s): _rounded(operating_points(c, **SETTINGS)) for s, c in zip(seeds, counts[key][arm])},
                        }
                        if name == source or name in curves_for:
                            entry[arm]["curve"] = {k: [_r(v, 3) for v in curve[k]] for k in ("precision", "recall", "f1")}
                        if baseline and arm != baseline:
                            entry[arm]["vs_baseline"] = _rounded(compare_operating_points(
                                concat_counts(counts[key][baseline]), pooled, n_boot=n_boot, seed=0, **SETTINGS))
                    out["sets"].setdefault(name, {}).setdefault(cat, {}).setdefault(phase, {})[tol_name] = entry
    if source is not None:
        for (name, cat, phase, tol_name), by_arm in counts.items():
            src_key = (source, cat if (source, cat, phase, tol_name) in counts else "analyst", phase, tol_name)
            if name == source or src_key not in counts:
                continue
            entry = {}
            for arm in arms:
                entry[arm] = _rounded(bootstrap_transfer(counts[src_key][arm], by_arm[arm], n_boot=n_boot, seed=0))
                if baseline and arm != baseline:
                    entry[arm]["vs_baseline"] = _rounded(bootstrap_transfer(
                        counts[src_key][arm], by_arm[arm], n_boot=n_boot, seed=0,
                        baseline=(counts[src_key][baseline], by_arm[baseline])))
            out["transfer"].setdefault(name, {}).setdefault(cat, {}).setdefault(phase, {})[tol_name] = entry
    return out


def _call(diff: dict, base_value: float | None) -> dict:
    """gain / loss / tie of a paired difference (higher is better) by its 95 % interval."""
    value, low, high = diff["value"], diff["low"], diff["high"]
    if value is None or low is None or high is None:
        return {"difference": value, "ci95": [low, high], "relative": None, "call": "n/a", "moonshot": False}
    call = "gain" if low > 0 else "loss" if high < 0 else "tie"
    rel = value / base_value if base_value else None
    return {"difference": value, "ci95": [low, high], "relative": _r(rel) if rel is not None else None, "call": call,
            "moonshot": bool(call == "gain" and rel is not None and rel >= MOONSHOT_RELATIVE)}


def verdict(scores: dict, arms: list[str], baseline: str, main_set: str) -> dict:
    """For every arm against the baseline: threshold-free measures on ``main_set`` and the F1 at a
    transferred threshold on every other set, as gain / tie / loss (95 % interval of the paired
    difference excluding 0) and whether the gain is the moonshot's 10 % relative."""
    out = {}
    for arm in arms:
        if arm == baseline:
            continue
        rows = []
        for cat, by_phase in scores["sets"].get(main_set, {}).items():
            for phase, by_tol in by_phase.items():
                for tol, entry in by_tol.items():
                    for m in THRESHOLD_FREE:
                        rows.append({"measure": m, "set": main_set, "catalogue": cat, "phase": phase, "tolerance": tol,
                                     **_call(entry[arm]["vs_baseline"][m], entry[baseline]["measures"][m]["value"])})
        for name, by_cat in scores["transfer"].items():
            for cat, by_phase in by_cat.items():
                for phase, by_tol in by_phase.items():
                    for tol, entry in by_tol.items():
                        rows.append({"measure": "f1_at_transferred_threshold", "set": name, "catalogue": cat, "phase": phase,
                                     "tolerance": tol, **_call(entry[arm]["vs_baseline"]["target_f1_at_source_threshold"],
                                                               entry[baseline]["target_f1_at_source_threshold"]["value"])})
        out[arm] = {"rows": rows, "gains": sum(r["call"] == "gain" for r in rows), "losses": sum(r["call"] == "loss" for r in rows),
                    "ties": sum(r["call"] == "tie" for r in rows), "moonshot_rows": sum(r.get("moonshot", False) for r in rows)}
    return out
