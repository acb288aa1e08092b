"""Markdown tables of the seismic benchmark's arms, rendered from its result JSONs.

``arm_table`` gives, per arm, the fixed-threshold numbers (effective S picks, S F1 at 0.7) over
seeds and the threshold-free S measures pooled over seeds with 95 % bootstrap intervals;
``gain_table`` gives each critic arm's paired gain over the best baseline; ``decision_table``
picks, for each situation, the best arm and the cheapest arm that matches it.

The command ``benchmarks/seismic_baselines_report.py`` prints them; ``DOCS`` names the pages'
blocks built on them for ``benchmarks/docs_tables.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Arms from cheapest to dearest (training cost, then post-hoc fitting), for "the cheapest that matches".
COST_ORDER = ("bce_tuned", "bce_calibrated", "bce_power", "bce", "widened", "weighted", "focal", "shapeloss", "shapeloss_widened",
              "shapeloss_patch")
DISPLAY_ORDER = ("bce", "bce_tuned", "bce_calibrated", "bce_power", "widened", "weighted", "focal", "shapeloss", "shapeloss_patch",
                 "shapeloss_widened")
WHAT = {
    "bce": "BCE, fixed threshold",
    "bce_tuned": "BCE, per-phase threshold tuned on dev",
    "bce_calibrated": "BCE + isotonic peak calibration (dev)",
    "bce_power": "BCE + power map, median dev peak to 0.9",
    "widened": "BCE on S labels widened to 32 samples",
    "weighted": "positive-weighted BCE (x10)",
    "focal": "focal loss (MONAI, gamma 2)",
    "shapeloss": "BCE inside ShapeLoss (critic)",
    "shapeloss_patch": "ShapeLoss, patch critic (moonshot)",
    "shapeloss_widened": "ShapeLoss on widened labels (moonshot)",
}


def _ci(v: dict, spec: str = ".3f") -> str:
    return f"{v['value']:{spec}} [{v['ci95'][0]:{spec}}, {v['ci95'][1]:{spec}}]"


def _over_seeds(values: list[float], spec: str = ".2f") -> str:
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return format(v[0], spec)
    return f"{v.mean():{spec}} ({v.min():{spec}}-{v.max():{spec}})"


def _arms(report: dict, schedule: str) -> list[str]:
    runs = [r for r in report["runs"] if r["schedule"] == schedule]
    return [a for a in DISPLAY_ORDER if runs and all(a in r["arms"] for r in runs)]


def arm_table(report: dict, schedule: str = "branch", ref: str = "labels") -> list[str]:
    """One row per arm: fixed-threshold numbers over seeds, threshold-free S measures pooled."""
    runs = [r for r in report["runs"] if r["schedule"] == schedule]
    pooled = report.get("threshold_free", {}).get(schedule, {}).get("arms", {})
    out = ["| arm | effective S (mean, range over seeds) | S ratio to bce [95 % CI, per seed] | S F1 at 0.7 | S best F1 | "
           "S F1 at dev threshold | S recall at precision 0.9 | S PR-AUC | S threshold width within 0.02 of best F1 |",
           "|---|---|---|---|---|---|---|---|---|"]
    for arm in _arms(report, schedule):
        eff = [r["arms"][arm]["phases"]["S"]["effective"] for r in runs]
        f07 = [r["arms"][arm]["phases"]["S"]["at_0.7"]["f1"] for r in runs]
        ratios = "-" if arm == "bce" else ", ".join(
            f"{c['S']['effective_ratio']:.2f} [{c['S']['ci95'][0]:.2f}, {c['S']['ci95'][1]:.2f}]"
            for c in (r.get("comparison_vs_bce", {}).get(arm) for r in runs) if c)
        tf = pooled.get(arm, {}).get(ref, {}).get("S")
        cells = [_ci(tf[m]) for m in ("best_f1", "f1_at_dev", "recall_at_p90", "pr_auc", "near_best_width")] if tf else ["n/a"] * 5
        out.append(f"| {arm} ({WHAT.get(arm, '')}) | {_over_seeds(eff, '.0f')} | {ratios} | {_over_seeds(f07)} | " + " | ".join(cells) + " |")
    return out


def gain_table(report: dict, schedule: str = "branch") -> list[str]:
    """Each critic arm's relative S gain over the best baseline, paired bootstrap 95 % interval."""
    gains = report.get("threshold_free", {}).get(schedule, {}).get("gain_over_best_baseline", {})
    out = ["| critic arm | scored against | S best F1 | S F1 at dev threshold | S recall at precision 0.9 | S PR-AUC | S near-best width |",
           "|---|---|---|---|---|---|---|"]
    for arm, by_ref in gains.items():
        for ref, phases in by_ref.items():
            s = phases["S"]
            cells = [f"{s[m]['gain']:+.1%} [{s[m]['ci95'][0]:+.1%}, {s[m]['ci95'][1]:+.1%}] vs {s[m]['baseline']}"
                     for m in ("best_f1", "f1_at_dev", "recall_at_p90", "pr_auc", "near_best_width")]
            out.append(f"| {arm} | {'true picks' if ref == 'truth' else 'training labels'} | " + " | ".join(cells) + " |")
    return out


def _best_and_cheapest(values: dict[str, dict]) -> tuple[str, str]:
    """The arm with the highest value, and the cheapest arm whose interval reaches the best value."""
    best = max(values, key=lambda a: values[a]["value"])
    top = values[best]["value"]
    cheapest = next(a for a in COST_ORDER if a in values and values[a]["ci95"][1] >= top)
    return best, cheapest


def decision_rows(report: dict, situation: str, schedule: str = "branch", ref: str = "labels") -> list[str]:
    """Rows of the decision table for one result JSON: fixed threshold and tuned threshold."""
    runs = [r for r in report["runs"] if r["schedule"] == schedule]
    arms = _arms(report, schedule)
    rows = []
    f07 = {a: np.array([r["arms"][a]["phases"]["S"]["at_0.7"]["f1"] for r in runs]) for a in arms}
    fixed = {a: {"value": float(v.mean()), "ci95": [float(v.min()), float(v.max())]} for a, v in f07.items()}
    best, cheap = _best_and_cheapest(fixed)
    rows.append(f"| {situation}: one fixed threshold (0.7) | {cheap} | S F1 at 0.7: best {best} {fixed[best]['value']:.3f}; "
                f"{cheap} {fixed[cheap]['value']:.3f} (range over seeds {fixed[cheap]['ci95'][0]:.3f}-{fixed[cheap]['ci95'][1]:.3f}); "
                f"bce {fixed['bce']['value']:.3f} |")
    pooled = report.get("threshold_free", {}).get(schedule, {}).get("arms", {})
    for measure, label in (("f1_at_dev", "threshold tuned on dev, S F1"), ("recall_at_p90", "S recall at precision 0.9"),
                           ("pr_auc", "S PR-AUC")):
        vals = {a: pooled[a][ref]["S"][measure] for a in arms if a in pooled and ref in pooled[a]}
        if not vals:
            continue
        best, cheap = _best_and_cheapest(vals)
        rows.append(f"| {situation}: {label} | {cheap} | best {best} {_ci(vals[best])}; {cheap} {_ci(vals[cheap])}; "
                    f"shapeloss {_ci(vals['shapeloss'])} |")
    return rows


def decision_table(reports: dict[str, str]) -> list[str]:
    """The decision table: ``{situation: result JSON path}`` (e.g. ``{"synthetic": ..., "NCEDC semi-real": ...}``);
    for each situation and measure, the best arm and the cheapest arm whose interval reaches it."""
    out = ["| situation | cheapest arm that matches the best | measured (95 % interval; fixed threshold: range over seeds) |",
           "|---|---|---|"]
    for situation, path in reports.items():
        if Path(path).exists():
            out += decision_rows(json.loads(Path(path).read_text()), situation)
    return out


def render(paths: list[str]) -> str:
    """All tables of the given result JSONs, as one markdown string."""
    parts = []
    for path in paths:
        report = json.loads(Path(path).read_text())
        name = Path(path).name
        refs = ["labels"] + (["truth"] if any("truth" in v for v in report.get("threshold_free", {}).get("branch", {})
                                              .get("arms", {}).values()) else [])
        for ref in refs:
            parts += [f"\n**{name}**, scored against the {'true picks' if ref == 'truth' else 'training-style labels'} "
                      f"(`{report['command']}`, commit {report['environment']['commit'][:7]}):\n"] + arm_table(report, ref=ref)
        parts += ["", *gain_table(report)]
    return "\n".join(parts) + "\n"



# --------------------------------------------------------------------------- generated docs blocks

SYNTHETIC_BASELINES = "seismic_s_phase_synthetic_quick_baselines"
JITTER_BASELINES = "seismic_s_phase_ncedc_jitter_per_window_baselines"
NCEDC_BASELINES = "seismic_s_phase_ncedc_baselines"
ALL_ARMS_SEED0 = "seismic_s_phase_synthetic_quick_all_arms_seed0"
MOONSHOTS_SEED1 = "seismic_s_phase_synthetic_quick_moonshots_seed1"
JITTER_PATCH = "seismic_s_phase_ncedc_jitter_per_window_patch_3seeds"
MOONSHOTS_3SEEDS = "seismic_s_phase_synthetic_quick_moonshots_3seeds"
#: ``--init-from``: each seed's synthetic BCE network fine-tuned on the NCEDC traces
PRETRAINED_NCEDC = "seismic_s_phase_ncedc_pretrained"
PRETRAINED_JITTER = "seismic_s_phase_ncedc_jitter_per_window_pretrained"
#: ``--d-lr 1e-2``: does a faster critic find a difference on the catalogue picks?
NCEDC_FAST_CRITIC = "seismic_s_phase_ncedc_critic_lr_1e-2"
#: ``--discriminator reference``: the study's critic (no pooling, 64-128 channels) on the catalogue picks
NCEDC_REFERENCE_CRITIC = "seismic_s_phase_ncedc_reference_critic"


def critic_gap_rows(report: dict, situation: str, schedule: str = "branch", tail: float = 0.25) -> list[str]:
    """One row per seed: the ShapeLoss arm's mean real and fake critic scores over the last ``tail``
    of its logged steps (``arms.shapeloss.losses``, block means), and their gap."""
    rows = []
    for run in (r for r in report["runs"] if r["schedule"] == schedule):
        log = [row for row in run["arms"]["shapeloss"].get("losses", []) if "real_score" in row]
        last = log[int(len(log) * (1 - tail)):]
        if not last:
            continue
        real = float(np.mean([row["real_score"] for row in last]))
        fake = float(np.mean([row["fake_score"] for row in last]))
        gap = float(np.median([abs(row["real_score"] - row["fake_score"]) for row in last]))
        loss = float(np.mean([row.get("discriminator", np.nan) for row in last]))
        rows.append(f"| {situation} | {run['seed']} | {real:+.3f} | {fake:+.3f} | {gap:.3f} | {loss:.3f} |")
    return rows


def critic_gap_table(reports: dict[str, str]) -> list[str]:
    """``{situation: result JSON path}`` -> the critic's scores at the end of training, per seed."""
    out = ["| situation | seed | real score (mean) | fake score (mean) | median gap | critic loss (mean; chance: ln 2 = 0.693) |",
           "|---|---|---|---|---|---|"]
    for situation, path in reports.items():
        out += critic_gap_rows(json.loads(Path(path).read_text()), situation)
    return out


def _load(results: Path, name: str) -> dict:
    return json.loads((Path(results) / f"{name}.json").read_text())


def _provenance(report: dict) -> str:
    seeds = ", ".join(str(r["seed"]) for r in report["runs"])
    commits = sorted({str(r.get("commit"))[:7] for r in report["runs"]})
    return (f"`{report['command']}` (seeds {seeds}; arms trained at commit {', '.join(commits)}, "
            f"summarised at {str(report['environment']['commit'])[:7]}, on {', '.join(report['run_devices'])})")


def _block(results: Path, name: str, ref: str) -> str:
    report = _load(results, name)
    return "\n".join([_provenance(report), "", *arm_table(report, ref=ref)])


#: ``benchmarks/docs_tables.py`` renders these blocks of docs/seismic.md and README.md.
DOCS = {
    "seismic-baselines-decision": lambda results: "\n".join(decision_table({
        "synthetic": str(Path(results) / f"{SYNTHETIC_BASELINES}.json"),
        "NCEDC semi-real": str(Path(results) / f"{JITTER_BASELINES}.json"),
        "NCEDC catalogue picks": str(Path(results) / f"{NCEDC_BASELINES}.json"),
        "NCEDC semi-real, pre-trained on synthetic": str(Path(results) / f"{PRETRAINED_JITTER}.json"),
        "NCEDC catalogue picks, pre-trained on synthetic": str(Path(results) / f"{PRETRAINED_NCEDC}.json")})),
    "seismic-critic-gap": lambda results: "\n".join(critic_gap_table({
        "synthetic": str(Path(results) / f"{SYNTHETIC_BASELINES}.json"),
        "NCEDC semi-real": str(Path(results) / f"{JITTER_BASELINES}.json"),
        "NCEDC catalogue picks": str(Path(results) / f"{NCEDC_BASELINES}.json"),
        "NCEDC semi-real, pre-trained": str(Path(results) / f"{PRETRAINED_JITTER}.json"),
        "NCEDC catalogue picks, pre-trained": str(Path(results) / f"{PRETRAINED_NCEDC}.json"),
        "NCEDC catalogue picks, critic learning rate x10": str(Path(results) / f"{NCEDC_FAST_CRITIC}.json"),
        "NCEDC catalogue picks, the study's critic": str(Path(results) / f"{NCEDC_REFERENCE_CRITIC}.json")})),
    "seismic-pretrained-ncedc": lambda results: _block(results, PRETRAINED_NCEDC, "labels"),
    "seismic-pretrained-ncedc-gains": lambda results: "\n".join(gain_table(_load(results, PRETRAINED_NCEDC))),
    "seismic-pretrained-jitter": lambda results: _block(results, PRETRAINED_JITTER, "labels"),
    "seismic-pretrained-jitter-gains": lambda results: "\n".join(gain_table(_load(results, PRETRAINED_JITTER))),
    "seismic-baselines-synthetic": lambda results: _block(results, SYNTHETIC_BASELINES, "labels"),
    "seismic-baselines-synthetic-truth": lambda results: _block(results, SYNTHETIC_BASELINES, "truth"),
    "seismic-baselines-synthetic-gains": lambda results: "\n".join(gain_table(_load(results, SYNTHETIC_BASELINES))),
    "seismic-baselines-jitter": lambda results: _block(results, JITTER_BASELINES, "labels"),
    "seismic-baselines-jitter-truth": lambda results: _block(results, JITTER_BASELINES, "truth"),
    "seismic-baselines-jitter-gains": lambda results: "\n".join(gain_table(_load(results, JITTER_BASELINES))),
    "seismic-baselines-ncedc": lambda results: _block(results, NCEDC_BASELINES, "labels"),
    "seismic-baselines-ncedc-gains": lambda results: "\n".join(gain_table(_load(results, NCEDC_BASELINES))),
    "seismic-moonshots": lambda results: _block(results, ALL_ARMS_SEED0, "truth"),
    "seismic-moonshots-gains": lambda results: "\n".join(gain_table(_load(results, ALL_ARMS_SEED0))),
    "seismic-moonshots-seed1-gains": lambda results: "\n".join(
        [_provenance(_load(results, MOONSHOTS_SEED1)), "", *gain_table(_load(results, MOONSHOTS_SEED1))]),
    "seismic-moonshots-3seeds-gains": lambda results: "\n".join(
        [_provenance(_load(results, MOONSHOTS_3SEEDS)), "", *gain_table(_load(results, MOONSHOTS_3SEEDS))]),
    "seismic-moonshots-jitter-gains": lambda results: "\n".join(
        [_provenance(_load(results, JITTER_PATCH)), "", *gain_table(_load(results, JITTER_PATCH))]),
}
