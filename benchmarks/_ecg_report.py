"""Pooled measures of the ECG decision benchmark, with paired 95 % bootstrap intervals.

Units are (seed, test record) pairs: every seed's records count separately, and one set of
resampling weights serves every arm and boundary, so differences between arms are paired and the
means over the six boundaries ("macro") get intervals too. Per arm and boundary:

* ``best_f1``, ``pr_auc``, ``f1_at_dev`` (F1 at the threshold tuned on the validation records,
  each seed its own), ``f1_fixed`` (F1 at 0.5; for ``bce_tuned``, at its validation threshold);
* ``error_mean_ms``, ``error_std_ms``: timing error of the matched picks at the validation threshold;
* ``transfer_<from>_to_<to>``: F1 lost on the test records' ``to`` leads at the threshold tuned on
  the validation records' ``from`` leads, against the oracle threshold (limb and chest leads).

``gains``: ShapeLoss minus the best baseline (the baseline with the best point value) per boundary
and measure, with the paired interval.
``decision``: per situation, the measure averaged over the six boundaries, every arm, and the
cheapest arm whose interval reaches the best value.
"""

from __future__ import annotations

import numpy as np

from _ecg_arms import ALL_ARMS, BASELINES
from _ecg_scoring import THRESHOLDS, f1_curve
from seismic_threshold_free import _measures_units
from shapeloss.ecg import BOUNDARIES

HIGHER = ("best_f1", "pr_auc", "f1_at_dev", "f1_fixed")
LOWER = ("error_std_ms", "transfer_limb_to_chest", "transfer_chest_to_limb")
SITUATIONS = (
    ("f1_fixed", "one fixed threshold (0.5): F1"),
    ("f1_at_dev", "threshold tuned on validation records: F1"),
    ("best_f1", "threshold-free: best F1 over thresholds"),
    ("pr_auc", "threshold-free: PR-AUC"),
    ("error_std_ms", "timing precision: error std (ms, lower is better)"),
    ("transfer_limb_to_chest", "threshold tuned on limb leads, used on chest leads: F1 lost (lower is better)"),
)


def _weights(n_units: int, n_boot: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    boot = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(np.float64)
    return np.concatenate([np.ones((1, n_units)), boot])


def _cat(runs: dict, arm: str, key, sub=None) -> np.ndarray:
    parts = []
    for r in runs.values():
        d = r["arms"][arm][key]
        parts.append(d if sub is None else d[sub])
    return np.concatenate(parts)


def _per_unit_index(runs: dict, arm: str, key: str, sub: str | None, n_units_key: str = "all") -> np.ndarray:
    """``(U, 6)`` a per-seed threshold index repeated over that seed's units."""
    rows = []
    for r in runs.values():
        a = r["arms"][arm]
        idx = a[key] if sub is None else a[key][sub]
        rows.append(np.repeat(np.asarray(idx)[None, :], a["test"][n_units_key].shape[0], axis=0))
    return np.concatenate(rows)


def _at(counts: np.ndarray, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
    """F1 over resamples of the counts at a per-unit threshold index; counts ``(U, T, 3)``."""
    at = np.einsum("bu,uk->bk", w, counts[np.arange(counts.shape[0]), idx].astype(np.float64))
    return f1_curve(at[:, None, :])[:, 0]


def _transfer_draws(target: np.ndarray, idx: np.ndarray, w: np.ndarray, sizes: list[int]) -> np.ndarray:
    """``(n_boot + 1, 6)`` F1 lost at the transferred threshold against each seed's own oracle
    threshold (re-chosen in every resample); counts of the seeds' units summed at their thresholds."""
    draws = np.zeros((w.shape[0], 6))
    edges = np.cumsum([0] + sizes)
    for c in range(6):
        oracle = np.zeros((w.shape[0], 3))
        moved = np.zeros((w.shape[0], 3))
        for a, b in zip(edges[:-1], edges[1:]):
            summed = np.einsum("bu,utk->btk", w[:, a:b], target[a:b, c].astype(np.float64))
            best = f1_curve(summed).argmax(axis=-1)
            oracle += summed[np.arange(w.shape[0]), best]
            moved += summed[:, int(idx[a, c])]
        draws[:, c] = f1_curve(oracle[:, None, :])[:, 0] - f1_curve(moved[:, None, :])[:, 0]
    return draws


def arm_draws(runs: dict, arm: str, w_all: np.ndarray, w_chest: np.ndarray | None, w_limb: np.ndarray | None) -> dict:
    """``{measure: (n_boot + 1, 6)}`` draws (row 0: the point value) of one arm."""
    counts = _cat(runs, arm, "test", "all")
    dev = _per_unit_index(runs, arm, "dev_index", None)
    fixed = _per_unit_index(runs, arm, "fixed_index", None)
    timing = _cat(runs, arm, "timing")
    out = {k: np.zeros((w_all.shape[0], 6)) for k in HIGHER + ("error_mean_ms", "error_std_ms")}
    for c in range(6):
        m = _measures_units(counts[:, c], dev[:, c], w_all, THRESHOLDS)
        for k in ("best_f1", "pr_auc", "f1_at_dev"):
            out[k][:, c] = m[k]
        out["f1_fixed"][:, c] = _at(counts[:, c], fixed[:, c], w_all)
        n, s, ss = (w_all @ timing[:, c, k] for k in range(3))
        mean = s / np.maximum(n, 1)
        out["error_mean_ms"][:, c] = mean
        out["error_std_ms"][:, c] = np.sqrt(np.maximum(ss / np.maximum(n, 1) - mean**2, 0.0))
    if w_chest is not None:
        for src, tgt, w in (("limb", "chest", w_chest), ("chest", "limb", w_limb)):
            target = _cat(runs, arm, "test", tgt)
            idx = _per_unit_index(runs, arm, "transfer_index", src, tgt)
            sizes = [r["arms"][arm]["test"][tgt].shape[0] for r in runs.values()]
            out[f"transfer_{src}_to_{tgt}"] = _transfer_draws(target, idx, w, sizes)
    return out


def _summary(d: np.ndarray) -> dict:
    lo, hi = np.nanquantile(d[1:], [0.025, 0.975])
    return {"value": float(d[0]), "ci95": [float(lo), float(hi)]}


def pooled(runs: dict, n_boot: int = 1000) -> dict:
    """Every arm's measures per boundary and macro, ShapeLoss's gains and the decision rows."""
    arms = [a for a in ALL_ARMS if all(a in r["arms"] for r in runs.values())]
    first = next(iter(runs.values()))["arms"][arms[0]]["test"]
    n_units = sum(r["arms"][arms[0]]["test"]["all"].shape[0] for r in runs.values())
    w_all = _weights(n_units, n_boot, 0)
    w_chest = w_limb = None
    if "chest" in first:
        w_chest = _weights(sum(r["arms"][arms[0]]["test"]["chest"].shape[0] for r in runs.values()), n_boot, 1)
        w_limb = _weights(sum(r["arms"][arms[0]]["test"]["limb"].shape[0] for r in runs.values()), n_boot, 2)
    draws = {a: arm_draws(runs, a, w_all, w_chest, w_limb) for a in arms}
    out: dict = {"seeds": [int(s) for s in runs], "n_units": n_units, "arms": {}, "gains": {}, "decision": []}
    for a, d in draws.items():
        out["arms"][a] = {k: {**{b: _summary(v[:, c]) for c, b in enumerate(BOUNDARIES)}, "macro": _summary(v.mean(axis=1))}
                          for k, v in d.items()}
    if "shapeloss" in draws:
        base = [a for a in arms if a in BASELINES]
        for k in draws["shapeloss"]:
            row = {}
            for c, b in enumerate(list(BOUNDARIES) + ["macro"]):
                get = (lambda a: draws[a][k][:, c]) if b != "macro" else (lambda a: draws[a][k].mean(axis=1))
                pick = max if k in HIGHER else min
                best = pick(base, key=lambda a: get(a)[0])
                diff = get("shapeloss") - get(best)
                row[b] = {"baseline": best, "difference": _summary(diff)}
            out["gains"][k] = row
    for key, label in SITUATIONS:
        if key not in draws[arms[0]]:
            continue
        vals = {a: out["arms"][a][key]["macro"] for a in arms}
        higher = key in HIGHER
        best = (max if higher else min)(arms, key=lambda a: vals[a]["value"])
        reach = [a for a in arms if (vals[a]["ci95"][1] >= vals[best]["value"] if higher else vals[a]["ci95"][0] <= vals[best]["value"])]
        out["decision"].append({"situation": label, "measure": key, "best": best, "choice": reach[0], "arms": vals})
    return out


def print_summary(summary: dict) -> None:
    print(f"\npooled over seeds {summary['seeds']} ({summary['n_units']} seed-record units); macro = mean over the 6 boundaries")
    for row in summary["decision"]:
        cells = "; ".join(f"{a} {v['value']:.4f} [{v['ci95'][0]:.4f}, {v['ci95'][1]:.4f}]" for a, v in row["arms"].items())
        print(f"- {row['situation']}: use {row['choice']} (best {row['best']}): {cells}")
    for k, row in summary["gains"].items():
        print(f"  shapeloss - best baseline, {k}: " + "; ".join(
            f"{b} {g['difference']['value']:+.4f} [{g['difference']['ci95'][0]:+.4f}, {g['difference']['ci95'][1]:+.4f}] vs {g['baseline']}"
            for b, g in row.items()))
