"""Generated blocks of docs/ecg.md and docs/edges.md, from their benchmarks' result JSONs.

Each function takes the results folder and returns the block's markdown; ``DOCS`` names them
for ``benchmarks/docs_tables.py``.
"""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import Path

import numpy as np

BOUNDARIES = ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off")
ECG_ARMS = {"bce": "BCE", "shapeloss": "ShapeLoss"}


def load(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text())


def _mean(values) -> float:
    v = np.array([np.nan if x is None else x for x in values], float)
    return float(np.nanmean(v)) if np.isfinite(v).any() else math.nan


def _signed(x: float) -> str:
    return f"{x:+.1f}".replace("-", "−")


def _bold_higher(a: str, b: str) -> tuple[str, str]:
    """Bold the larger of two formatted numbers (neither when they print the same)."""
    if float(a) == float(b):
        return a, b
    return (f"**{a}**", b) if float(a) > float(b) else (a, f"**{b}**")


def ecg_quick(results: Path) -> str:
    """Two-seed means per boundary and arm (``summary``), the validation thresholds per seed (``per_seed``)."""
    report = load(results, "ecg_delineation")
    s, per = report["summary"], report["per_seed"]
    out = ["| boundary | arm | F1 at 0.5 | Se | PPV | error mean ± std (ms) | effective | band | "
           "F1 at validation threshold (threshold) |", "|---|---|---|---|---|---|---|---|---|"]
    for b in BOUNDARIES:
        m = {arm: {k: v["mean"] for k, v in s[arm][b].items()} for arm in ECG_ARMS}
        pairs = {k: _bold_higher(*(f"{m[arm][k]:{spec}}" for arm in ECG_ARMS))
                 for k, spec in (("f1", ".3f"), ("effective_share", ".2f"), ("f1_val_threshold", ".3f"))}
        for i, (arm, label) in enumerate(ECG_ARMS.items()):
            thresholds = list(dict.fromkeys(f"{run[b]['val_threshold']:g}" for run in per[arm]))
            out.append(f"| {b.replace('_', ' ')} | {label} | {pairs['f1'][i]} | {m[arm]['sensitivity']:.3f} | "
                       f"{m[arm]['ppv']:.3f} | {_signed(m[arm]['error_mean_ms'])} ± {m[arm]['error_std_ms']:.1f} | "
                       f"{pairs['effective_share'][i]} | {m[arm]['band_share']:.2f} | "
                       f"{pairs['f1_val_threshold'][i]} ({', '.join(thresholds)}) |")
    return "\n".join(out)


def ecg_four_seeds(results: Path) -> str:
    """Means over seeds 0-3 of both ECG JSONs (``per_seed``), and in how many seeds ShapeLoss's F1 is higher."""
    runs = {arm: [] for arm in ECG_ARMS}
    for name in ("ecg_delineation", "ecg_delineation_seeds23"):
        for arm in ECG_ARMS:
            runs[arm] += load(results, name)["per_seed"][arm]
    n = len(runs["bce"])
    out = ["| boundary | F1 at 0.5, BCE / ShapeLoss (ShapeLoss higher in) | F1 at validation threshold, BCE / ShapeLoss | "
           "effective share, BCE / ShapeLoss | error std (ms), BCE / ShapeLoss |", "|---|---|---|---|---|"]
    for i, b in enumerate(BOUNDARIES):
        m = {arm: {k: _mean([r[b][k] for r in runs[arm]]) for k in ("f1", "f1_val_threshold", "effective_share", "error_std_ms")}
             for arm in ECG_ARMS}
        higher = sum(s[b]["f1"] > c[b]["f1"] for c, s in zip(runs["bce"], runs["shapeloss"]))
        cell = lambda k, spec: " / ".join(f"{m[arm][k]:{spec}}" for arm in ECG_ARMS)  # noqa: E731
        out.append(f"| {b.replace('_', ' ')} | {cell('f1', '.3f')} ({higher} of {n}{' seeds' if i == 0 else ''}) | "
                   f"{cell('f1_val_threshold', '.3f')} | {cell('effective_share', '.2f')} | {cell('error_std_ms', '.1f')} |")
    return "\n".join(out)


def ecg_timing(results: Path) -> str:
    """Total and per-arm seconds of the quick ECG run (``seconds``, ``per_seed.*.train.seconds``)."""
    report = load(results, "ecg_delineation")
    arms = [r["train"]["seconds"] for arm in ECG_ARMS for r in report["per_seed"][arm]]
    return f"{report['seconds']:.0f} s in all, {min(arms):.0f} to {max(arms):.0f} s per arm"


def provenance(name: str, results: Path) -> str:
    """Commit of a run and whether it ran committed code (``commit``, ``uncommitted_files``)."""
    report = load(results, name)
    dirty = report.get("uncommitted_files")
    state = ("no uncommitted changes" if dirty == [] else "uncommitted state not recorded" if dirty is None
             else f"uncommitted changes to {', '.join(dirty)}")
    return f"commit `{str(report.get('commit') or 'not recorded')[:7]}`, {state}"


def edges_arm(arm: str, settings: dict) -> str:
    return {"bce": "BCE", "weighted_bce": f"class-weighted BCE (w = {settings['pos_weight']:g})",
            "cdf_l1": "BCE + CDF-L1 (Wasserstein)", "soft_argmax": "BCE + soft-argmax head",
            "boundary": "BCE + boundary (distance map)", "shapeloss": "**ShapeLoss**"}[arm]


def _per_seed(values, spec: str) -> str:
    cells = [f"{v:{spec}}" for v in values]
    return cells[0] if len(set(cells)) == 1 else ", ".join(cells)


def edges_1d(results: Path) -> str:
    """Per-seed effective counts and seed means of the 1D arms (``edges_1d.per_seed``)."""
    report = load(results, "synthetic_edges")
    out = ["| arm | effective (seeds 0, 1, 2) | vs true onsets | band share | median peak | peak FWHM (samples) | "
           "false peaks | F1 at 0.5 |", "|---|---|---|---|---|---|---|---|"]
    for arm, runs in report["edges_1d"]["per_seed"].items():
        eff = ", ".join(str(r["labels"]["effective"]) for r in runs)
        true = ", ".join(str(r["true_onsets"]["effective"]) for r in runs)
        if arm == "shapeloss":
            eff, true = f"**{eff}**", f"**{true}**"
        out.append(f"| {edges_arm(arm, report['settings'])} | {eff} | {true} | "
                   f"{_mean([r['labels']['band_share'] for r in runs]):.2f} | "
                   f"{_mean([r['labels']['median_peak_height'] for r in runs]):.2f} | "
                   f"{_per_seed([r['shape']['fwhm_median'] for r in runs], 'g')} | "
                   f"{_mean([r['shape']['false_peak_share'] for r in runs]):.3f} | "
                   f"{_mean([r['labels']['f1@0.5'] for r in runs]):.2f} |")
    return "\n".join(out)


def edges_1d_jitter(results: Path) -> str:
    """Effective onsets per 1,000 labels, summed over seeds, at three label jitters (``edges_1d.per_seed``)."""
    out = ["| label jitter (samples) | JSON, seeds | BCE | class-weighted BCE | ShapeLoss | ShapeLoss vs true onsets | "
           "median peak (BCE / ShapeLoss) | FWHM (BCE / weighted / ShapeLoss) |", "|---|---|---|---|---|---|---|---|"]
    for name in ("synthetic_edges_1d_jitter0", "synthetic_edges", "synthetic_edges_1d_jitter12"):
        report = load(results, name)
        per = report["edges_1d"]["per_seed"]

        def per_1000(arm, group="labels"):
            runs = per[arm]
            return f"{1000 * sum(r[group]['effective'] for r in runs) / sum(r[group]['n_labels'] for r in runs):.0f}"

        med = " / ".join(f"{_mean([r['labels']['median_peak_height'] for r in per[a]]):.2f}" for a in ("bce", "shapeloss"))
        fwhm = " / ".join(f"{_mean([r['shape']['fwhm_median'] for r in per[a]]):.1f}" for a in ("bce", "weighted_bce", "shapeloss"))
        out.append(f"| {report['edges_1d']['config']['label_jitter']:g} | `{name}`, {', '.join(map(str, report['seeds']))} | "
                   f"{per_1000('bce')} | {per_1000('weighted_bce')} | {per_1000('shapeloss')} | "
                   f"{per_1000('shapeloss', 'true_onsets')} | {med} | {fwhm} |")
    return "\n".join(out)


def edges_2d(name: str, results: Path) -> str:
    """Faint and strong contour metrics per arm (``edges_2d.per_seed``; seed means except the per-seed F1)."""
    report = load(results, name)
    out = ["| arm | faint F1 (seeds 0, 1, 2) | faint precision / recall | faint median height | faint effective share | "
           "faint band share | strong F1 | strong median height |", "|---|---|---|---|---|---|---|---|"]
    for arm, runs in report["edges_2d"]["per_seed"].items():
        f = lambda group, key, spec=".2f": f"{_mean([r[group][key] for r in runs]):{spec}}"  # noqa: E731
        f1 = ", ".join(f"{r['faint']['boundary_f1']:.3f}" for r in runs)
        out.append(f"| {edges_arm(arm, report['settings'])} | {f1} | "
                   f"{f('faint', 'precision')} / {f('faint', 'recall')} | {f('faint', 'median_peak_height')} | "
                   f"{f('faint', 'effective_share')} | {f('faint', 'band_share')} | {f('strong', 'boundary_f1', '.3f')} | "
                   f"{f('strong', 'median_peak_height')} |")
    return "\n".join(out)


def edges_timing(results: Path) -> str:
    """Total and per-arm seconds of the quick edges run (``seconds``, ``per_seed.*.train.seconds``)."""
    report = load(results, "synthetic_edges")
    arms = [r["train"]["seconds"] for key in ("edges_1d", "edges_2d") for runs in report[key]["per_seed"].values() for r in runs]
    return f"{report['seconds']:,.0f} s in all; an arm took {min(arms):.0f} to {max(arms):.0f} s"


DOCS = {
    **{f"provenance-{name}": partial(provenance, name) for name in (
        "ecg_delineation", "ecg_delineation_seeds23", "synthetic_edges", "synthetic_edges_1d_jitter0",
        "synthetic_edges_1d_jitter12", "synthetic_edges_2d_long", "synthetic_edges_2d_global_critic", "throughput_cpu",
        "throughput_step_ratio_cpu")},
    "ecg-quick": ecg_quick,
    "ecg-four-seeds": ecg_four_seeds,
    "ecg-timing": ecg_timing,
    "edges-1d": edges_1d,
    "edges-1d-jitter": edges_1d_jitter,
    "edges-2d": partial(edges_2d, "synthetic_edges"),
    "edges-2d-long": partial(edges_2d, "synthetic_edges_2d_long"),
    "edges-2d-global-critic": partial(edges_2d, "synthetic_edges_2d_global_critic"),
    "edges-timing": edges_timing,
}
