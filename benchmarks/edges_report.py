"""The decision table of docs/edges.md, rendered from the synthetic-edge result JSONs.

Each situation a user can be in (what the product is: a boundary map at a tuned
threshold, a fixed threshold, a ranking, a position) is scored by one measure;
for each, the table gives the best arm, ShapeLoss, the best rival that is not
ShapeLoss, and the paired difference ShapeLoss - best rival over seeds (same
initial weights per seed) with its 95 % Student-t interval. Rows where
ShapeLoss loses come first. A second block gives every arm's figures on the
same measures. The per-seed files (one seed each, same settings)
are merged; a file with uncommitted changes or a settings mismatch is refused.

    python benchmarks/edges_report.py            # print the table
    python benchmarks/edges_report.py --write    # refresh the generated blocks in docs/edges.md
    python benchmarks/edges_report.py --check    # exit 1 if docs/edges.md has drifted
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from edges_rivals import interval  # noqa: E402

NAME = "edges-decision-table"
ARMS_NAME = "edges-arms"
DOC = ROOT / "docs" / "edges.md"
RESULTS = ROOT / "benchmarks" / "results"
FILES = {dim: [f"synthetic_edges_rivals_{dim}{part}_seed{s}.json" for part in ("", "_more", "_boundary")
                for s in (0, 1, 2)]
         for dim in ("1d", "2d")}
LABELS = {"bce": "BCE", "weighted_bce": "weighted BCE (w = 10)", "cdf_l1": "BCE + CDF-L1", "soft_argmax": "BCE + soft-argmax",
          "boundary": "BCE + boundary loss", "soft_dtw": "BCE + soft-DTW (tslearn)",
          "hausdorff_dt": "BCE + Hausdorff DT (MONAI)", "hausdorff_er": "BCE + Hausdorff ER (kornia)",
          "cldice": "BCE + soft clDice (MONAI)", "shapeloss": "ShapeLoss"}
# (situation, dimension, path into a per-seed record, higher is better, format)
SITUATIONS = [
    ("2D: a faint-boundary map thresholded where validation F1 peaks", "2d", ("tuned", "faint", "f1"), True, ".3f"),
    ("2D: faint boundary pixels ranked, no threshold (average precision)", "2d",
     ("tuned", "faint", "average_precision"), True, ".3f"),
    ("2D: faint boundary placed close to the true contour (HD95, px, tuned threshold)", "2d",
     ("tuned", "faint", "hd95_median"), False, ".2f"),
    ("2D: faint ridge reaches a fixed 0.7 (share of ridge pixels; a height, i.e. calibration, measure)", "2d",
     ("faint", "effective_share"), True, ".2f"),
    ("2D: strong boundary thresholded where validation F1 peaks", "2d", ("tuned", "strong", "f1"), True, ".3f"),
    ("1D: subtle onset clears a fixed 0.7 (effective detections of 500)", "1d", ("labels", "effective"), True, ".0f"),
    ("1D: onset picks thresholded where validation F1 peaks", "1d", ("tuned", "f1"), True, ".3f"),
    ("1D: onsets ranked, no threshold (average precision)", "1d", ("tuned", "average_precision"), True, ".3f"),
    ("1D: pick timing scatter (residual std, samples, tuned threshold)", "1d", ("tuned", "residual_std"), False, ".2f"),
    ("1D: no stray or fat peaks (median Hausdorff to the true onset, samples)", "1d",
     ("tuned", "hausdorff_median"), False, ".1f"),
]
# the short column names of the every-arm table, by measure
COLUMNS = {("tuned", "faint", "f1"): "faint F1, tuned threshold", ("tuned", "faint", "average_precision"): "faint AP",
           ("tuned", "faint", "hd95_median"): "faint HD95 (px)", ("faint", "effective_share"): "faint share >= 0.7",
           ("tuned", "strong", "f1"): "strong F1, tuned threshold", ("labels", "effective"): "effective (of 500)",
           ("tuned", "f1"): "F1, tuned threshold", ("tuned", "average_precision"): "AP",
           ("tuned", "residual_std"): "residual std (samples)", ("tuned", "hausdorff_median"): "Hausdorff (samples)"}


def load(paths: list[Path], key: str) -> dict | None:
    """Merge result files (any seeds and arms, same settings otherwise) into
    ``{"per_seed": {arm: {seed: record}}, "seeds", "commits", "paths"}``; None if none exist."""
    present = [Path(p) for p in paths if Path(p).exists()]
    runs = [json.loads(p.read_text()) for p in present]
    if not runs:
        return None
    ignore = ("seeds", "arms_1d", "arms_2d")
    base = {k: v for k, v in runs[0]["settings"].items() if k not in ignore}
    merged: dict = {"per_seed": {}, "seeds": [], "commits": [], "paths": [f"benchmarks/results/{p.name}" for p in present]}
    for run in runs:
        if run.get("uncommitted_files"):
            raise ValueError(f"{run['command']}: ran with uncommitted changes {run['uncommitted_files']}")
        if {k: v for k, v in run["settings"].items() if k not in ignore} != base:
            raise ValueError(f"{run['command']}: settings differ from the first file's")
        merged["seeds"] = sorted(set(merged["seeds"]) | set(run["seeds"]))
        merged["commits"].append(run["commit"])
        for arm, recs in run[key]["per_seed"].items():
            for seed, rec in zip(run["seeds"], recs):
                if seed in merged["per_seed"].setdefault(arm, {}):
                    raise ValueError(f"{run['command']}: arm {arm!r} seed {seed} is in two files")
                merged["per_seed"][arm][seed] = rec
    return merged


def _get(rec: dict, path: tuple[str, ...]):
    for k in path:
        rec = rec.get(k) if isinstance(rec, dict) else None
    return rec


def _num(x: float, spec: str) -> str:
    text = f"{x:{spec}}"
    return text.lstrip("-") if float(text) == 0 else text  # no "-0.00"


def _fmt(iv: dict, spec: str) -> str:
    if iv["mean"] is None:
        return "n/a"
    body = _num(iv["mean"], spec)
    return body if iv["low"] is None else f"{body} [{_num(iv['low'], spec)}, {_num(iv['high'], spec)}]"


def partial_arms(merged: dict) -> dict:
    """Arms run on fewer seeds than ShapeLoss: ``{arm: seeds}``; they are not ranked."""
    need = set(merged["per_seed"].get("shapeloss", {}))
    return {arm: sorted(recs) for arm, recs in merged["per_seed"].items() if not need <= set(recs)}


def rows(data: dict) -> list[dict]:
    out = []
    for situation, dim, path, higher, spec in SITUATIONS:
        merged = data.get(dim)
        if merged is None or "shapeloss" not in merged["per_seed"]:
            continue
        seeds = sorted(merged["per_seed"]["shapeloss"])
        per_arm = {arm: [_get(recs[s], path) for s in seeds]
                   for arm, recs in merged["per_seed"].items() if arm not in partial_arms(merged)}
        means = {arm: interval(v) for arm, v in per_arm.items()}
        ranked = sorted((a for a in means if means[a]["mean"] is not None),
                        key=lambda a: means[a]["mean"], reverse=higher)
        rivals = [a for a in ranked if a != "shapeloss"]
        if not ranked or not rivals:
            continue
        rival = rivals[0]
        diffs = [None if s is None or r is None else s - r for s, r in zip(per_arm["shapeloss"], per_arm[rival])]
        diff = interval(diffs)
        signed = [d if higher else -d for d in diffs if d is not None]  # > 0: in ShapeLoss's favour
        if diff["low"] is None:
            verdict = "undecided"
        else:  # the difference in ShapeLoss's favour, as an interval
            low, high = (diff["low"], diff["high"]) if higher else (-diff["high"], -diff["low"])
            verdict = "loses" if high < 0 else "wins" if low > 0 else "tie"
        out.append({"situation": situation, "use": ranked[0], "shapeloss": _fmt(means["shapeloss"], spec),
                    "rival": rival, "rival_value": _fmt(means[rival], spec), "diff": _fmt(diff, spec),
                    "verdict": verdict, "best": _fmt(means[ranked[0]], spec),
                    "behind": sum(d < 0 for d in signed), "n": len(signed)})
    order = {"loses": 0, "undecided": 1, "tie": 2, "wins": 3}
    return sorted(out, key=lambda r: (order[r["verdict"]], -r["behind"] / max(r["n"], 1)))


def _behind(r: dict) -> str:
    return f"behind on {r['behind']} of {r['n']} seeds"


def decision_table(data: dict) -> str:
    """Markdown: the decision table plus the provenance of the numbers."""
    table = rows(data)
    lines = []
    for verdict, title in (("loses", "ShapeLoss loses"), ("tie", "Not significant at 95 % with these seeds"),
                           ("wins", "ShapeLoss wins"), ("undecided", "Too few seeds to tell")):
        hit = [r for r in table if r["verdict"] == verdict]
        if hit:
            lines.append(f"- **{title}** ({len(hit)} of {len(table)} situations): " + "; ".join(
                f"{r['situation'].split(' (')[0]} (use {LABELS.get(r['use'], r['use'])}; ShapeLoss {_behind(r)})"
                for r in hit) + ".")
    lines += ["", "| situation | use | its figure | ShapeLoss | best other arm | ShapeLoss - that arm | ShapeLoss |",
              "|---|---|---|---|---|---|---|"]
    for r in table:
        lines.append(f"| {r['situation']} | {LABELS.get(r['use'], r['use'])} | {r['best']} | {r['shapeloss']} | "
                     f"{LABELS.get(r['rival'], r['rival'])}: {r['rival_value']} | {r['diff']} | **{r['verdict']}**, {_behind(r)} |")
    notes = []
    for dim, merged in sorted(data.items()):
        if merged is not None:
            notes += [f"{dim.upper()}: {LABELS.get(a, a)} ran on seed(s) {', '.join(map(str, ss))} only and is "
                      "not ranked" for a, ss in partial_arms(merged).items()]
            notes.append(f"{dim.upper()}: seeds {', '.join(map(str, merged['seeds']))}, commits "
                         f"{', '.join(sorted(set(c[:7] for c in merged['commits'])))}, "
                         f"files {', '.join('`' + p + '`' for p in merged['paths'])}")
    lines += ["", "Means over seeds with 95 % Student-t intervals in brackets; the difference is paired by seed "
              "(same initial weights). *loses* / *wins*: the interval of the difference excludes 0; *tie*: it "
              "contains 0 (with three seeds an interval can pass the measure's range). " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def arms_table(data: dict) -> str:
    """Markdown: every arm (not only the best two) on every situation's measure, one table per dimension,
    means over seeds with 95 % intervals; the arms in ``LABELS`` order."""
    lines = []
    for dim, merged in sorted(data.items()):
        if merged is None:
            continue
        cols = [(s, path, spec) for s, d, path, _, spec in SITUATIONS if d == dim]
        partial = partial_arms(merged)
        lines += ["", f"| {dim.upper()} arm | " + " | ".join(COLUMNS[path] for _, path, _ in cols) + " |",
                  "|---" * (len(cols) + 1) + "|"]
        for arm in sorted(merged["per_seed"], key=lambda a: list(LABELS).index(a) if a in LABELS else len(LABELS)):
            recs = merged["per_seed"][arm]
            cells = [_fmt(interval([_get(recs[k], path) for k in sorted(recs)]), spec) for _, path, spec in cols]
            name = LABELS.get(arm, arm) + (f" (seed(s) {', '.join(map(str, partial[arm]))} only)" if arm in partial else "")
            lines.append(f"| {'**' + name + '**' if arm == 'shapeloss' else name} | " + " | ".join(cells) + " |")
    return "\n".join(lines[1:]) + "\n"


def _data(results: Path = RESULTS) -> dict:
    return {dim: load([Path(results) / n for n in names], f"edges_{dim}") for dim, names in FILES.items()}


def render(results: Path = RESULTS) -> str:
    """The decision table from the result JSONs under ``results`` (the renderer of benchmarks/docs_tables.py)."""
    return decision_table(_data(results))


def render_arms(results: Path = RESULTS) -> str:
    """Every arm's figures from the result JSONs under ``results`` (a renderer of benchmarks/docs_tables.py)."""
    return arms_table(_data(results))


def replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- generated: {name} -->", f"<!-- /generated: {name} -->"
    if text.count(start) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one '{start}' ... '{end}' block")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{body}{end}{tail}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true")
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    blocks = {NAME: render(), ARMS_NAME: render_arms()}
    if not (args.write or args.check):
        print("\n".join(blocks.values()))
        return 0
    text = new = DOC.read_text()
    for name, body in blocks.items():
        new = replace_block(new, name, body)
    if args.check:
        return 0 if new == text else 1
    DOC.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
