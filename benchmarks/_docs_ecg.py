"""Generated blocks of docs/ecg.md from the ECG decision benchmark (``benchmarks/results/ecg_decision.json``).

Each function takes the results folder and returns the block's markdown; ``DOCS`` names them for
``benchmarks/docs_tables.py``. Intervals are the JSON's ``pooled`` 95 % bootstrap intervals over
(seed, test record) units.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

NAME = "ecg_decision"
LONG = "ecg_literature_bce"  # the BCE arm alone, trained longer (one seed)
BOUNDARIES = ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off")
#: The issue's literature-level targets for BCE at validation-tuned thresholds (F1 at 150 ms).
TARGETS = {"P_on": 0.975, "P_off": 0.975, "QRS_on": 0.995, "QRS_off": 0.995, "T_on": 0.99, "T_off": 0.99}
ARM_NAMES = {"bce": "BCE", "bce_tuned": "BCE, validation-tuned threshold", "bce_calibrated": "BCE + power calibration",
             "widened": "BCE on widened labels", "weighted": "positive-weighted BCE", "shapeloss": "ShapeLoss"}
MEASURES = (("pr_auc", "PR-AUC"), ("best_f1", "best F1"), ("f1_at_dev", "F1 at validation threshold"),
            ("f1_fixed", "F1 at 0.5"), ("error_std_ms", "error std (ms)"))


def load(results: Path, name: str = NAME) -> dict:
    return json.loads((results / f"{name}.json").read_text())


def _ci(v: dict, spec: str = ".3f") -> str:
    return f"{v['value']:{spec}} [{v['ci95'][0]:{spec}}, {v['ci95'][1]:{spec}}]"


def _spec(measure: str) -> str:
    return ".1f" if measure.startswith("error") else ".3f"


def decision(results: Path) -> str:
    """Per situation (``pooled.decision``): the arm to use, the best arm and ShapeLoss, macro over boundaries."""
    rows = load(results)["pooled"]["decision"]
    out = ["| situation | use | measured, mean over the 6 boundaries (95 % interval) |", "|---|---|---|"]
    for r in rows:
        spec = _spec(r["measure"])
        shown = list(dict.fromkeys([r["choice"], r["best"], "bce", "shapeloss"]))
        cells = "; ".join(f"{'**' if a == r['best'] else ''}{a}{'**' if a == r['best'] else ''} {_ci(r['arms'][a], spec)}"
                          for a in shown if a in r["arms"])
        out.append(f"| {r['situation']} | {r['choice']} | {cells} |")
    return "\n".join(out)


def verdict(results: Path) -> str:
    """One sentence per measure: ShapeLoss minus the best baseline, macro (``pooled.gains``), losses first."""
    gains = load(results)["pooled"]["gains"]
    parts = []
    labels = dict(MEASURES, f1_fixed="F1 at 0.5 (an output-scale measure: a gain there alone is a recalibration)",
                  transfer_limb_to_chest="F1 lost with a limb-tuned threshold on chest leads")
    for key, label in labels.items():
        if key not in gains:
            continue
        g = gains[key]["macro"]
        d, (lo, hi) = g["difference"]["value"], g["difference"]["ci95"]
        lower_better = key.startswith("error") or key.startswith("transfer")
        worse = (lo > 0) if lower_better else (hi < 0)
        better = (hi < 0) if lower_better else (lo > 0)
        word = "worse than" if worse else "better than" if better else "tied with"
        spec = ".1f" if key.startswith("error") else ".4f"
        parts.append((0 if worse else 2 if better else 1,
                      f"{label}: {word} {g['baseline']} ({d:+{spec}} [{lo:+{spec}}, {hi:+{spec}}])"))
    return "; ".join(p for _, p in sorted(parts, key=lambda x: x[0]))


def boundaries(results: Path) -> str:
    """Every arm per boundary (``pooled.arms``): threshold-free measures, F1 at the two thresholds, timing."""
    arms = load(results)["pooled"]["arms"]
    out = ["| boundary | arm | PR-AUC | best F1 | F1 at validation threshold | F1 at 0.5 | error mean ± std (ms) |",
           "|---|---|---|---|---|---|---|"]
    for b in BOUNDARIES:
        for a, m in arms.items():
            out.append(f"| {b.replace('_', ' ')} | {a} | {_ci(m['pr_auc'][b])} | {_ci(m['best_f1'][b])} | "
                       f"{_ci(m['f1_at_dev'][b])} | {_ci(m['f1_fixed'][b])} | "
                       f"{m['error_mean_ms'][b]['value']:+.1f} ± {_ci(m['error_std_ms'][b], '.1f')} |")
    return "\n".join(out)


def gains(results: Path) -> str:
    """ShapeLoss minus the best baseline per boundary and measure (``pooled.gains``), paired intervals."""
    g = load(results)["pooled"]["gains"]
    out = ["| measure | " + " | ".join(b.replace("_", " ") for b in BOUNDARIES) + " | mean of 6 |",
           "|---|" + "---|" * (len(BOUNDARIES) + 1)]
    for key, label in MEASURES:
        spec = "+.1f" if key.startswith("error") else "+.3f"
        cells = []
        for b in list(BOUNDARIES) + ["macro"]:
            d = g[key][b]["difference"]
            cells.append(f"{d['value']:{spec}} [{d['ci95'][0]:{spec}}, {d['ci95'][1]:{spec}}] vs {g[key][b]['baseline']}")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def transfer(results: Path) -> str:
    """F1 lost against the oracle threshold when a threshold tuned on one lead group is used on the other."""
    arms = load(results)["pooled"]["arms"]
    out = ["| arm | limb -> chest, mean of 6 | chest -> limb, mean of 6 | worst boundary, limb -> chest |", "|---|---|---|---|"]
    for a, m in arms.items():
        if "transfer_limb_to_chest" not in m:
            continue
        lc, cl = m["transfer_limb_to_chest"], m["transfer_chest_to_limb"]
        worst = max(BOUNDARIES, key=lambda b: lc[b]["value"])
        out.append(f"| {a} | {_ci(lc['macro'], '.4f')} | {_ci(cl['macro'], '.4f')} | {worst.replace('_', ' ')} "
                   f"{_ci(lc[worst], '.4f')} |")
    return "\n".join(out)


def literature(name: str, results: Path) -> str:
    """BCE (continued arm) at validation-tuned thresholds against the literature-level targets."""
    m = load(results, name)["pooled"]["arms"]["bce"]["f1_at_dev"]
    out = ["| boundary | BCE F1 at validation threshold (95 % interval) | target | reached |", "|---|---|---|---|"]
    for b in BOUNDARIES:
        v = m[b]["value"]
        out.append(f"| {b.replace('_', ' ')} | {_ci(m[b], '.4f')} | {TARGETS[b]:.3f} | {'yes' if v >= TARGETS[b] else 'no'} |")
    return "\n".join(out)


def run_facts(name: str, results: Path) -> str:
    """Commit, seeds, steps, model and time of the run (``commit``, ``settings``, ``seconds``)."""
    r = load(results, name)
    s, dirty = r["settings"], r.get("uncommitted_files")
    state = "no uncommitted changes" if dirty == [] else f"uncommitted changes to {', '.join(dirty or ['(unknown)'])}"
    return (f"commit `{str(r['commit'])[:7]}`, {state}; seeds {', '.join(map(str, r['pooled']['seeds']))}; "
            f"`UNet1d(1, 6, widths={tuple(s['widths'])}, kernel_size={s['kernel_size']})`, "
            f"{s['warmup_steps']:,} shared BCE steps then {s['steps']:,} steps per arm (batch {s['batch_size']} "
            f"windows of {s['window']} samples, augmentation {'on' if s['augment'] else 'off'}); "
            f"{s.get('workers', 1)} process(es) of {r['threads']} thread each, {r['seconds'] / 60:.0f} min in all (wall clock, "
            f"on 2 cores shared with other jobs)")


DOCS = {
    "ecg-decision": decision,
    "ecg-decision-verdict": verdict,
    "ecg-decision-boundaries": boundaries,
    "ecg-decision-gains": gains,
    "ecg-decision-transfer": transfer,
    "ecg-literature": partial(literature, NAME),
    "ecg-literature-long": partial(literature, LONG),
    "ecg-decision-run": partial(run_facts, NAME),
    "ecg-literature-long-run": partial(run_facts, LONG),
}
