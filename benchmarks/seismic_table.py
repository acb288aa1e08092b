#!/usr/bin/env python
"""The markdown tables of docs/seismic.md, rendered from result JSONs of ``seismic_s_phase.py``.

Usage::

    python benchmarks/seismic_table.py benchmarks/results/seismic_s_phase_synthetic_quick_3seeds.json

One row per arm and run, the ratios with their 95 % bootstrap intervals on the ShapeLoss row,
then the per-schedule summary over seeds (mean, min-max) and the synthetic targets. The pages'
blocks built on these (``benchmarks/_docs_seismic.py``) are kept by ``benchmarks/docs_tables.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from seismic_s_phase import fmt  # noqa: E402  (the benchmark's own number format)

HEAD = ("| schedule | seed | arm | effective P | effective S (share) | S band share | S median peak | "
        "emergent S effective | impulsive S effective | S F1 @0.5 | S F1 @dev thr. | S ratio [95% CI] | P ratio [95% CI] | trained on |")


def bound(x: float) -> str:
    """An interval bound to 2 decimals, or 3 where 2 would move it across 1 (0.996 is not "1.00")."""
    s = fmt(x)
    if s in ("n/a", "unbounded"):
        return s
    return fmt(x, ".3f") if (x < 1) != (float(s) < 1) or (x > 1) != (float(s) > 1) else s


def rows(report: dict) -> list[str]:
    out = []
    for r in report["runs"]:
        for arm in ("bce", "shapeloss"):
            a = r["arms"][arm]
            p, s = a["phases"]["P"], a["phases"]["S"]
            sub = a.get("subsets", {})
            em, im = (f"{sub[k]['effective']}/{sub[k]['n_labels']}" if k in sub else "-" for k in ("emergent_S", "impulsive_S"))
            ratio = ""
            pratio = ""
            if arm == "shapeloss":
                c = r["comparison"]
                ratio = f"{fmt(c['S']['effective_ratio'])} [{bound(c['S']['ci95'][0])}, {bound(c['S']['ci95'][1])}]"
                pratio = f"{fmt(c['P']['effective_ratio'])} [{bound(c['P']['ci95'][0])}, {bound(c['P']['ci95'][1])}]"
            out.append(
                f"| {r['schedule']} | {r['seed']} | {arm} | {p['effective']}/{p['n_labels']} | "
                f"{s['effective']}/{s['n_labels']} ({fmt(s['effective_share'])}) | {fmt(s['band_share'])} | {fmt(s['median_height'])} | "
                f"{em} | {im} | "
                f"{fmt(s['at_0.5']['f1'])} | {fmt(s['at_dev_threshold']['f1'])} ({fmt(s['dev_threshold'])}) | {ratio} | {pratio} | "
                f"{r.get('device', 'n/a')} |")
    return out


def summary(report: dict) -> list[str]:
    out = []
    for schedule, block in report["summary"].items():
        s = block["summary"]
        def mm(key, spec=".2f"):
            v = s[key]
            return f"{fmt(v['mean'], spec)} ({fmt(v['min'], spec)}-{fmt(v['max'], spec)})"
        out.append(f"- {schedule}, seeds {block['seeds']}: S ratio {mm('S_ratio')}, P ratio {mm('P_ratio')}, "
                   f"effective S {mm('effective_S_bce', '.0f')} -> {mm('effective_S_shapeloss', '.0f')}, "
                   f"S band {mm('S_band_bce')} -> {mm('S_band_shapeloss')}; targets {block['synthetic_targets']}")
    return out


def table(report: dict) -> str:
    """The per-run table: header, separator and one row per arm and run."""
    return "\n".join([HEAD, "|" + "---|" * (HEAD.count(" | ") + 1)] + rows(report))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="result JSONs written by benchmarks/seismic_s_phase.py")
    for path in parser.parse_args(argv).paths:
        if not Path(path).is_file():
            parser.error(f"paths: expected an existing result JSON, got {path!r}")
        report = json.loads(Path(path).read_text())
        print(f"\n{path}\n")
        print(table(report))
        print()
        print("\n".join(summary(report)))


if __name__ == "__main__":
    main(sys.argv[1:])
