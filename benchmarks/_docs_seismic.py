"""Generated blocks of docs/seismic.md and README.md, from the seismic benchmark's result JSONs.

Each function takes the results folder and returns the block's markdown; ``DOCS`` names them
for ``benchmarks/docs_tables.py``. The per-run tables are ``_seismic_summary.table``; the rest
are sentences and small tables whose every number is read from a JSON field (named in the
function's docstring), never typed.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np

from benchmarks._seismic_common import fmt
from benchmarks._seismic_summary import bound, table

PAPER_SCRATCH = "seismic_s_phase_synthetic_paper_scratch"
PAPER_BRANCH = "seismic_s_phase_synthetic_paper_branch"
QUICK = "seismic_s_phase_synthetic_quick_3seeds"
QUICK_SEED1_LONG = "seismic_s_phase_synthetic_quick_seed1_steps3200"
BETAS = "seismic_s_phase_synthetic_quick_study_betas"
NCEDC = "seismic_s_phase_ncedc_3seeds"
JITTER = "seismic_s_phase_ncedc_jitter_per_window_3seeds"
JITTER_LONG = "seismic_s_phase_ncedc_jitter_per_window_long_3seeds"
SYNTHETIC = [(PAPER_SCRATCH, "paper budget, scratch"), (PAPER_BRANCH, "paper budget, branch"),
             (QUICK, "quick, branch"), (BETAS, "quick, branch, `--adam-betas study`"),
             (QUICK_SEED1_LONG, "quick, branch, 1,200 critic steps")]


def load(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text())


def span(values, spec: str = ".2f") -> str:
    """``"a-b"`` of the formatted extremes (``"a"`` when they agree)."""
    lo, hi = fmt(float(min(values)), spec), fmt(float(max(values)), spec)
    return lo if lo == hi else f"{lo}-{hi}"


def _s(run: dict, arm: str, key: str):
    return run["arms"][arm]["phases"]["S"][key]


def _draw(report: dict) -> str:
    config = report.get("synthetic_config") or {}
    return f'`"{config["noise_draw"]}"`' if "noise_draw" in config else '`"ziggurat"` (no `noise_draw` field)'


def synthetic_summary(name: str, results: Path) -> str:
    """Per-seed S counts and ratios, shares, band shares and P ratio (``runs[*].arms``, ``comparison``, ``summary``)."""
    report = load(results, name)
    runs = report["runs"]
    pairs = ", ".join(f"{_s(r, 'bce', 'effective')} → {_s(r, 'shapeloss', 'effective')}" for r in runs)
    ratios = [r["comparison"]["S"]["effective_ratio"] for r in runs]
    lows = [r["comparison"]["S"]["ci95"][0] for r in runs]
    band = [r["comparison"]["S"]["band_share_ratio"] for r in runs]
    emergent = {arm: [r["arms"][arm]["subsets"]["emergent_S"]["effective"] for r in runs] for arm in ("bce", "shapeloss")}
    p_ratio = [r["comparison"]["P"]["effective_ratio"] for r in runs]
    seeds = ", ".join(str(r["seed"]) for r in runs)
    mean = f" (mean {fmt(float(np.mean(ratios)))})" if len(runs) > 1 else ""
    return (f"Seed{'s' if len(runs) > 1 else ''} {seeds}: effective S {pairs}; S ratio {', '.join(fmt(x) for x in ratios)}{mean}, lower 95 % bounds "
            f"{span(lows)}; {span([100 * _s(r, 'shapeloss', 'effective_share') for r in runs], '.0f')} % of the "
            f"labelled S picks effective with ShapeLoss; S band share {span([_s(r, 'bce', 'band_share') for r in runs])} → "
            f"{span([_s(r, 'shapeloss', 'band_share') for r in runs])} ({span(band)}x BCE's); emergent S effective "
            f"{span(emergent['bce'], '.0f')} → {span(emergent['shapeloss'], '.0f')}; P ratio {span(p_ratio)}.")


def real_summary(name: str, results: Path) -> str:
    """Real traces: S and P ratios with intervals, BCE's S median peak and band share (``runs[*]``)."""
    runs = load(results, name)["runs"]
    ratios = [r["comparison"]["S"]["effective_ratio"] for r in runs]
    s_ci = [r["comparison"]["S"]["ci95"] for r in runs]
    p = [r["comparison"]["P"]["effective_ratio"] for r in runs]
    p_ci = [r["comparison"]["P"]["ci95"] for r in runs]
    contain = sum(lo <= 1.0 <= hi for lo, hi in s_ci)
    return (f"over the {len(runs)} runs, S ratio {span(ratios)} (mean {fmt(float(np.mean(ratios)))}; {contain} of "
            f"{len(runs)} S intervals contain 1) and P ratio {span(p)} (intervals from {bound(min(c[0] for c in p_ci))} to "
            f"{bound(max(c[1] for c in p_ci))}; {sum(lo <= 1.0 <= hi for lo, hi in p_ci)} of {len(runs)} contain 1); BCE's S median peak {span([_s(r, 'bce', 'median_height') for r in runs])}, "
            f"its S band share {span([_s(r, 'bce', 'band_share') for r in runs])}")


def targets(results: Path) -> str:
    """Issue 8's synthetic targets per run and seed (``comparison``, ``phases.S``; misses in bold)."""
    head = ("| JSON | settings | noise draw | S ratio >= 1.64 | S effective share >= 25 % | P ratio >= 0.97 | "
            "S band share <= half of BCE's |\n|---|---|---|---|---|---|---|")
    out = [head]
    for name, settings in SYNTHETIC:
        report = load(results, name)
        runs = report["runs"]

        def cells(get, ok, spec=".2f"):
            return ", ".join(f"{fmt(get(r), spec)}" if ok(get(r)) else f"**{fmt(get(r), spec)} (seed {r['seed']}: miss)**"
                             for r in runs)
        out.append(
            f"| `{name}` | {settings}, seeds {', '.join(str(r['seed']) for r in runs)} | {_draw(report)} | "
            + cells(lambda r: r["comparison"]["S"]["effective_ratio"], lambda v: v >= 1.64) + " | "
            + cells(lambda r: 100 * _s(r, "shapeloss", "effective_share"), lambda v: v >= 25, ".0f") + " | "
            + cells(lambda r: r["comparison"]["P"]["effective_ratio"], lambda v: v >= 0.97) + " | "
            + cells(lambda r: _s(r, "shapeloss", "band_share") / _s(r, "bce", "band_share"), lambda v: v <= 0.5) + " |")
    return "\n".join(out)


def steps_to_half(results: Path) -> str:
    """First dev-curve step at which each arm had half its final effective picks (``arms.*.steps_to_half``)."""
    out = ["| JSON | schedule | seed | BCE: P, S | ShapeLoss: P, S | branch point |", "|---|---|---|---|---|---|"]
    for name in (PAPER_SCRATCH, PAPER_BRANCH, QUICK, BETAS, NCEDC, JITTER, JITTER_LONG):
        report = load(results, name)
        for r in report["runs"]:
            half = {arm: r["arms"][arm]["steps_to_half"] for arm in ("bce", "shapeloss")}
            at = report["settings"]["branch_at"] if r["schedule"] == "branch" else "-"
            out.append(f"| `{name}` | {r['schedule']} | {r['seed']} | {half['bce']['P']}, {half['bce']['S']} | "
                       f"{half['shapeloss']['P']}, {half['shapeloss']['S']} | {at} |")
    return "\n".join(out)


def quick_timing(results: Path) -> str:
    """Minutes per seed and seconds per step of the three-seed quick run (``runs[*].timing``)."""
    runs = load(results, QUICK)["runs"]
    minutes = [sum(t["seconds"] for t in r["timing"].values()) / 60 for r in runs]
    per = {k: [r["timing"][k]["seconds_per_step"] for r in runs] for k in ("warmup", "bce", "shapeloss")}
    return (f"{span(minutes, '.1f')} min per seed ({span(per['warmup'], '.3f')} s per warm-up BCE step at batch 32, "
            f"{span(per['bce'], '.3f')} s per step of the BCE continuation, {span(per['shapeloss'], '.3f')} s per "
            f"`compact` ShapeLoss step)")


def gpu_timing(results: Path) -> str:
    """Seconds and windows per second per arm of the H200 paper runs (``runs[*].timing``, ``settings.batch_size``)."""
    report = load(results, PAPER_SCRATCH)
    batch = report["settings"]["batch_size"]
    t = {arm: [r["timing"][arm] for r in report["runs"]] for arm in ("bce", "shapeloss")}
    steps = {x["steps_run"] for arm in t for x in t[arm]}
    rate = {arm: [batch * x["steps_run"] / x["seconds"] for x in t[arm]] for arm in t}
    return (f"{'/'.join(f'{s:,}' for s in sorted(steps))} BCE steps at batch {batch} in {span([x['seconds'] for x in t['bce']], '.0f')} s "
            f"and as many ShapeLoss steps in {span([x['seconds'] for x in t['shapeloss']], '.0f')} s "
            f"({span([x['seconds_per_step'] for x in t['bce']], '.3f')} and "
            f"{span([x['seconds_per_step'] for x in t['shapeloss']], '.3f')} s per step; "
            f"{span(rate['bce'], ',.0f')} and {span(rate['shapeloss'], ',.0f')} windows per second per seed; "
            f"the three seeds' BCE arms together {sum(rate['bce']):,.0f} windows per second)")


def provenance(name: str, results: Path) -> str:
    """Commits and devices that trained the runs of one JSON (``runs[*].commit``, ``runs[*].device``)."""
    runs = load(results, name)["runs"]
    by = {}
    for r in runs:
        by.setdefault((str(r.get("commit") or "not recorded")[:7], r.get("device") or "not recorded"), []).append(str(r["seed"]))
    return "; ".join(f"seed{'s' if len(seeds) > 1 else ''} {', '.join(seeds)}: commit {c} on {d}" for (c, d), seeds in by.items())


def minutes(name: str, results: Path) -> str:
    """Minutes per seed, warm-up and both arms (``runs[*].timing.*.seconds``)."""
    runs = load(results, name)["runs"]
    return ", ".join(f"{sum(t['seconds'] for t in r['timing'].values()) / 60:.1f}" for r in runs) + " min"


def jitter_long_curves(results: Path) -> str:
    """Dev-crop effective S after the branch, per arm, over every checkpoint and seed (``arms.*.curve``)."""
    report = load(results, JITTER_LONG)
    at = report["settings"]["branch_at"]
    curves = {arm: [[c["effective_S"] for c in r["arms"][arm]["curve"] if c["step"] > at] for r in report["runs"]]
              for arm in ("bce", "shapeloss")}
    pairs = [(s, b) for cs, cb in zip(curves["shapeloss"], curves["bce"]) for s, b in zip(cs, cb)]
    above = sum(s > b for s, b in pairs)
    swing = max(abs(x - y) for arm in curves for c in curves[arm] for x, y in zip(c, c[1:]))
    flat = lambda arm: [x for c in curves[arm] for x in c]  # noqa: E731
    return (f"at {above} of the {len(pairs)} checkpoints after the branch ({len(curves['bce'][0])} per seed), the ShapeLoss "
            f"arm had more effective S picks on the {report['settings']['curve_windows']} dev crops than the BCE arm "
            f"({min(flat('shapeloss'))}-{max(flat('shapeloss'))} against {min(flat('bce'))}-{max(flat('bce'))}); "
            f"neighbouring checkpoints of one arm differ by up to {swing}")


def readme_caption(results: Path) -> str:
    """The README's figure caption (quick seed 0, the three-seed ranges, the paper budget's range)."""
    q = load(results, QUICK)["runs"][0]
    c = q["comparison"]["S"]
    quick = [r["comparison"]["S"]["effective_ratio"] for r in load(results, QUICK)["runs"]]
    paper = [r["comparison"]["S"]["effective_ratio"] for r in load(results, PAPER_SCRATCH)["runs"]]
    p = {arm: q["arms"][arm]["phases"]["P"]["effective"] for arm in ("bce", "shapeloss")}
    return (f"{_s(q, 'bce', 'effective')} -> {_s(q, 'shapeloss', 'effective')} effective S picks, "
            f"{fmt(c['effective_ratio'])}x, 95% interval {fmt(c['ci95'][0])}-{fmt(c['ci95'][1])}) and leaves P "
            f"unchanged ({p['bce']} -> {p['shapeloss']}). Over three seeds the ratio is {span(quick)} on the CPU "
            f"settings, and {span(paper)} at the reference study's budget")


DOCS = {
    "seismic-paper-scratch": lambda results: table(load(results, PAPER_SCRATCH)),
    "seismic-paper-branch": lambda results: table(load(results, PAPER_BRANCH)),
    "seismic-quick-3seeds": lambda results: table(load(results, QUICK)),
    "seismic-study-betas": lambda results: table(load(results, BETAS)),
    "seismic-ncedc-3seeds": lambda results: table(load(results, NCEDC)),
    "seismic-ncedc-jitter": lambda results: table(load(results, JITTER)),
    "seismic-ncedc-jitter-long": lambda results: table(load(results, JITTER_LONG)),
    "seismic-paper-scratch-summary": partial(synthetic_summary, PAPER_SCRATCH),
    "seismic-paper-branch-summary": partial(synthetic_summary, PAPER_BRANCH),
    "seismic-quick-3seeds-summary": partial(synthetic_summary, QUICK),
    "seismic-quick-seed1-long-summary": partial(synthetic_summary, QUICK_SEED1_LONG),
    "seismic-study-betas-summary": partial(synthetic_summary, BETAS),
    "seismic-ncedc-summary": partial(real_summary, NCEDC),
    "seismic-ncedc-jitter-summary": partial(real_summary, JITTER),
    "seismic-ncedc-jitter-long-summary": partial(real_summary, JITTER_LONG),
    "seismic-targets": targets,
    "seismic-steps-to-half": steps_to_half,
    "seismic-quick-timing": quick_timing,
    "seismic-gpu-timing": gpu_timing,
    "readme-caption": readme_caption,
    "seismic-jitter-long-curves": jitter_long_curves,
    "readme-quick-minutes": lambda results: quick_timing(results).split(" (")[0],
    "seismic-paper-branch-minutes": partial(minutes, PAPER_BRANCH),
    **{f"seismic-provenance-{key}": partial(provenance, name) for key, name in (
        ("paper-scratch", PAPER_SCRATCH), ("paper-branch", PAPER_BRANCH), ("quick-3seeds", QUICK), ("study-betas", BETAS),
        ("quick-seed1-long", QUICK_SEED1_LONG), ("ncedc", NCEDC), ("jitter", JITTER), ("jitter-long", JITTER_LONG))},
}
