"""Generated blocks of docs/performance.md and docs/theory.md, from their result JSONs.

Each function takes the results folder and returns the block's markdown; ``DOCS`` names them
for ``benchmarks/docs_tables.py``.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

THROUGHPUT = "throughput_cpu"
CRITICS = {"bce_only": "BCE only", "compact": "**compact** (default)", "light": "light", "global": "global",
           "patch": "patch", "reference": "reference (the study's)",
           "compact_fused": "compact, real and fake in one call (experiment)"}


def load(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text())


def _yes(value) -> str:
    return "" if value is None else "yes" if value else "**no**"


def _span(values, spec: str) -> str:
    lo, hi = f"{min(values):{spec}}", f"{max(values):{spec}}"
    return lo if lo == hi else f"{lo}-{hi}"


def training(results: Path) -> str:
    """One row per configuration of ``training`` in throughput_cpu.json."""
    out = ["| batch | critic | d_every | critic params | s/step | x BCE | x BCE (paired) | windows/s | peak MB | "
           "generator forwards / step | within bound (separate BCE process) | within bound (same-process BCE twin) | "
           "within bound (critic timed in the step) |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in load(results, THROUGHPUT)["training"]:
        if "error" in r:
            out.append(f"| {r['batch_size']} | {CRITICS[r['preset']]} | {r.get('d_every', '-')} | error: {r['error']} |")
            continue
        params = f"{r['critic_parameters']:,}" if r["critic_parameters"] else "-"
        out.append(f"| {r['batch_size']} | {CRITICS[r['preset']]} | {r['d_every']} | {params} | {r['seconds_per_step']:.3f} | "
                   f"{r['ratio_to_bce']:.2f} | {r['paired_ratio_to_bce']:.2f} | {r['windows_per_second']:.0f} | "
                   f"{r['peak_memory_mb']:.0f} | {r['generator_forwards_per_step']:.0f} | {_yes(r.get('within_bound'))} | "
                   f"{_yes(r.get('within_bound_paired'))} | {_yes(r.get('within_bound_in_step'))} |")
    return "\n".join(out)


def bounds(results: Path) -> str:
    """The three no-redundant-passes checks of ``training``: rows failing each, and by how much (``within_bound*``)."""
    rows = [r for r in load(results, THROUGHPUT)["training"] if "error" not in r and r["preset"] != "bce_only"]
    parts = []
    for label, ok, bound in (("(1)", "within_bound", "bound_bce_plus_critic"), ("(2)", "within_bound_paired", "bound_twin_plus_critic"),
                             ("(3)", "within_bound_in_step", "bound_bce_plus_critic_in_step")):
        failing = [r for r in rows if r.get(ok) is False]
        if not failing:
            parts.append(f"{label} holds in every row")
            continue
        over = ", ".join(f"{r['preset']} batch {r['batch_size']} +{100 * (r['seconds_per_step'] / r[bound] - 1):.0f} %" for r in failing)
        parts.append(f"{label} fails in {len(failing)} of {len(rows)} rows ({over})")
    top = max(r["batch_size"] for r in rows)
    twin = [r["bce_twin_seconds_per_step"] for r in rows if r["batch_size"] == top and r.get("bce_twin_seconds_per_step")]
    return "; ".join(parts) + f". The same-process BCE twin took {_span(twin, '.2f')} s per step at batch {top}, depending on which critic ran before it"


def _default_row(report: dict, row: dict) -> dict:
    return next(r for r in report["training"] if r["preset"] == row["preset"] and r["batch_size"] == row["batch_size"]
                and r["d_every"] == row["d_every"])


def malloc(results: Path) -> str:
    """``training_malloc_keep`` beside the matching default-allocator rows of ``training``."""
    report = load(results, THROUGHPUT)
    out = ["| batch | arm | s/step, default | s/step, glibc keeps memory | speedup | peak MB | x BCE (paired) |",
           "|---|---|---|---|---|---|---|"]
    for r in report["training_malloc_keep"]:
        if "error" in r:
            continue
        out.append(f"| {r['batch_size']} | {CRITICS[r['preset']].replace('**', '').replace(' (default)', '')} | "
                   f"{_default_row(report, r)['seconds_per_step']:.3f} | {r['seconds_per_step']:.3f} | "
                   f"{r['speedup_over_default_malloc']:.2f}x | {r['peak_memory_mb']:.0f} | {r['paired_ratio_to_bce']:.2f} |")
    return "\n".join(out)


def malloc_summary(results: Path) -> str:
    """Speed-up and windows/s of BCE at the largest batch with glibc keeping memory, and the data margins then."""
    report = load(results, THROUGHPUT)
    keep = [r for r in report["training_malloc_keep"] if r["preset"] == "bce_only" and "error" not in r]
    top = max(keep, key=lambda r: r["batch_size"])
    d, rate = report["data"], top["windows_per_second"]
    margins = [d[k] / rate for k in ("synthetic_windows_per_second", "synthetic_loader_1_workers_windows_per_second",
                                     "synthetic_loader_2_workers_windows_per_second")]
    return (f"{top['speedup_over_default_malloc']:.2f}x faster at batch {top['batch_size']} ({rate:.0f} windows/s), "
            f"and the margins shrink: {margins[0]:.1f}x for the in-process generator, {margins[1]:.1f}x through one "
            f"worker and {margins[2]:.1f}x through two")


def data(results: Path) -> str:
    """Windows per second of each source against BCE training's consumption (``data`` in throughput_cpu.json)."""
    d = load(results, THROUGHPUT)["data"]
    bce = d["training_windows_per_second_bce"]
    rows = [("seismic synthetic generator (`synthetic_windows`, batch 100, in the calling process)", d["synthetic_windows_per_second"], bce, "PhaseNet"),
            ("the same through `step_loader`, 1 worker process (the 2-core default)", d["synthetic_loader_1_workers_windows_per_second"], bce, None),
            ("the same through `step_loader`, 2 worker processes", d["synthetic_loader_2_workers_windows_per_second"], bce, None),
            ("NCEDC npz crops (`NpzBatches`, traces in memory)", d.get("ncedc_windows_per_second"), bce, None)]
    other = d["other_domains"]
    rows += [("1D edges (`make_onset_burst`, 512 samples)", other["edges_1d"]["windows_per_second"],
              other["edges_1d"]["training_windows_per_second_bce"], "its UNet1d"),
             ("2D contours (`make_contour_images`, 48 x 48)", other["edges_2d"]["windows_per_second"],
              other["edges_2d"]["training_windows_per_second_bce"], "its UNet2d"),
             ("ECG crops (`sample_windows` from synthetic records, 1024 samples)", other["ecg_crops"]["windows_per_second"],
              other["ecg_crops"]["training_windows_per_second_bce"], "its UNet1d")]
    out = ["| source | windows/s | training it feeds (BCE, windows/s) | x training consumption |", "|---|---|---|---|"]
    for label, rate, feeds, net in rows:
        if rate is None:
            continue
        out.append(f"| {label} | {rate:,.0f} | {feeds:,.0f}{f' ({net})' if net else ''} | {rate / feeds:.1f}x |")
    return "\n".join(out)


def picking(results: Path) -> str:
    """``picking`` in throughput_cpu.json: ours, SeisBench and the bare forward pass."""
    p = load(results, THROUGHPUT)["picking"]
    seconds = p["hours"] * 3600
    sb = p["seisbench"]
    out = ["| picker | wall time (median of {}) | x real time |".format(p["repeats"]), "|---|---|---|",
           f"| `shapeloss.seismic.annotate` (probability traces and picks) | {p['wall_seconds']:.3f} s | {p['times_real_time']:,.0f} |"]
    if sb:
        out.append(f"| SeisBench {sb['seisbench']} `PhaseNet.annotate` (probability traces only; same data, same overlap) | "
                   f"{sb['wall_seconds']:.3f} s | {sb['times_real_time']:,.0f} |")
    out.append(f"| bare forward pass over the same windows (batches of 256) | {p['bare_forward_seconds']:.3f} s | "
               f"{seconds / p['bare_forward_seconds']:,.0f} |")
    return "\n".join(out)


def picking_summary(results: Path) -> str:
    """Our picker against SeisBench and the bare pass (``picking.seisbench.ours_over_seisbench_throughput``, ``share_of_bare_forward``)."""
    p = load(results, THROUGHPUT)["picking"]
    return (f"**{p['seisbench']['ours_over_seisbench_throughput']:.2f}x SeisBench's throughput** and "
            f"{p['share_of_bare_forward']:.2f}x the bare forward pass's")


def critic_tradeoff(results: Path) -> str:
    """One row per seed and arm of critic_tradeoff.json; cost from its ``summary`` (``cost_ratio_to_bce``)."""
    report = load(results, "critic_tradeoff")
    names = {"bce": "BCE continuation", "compact": "**compact**", "compact:2": "compact, `d_every=2`", "reference": "reference"}
    out = ["| seed | arm | cost (x BCE step, paired, batch 32) | effective S | S band share | S median peak | effective P | "
           "S ratio [95% CI] | share of the reference critic's S gain |", "|---|---|---|---|---|---|---|---|---|"]
    for run in report["runs"]:
        for arm, a in run["arms"].items():
            cost = 1.0 if arm == "bce" else report["summary"][arm]["cost_ratio_to_bce"]
            ratio = share = ""
            if arm != "bce":
                ratio = f"{a['S_ratio']:.2f} [{a['S_ratio_ci95'][0]:.2f}, {a['S_ratio_ci95'][1]:.2f}]"
                share = "" if a["share_of_reference_gain"] is None else f"{100 * a['share_of_reference_gain']:.0f} %"
            out.append(f"| {run['seed']} | {names.get(arm, arm)} | {cost:.2f} | {a['S']} | {a['S_band_share']:.2f} | "
                       f"{a['S_median_height']:.2f} | {a['P']} | {ratio} | {share} |")
    return "\n".join(out)


def critic_summary(results: Path) -> str:
    """Shares of the reference critic's S gain kept per critic, over seeds (``summary.*.share_of_reference_gain_per_seed``)."""
    s = load(results, "critic_tradeoff")["summary"]
    keep = {c: _span([100 * x for x in s[c]["share_of_reference_gain_per_seed"]], ".0f") for c in ("compact", "compact:2")}
    return (f"`compact` keeps {keep['compact']} % of the reference critic's gain and `compact` with `d_every=2` "
            f"{keep['compact:2']} % (cost {s['compact']['cost_ratio_to_bce']:.2f}x and {s['compact:2']['cost_ratio_to_bce']:.2f}x "
            f"against the reference critic's {s['reference']['cost_ratio_to_bce']:.2f}x)")


def simulation(results: Path) -> str:
    """``simulation`` in diagnostics_simulation.json."""
    out = ["| jitter sd | point-wise peak (simulated) | closed form | template height | template position |",
           "|---|---|---|---|---|"]
    for r in load(results, "diagnostics_simulation")["simulation"]:
        out.append(f"| {r['spread_seconds']:g} s | {r['pointwise']['height']:.3f} | {r['closed_form']['height']:.3f} | "
                   f"{r['template']['height']:.3f} | {r['template']['position']:+.2f} samples |")
    return "\n".join(out)


def simulation_summary(results: Path) -> str:
    """Largest gap between simulated and closed-form peaks, and the largest template offset (``simulation``)."""
    sim = load(results, "diagnostics_simulation")["simulation"]
    gap = max(abs(r["pointwise"]["height"] - r["closed_form"]["height"]) for r in sim)
    closed = ", ".join(f"{r['closed_form']['height']:.3f}" for r in sim)
    return (f"{closed} here. The simulated point-wise peak "
            f"agrees with it within {gap:.3f} at every spread")


def _where(samples: float) -> str:
    return f"{abs(samples):.1f} samples {'early' if samples < 0 else 'late'}" if samples else "centred"


def skew(results: Path) -> str:
    """``simulation_skew`` in diagnostics_simulation.json."""
    r = load(results, "diagnostics_simulation")["simulation_skew"][0]
    return (f"the point-wise peak lands at {r['pointwise']['height']:.3f}, {_where(r['pointwise']['position'])}, "
            f"with the closed form at {r['closed_form']['height']:.3f}, {_where(r['closed_form']['position'])}; "
            f"the template sits at {r['template']['height']:.3f}, {_where(r['template']['position'])}")


def landscape(results: Path) -> str:
    """Highest point-wise valley floor and the template's minimum under the jitter (``landscapes``)."""
    lands = [x for x in load(results, "diagnostics_simulation")["landscapes"] if x["spread"]]
    point = next(x for x in lands if x["kind"] == "pointwise")
    template = next(x for x in lands if x["kind"] == "template")
    return (f"the point-wise valley floor now peaks at {max(point['best_height_at_offset'].values()):.2f}, below the 0.7 "
            f"threshold, while the template's single minimum sits at `h = {template['argmin']['height']:.2f}`")


def synthetic_rate(results: Path) -> str:
    """``data.synthetic_windows_per_second`` in throughput_cpu.json, with its commit."""
    report = load(results, THROUGHPUT)
    return f"{report['data']['synthetic_windows_per_second']:,.0f} windows per second (commit {report['commit'][:7]})"


def critic_cost(results: Path) -> str:
    """Paired step cost of ``compact`` and ``reference`` at d_every 1 (``training[*].paired_ratio_to_bce``)."""
    rows = [r for r in load(results, THROUGHPUT)["training"] if "error" not in r and r["d_every"] == 1]
    cost = {p: _span([r["paired_ratio_to_bce"] for r in rows if r["preset"] == p], ".1f") for p in ("compact", "reference")}
    return f"{cost['compact']}x a BCE step (paired, CPU) instead of {cost['reference']}x"


def _row(rows: list[dict], preset: str, batch: int, d_every: int = 1) -> dict:
    return next(r for r in rows if r["preset"] == preset and r["batch_size"] == batch and r.get("d_every") == d_every)


def d_every_summary(results: Path) -> str:
    """What ``d_every=2`` does to the paired step cost of ``compact`` and ``reference`` (throughput_cpu.json)."""
    rows = [r for r in load(results, THROUGHPUT)["training"] if "error" not in r]
    c32, c100 = _row(rows, "compact", 32, 2), _row(rows, "compact", 100, 2)
    r1, r2 = _row(rows, "reference", 32, 1), _row(rows, "reference", 32, 2)
    return (f"brings the `compact` critic to {c32['paired_ratio_to_bce']:.2f}x a BCE step at batch 32 (paired; "
            f"{c100['paired_ratio_to_bce']:.2f}x at batch 100) and the reference critic from "
            f"{r1['paired_ratio_to_bce']:.1f}x to {r2['paired_ratio_to_bce']:.1f}x")


def target_summary(results: Path) -> str:
    """The default critic's step cost at batch 32 against issue 5's target (throughput_cpu.json)."""
    row = _row([r for r in load(results, THROUGHPUT)["training"] if "error" not in r], "compact", 32)
    return (f"the default critic costs {row['ratio_to_bce']:.2f}x a BCE step at batch 32 on 2 CPU cores "
            f"({row['paired_ratio_to_bce']:.2f}x paired; target <= 1.5x)")


STEP_RATIO = "throughput_step_ratio_cpu"


def step_cost(results: Path) -> str:
    """The default critic's step against BCE's, paired, with its arithmetic (throughput_step_ratio_cpu.json)."""
    report = load(results, STEP_RATIO)
    out = ["| batch | critic | x BCE (paired median) | paired ratios, quartiles | x BCE in multiply-accumulates | "
           "critic update (ms) | generator backward (ms) | BCE step (twin, ms) |", "|---|---|---|---|---|---|---|---|"]
    for r in report["training"]:
        if r["preset"] == "bce_only" or "error" in r:
            continue
        q = statistics.quantiles(r["paired_ratios"], n=4)
        phases = r["phase_seconds"]
        update = phases["critic_forward_backward"] + phases["critic_optimizer"]
        out.append(f"| {r['batch_size']} | {CRITICS[r['preset']]} | {r['paired_ratio_to_bce']:.2f} | {q[0]:.2f}-{q[2]:.2f} | "
                   f"{r['mac_ratio_to_bce']:.3f} | {1000 * update:.1f} | {1000 * phases['generator_backward']:.1f} | "
                   f"{1000 * r['bce_twin_seconds_per_step']:.1f} |")
    return "\n".join(out)


def step_cost_summary(results: Path) -> str:
    """The default critic's paired step ratios and its arithmetic, in words."""
    rows = [r for r in load(results, STEP_RATIO)["training"] if "error" not in r]
    compact = [r for r in rows if r["preset"] == "compact"]
    fused = [r for r in rows if r["preset"] == "compact_fused"]
    text = (f"the default critic's step costs {_span([r['paired_ratio_to_bce'] for r in compact], '.2f')}x a BCE step "
            f"(paired, batch {' and '.join(str(r['batch_size']) for r in compact)}), and its arithmetic alone "
            f"{compact[0]['mac_ratio_to_bce']:.3f}x")
    if fused:
        text += f"; one critic call for real and fake costs {_span([r['paired_ratio_to_bce'] for r in fused], '.2f')}x"
    before = load(results, STEP_RATIO + "_before")
    old = [r["paired_ratio_to_bce"] for r in before["training"] if r["preset"] == "compact" and "error" not in r]
    return text + (f". The same measurement before the two changes below gave {_span(old, '.2f')}x "
                   f"(commit `{before['commit'][:7]}`, `{STEP_RATIO}_before.json`)")


def critic_run(results: Path) -> str:
    """Commit, device, threads and wall time of critic_tradeoff.json."""
    r = load(results, "critic_tradeoff")
    return (f"Commit {r['commit'][:7]}{'' if r.get('uncommitted_files') == [] else ' (uncommitted changes)'}, "
            f"{r['device'].upper()}, {r['threads']} thread{'s' if r['threads'] > 1 else ''}, {r['wall_seconds'] / 60:.1f} min")


DOCS = {
    "throughput-d-every-summary": d_every_summary,
    "throughput-target-summary": target_summary,
    "step-cost": step_cost,
    "step-cost-summary": step_cost_summary,
    "critic-tradeoff-run": critic_run,
    "throughput-bounds": bounds,
    "readme-critic-cost": critic_cost,
    "throughput-synthetic-rate": synthetic_rate,
    "throughput-training": training,
    "throughput-malloc": malloc,
    "throughput-malloc-summary": malloc_summary,
    "throughput-data": data,
    "throughput-picking": picking,
    "throughput-picking-summary": picking_summary,
    "critic-tradeoff": critic_tradeoff,
    "critic-tradeoff-summary": critic_summary,
    "theory-simulation": simulation,
    "theory-simulation-summary": simulation_summary,
    "theory-skew": skew,
    "theory-landscape": landscape,
}
