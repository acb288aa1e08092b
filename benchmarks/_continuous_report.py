"""Markdown tables (for the docs) and terminal lines from a benchmarks/seismic_continuous.py JSON.

The command ``benchmarks/seismic_continuous_report.py`` prints the markdown.
"""

from __future__ import annotations

COLUMNS = [
    ("PR-AUC", "pr_auc", ".3f"), ("best F1", "best_f1", ".3f"), ("at", "best_threshold", ".2f"),
    ("recall @ P0.9", "recall_at_precision", ".3f"), ("F1 @ 0.5", "f1_at_0.5", ".3f"), ("F1 @ 0.7", "f1_at_0.7", ".3f"),
    ("near-best range", None, ""), ("false picks / h noise @ 80 % recall", "false_pick_rate_at_recall", ".1f"),
    ("false picks / h noise @ 0.5", "false_pick_rate_at_0.5", ".1f"),
]


def _f(x, spec: str) -> str:
    return "n/a" if x is None else format(x, spec)


def _ci(m: dict, spec: str) -> str:
    if m["value"] is None:
        return "n/a"
    return f"{_f(m['value'], spec)} [{_f(m['low'], spec)}, {_f(m['high'], spec)}]"


def measures_table(result: dict, name: str, catalogue: str, phase: str, tol: str) -> list[str]:
    entry = result["sets"][name][catalogue][phase][tol]
    lines = ["| arm | " + " | ".join(c for c, _, _ in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for arm, e in entry.items():
        m = e["measures"]
        cells = []
        for _, key, spec in COLUMNS:
            if key is None:
                cells.append(f"{_f(m['near_best_low']['value'], '.2f')}-{_f(m['near_best_high']['value'], '.2f')}")
            elif key in ("best_threshold",):
                cells.append(_f(m[key]["value"], spec))
            else:
                cells.append(_ci(m[key], spec))
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return lines


def difference_table(result: dict, name: str, catalogue: str, tol: str) -> list[str]:
    base = result["baseline"]
    lines = [f"| arm - {base} | phase | PR-AUC | best F1 | recall @ P0.9 | F1 @ 0.7 | near-best width |", "|---" * 7 + "|"]
    for phase in ("P", "S"):
        for arm, e in result["sets"][name][catalogue][phase][tol].items():
            if "vs_baseline" not in e:
                continue
            d = e["vs_baseline"]
            lines.append(f"| {arm} | {phase} | " + " | ".join(_ci(d[k], "+.3f") for k in
                         ("pr_auc", "best_f1", "recall_at_precision", "f1_at_0.7", "near_best_width")) + " |")
    return lines


def transfer_table(result: dict, phase: str, tol: str, catalogue: str = "analyst") -> list[str]:
    targets = [n for n in result.get("transfer", {}) if phase in result["transfer"][n].get(catalogue, {})]
    if not targets:
        return []
    arms = list(result["arms"])
    lines = ["| arm | " + " | ".join(targets) + " |", "|---" * (len(targets) + 1) + "|"]
    for arm in arms:
        cells = []
        for n in targets:
            e = result["transfer"][n][catalogue][phase][tol][arm]
            cells.append(f"{_ci(e['f1_lost'], '.3f')} (F1 {_f(e['target_f1_at_source_threshold']['value'], '.3f')})")
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return lines


def headline_table(result: dict, phase: str = "S", catalogue: str = "analyst", tol: str | None = None) -> list[str]:
    """One row per arm: threshold-free measures on the source set, fixed-threshold F1, and the
    F1 lost by transferring its threshold (the mean over the shifted sets, and each real set)."""
    src = result["source"]
    tol = tol or list(result["tolerances"])[-1]
    entry = result["sets"][src][catalogue][phase][tol]
    targets = [n for n in result.get("transfer", {}) if phase in result["transfer"][n].get(catalogue, {})]
    real = [n for n in targets if n.startswith("ncedc")]
    shifted = [n for n in targets if n not in real]
    head = ["arm", "PR-AUC", "best F1", "recall @ P0.9", "F1 @ 0.5", "F1 @ 0.7", "near-best range"]
    head += ["F1 lost, shifted synthetic (mean)"] if shifted else []
    head += [f"F1 lost, {n}" for n in real]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for arm, e in entry.items():
        m = e["measures"]
        cells = [arm] + [_ci(m[k], ".3f") for k in ("pr_auc", "best_f1", "recall_at_precision", "f1_at_0.5", "f1_at_0.7")]
        cells.append(f"{_f(m['near_best_low']['value'], '.2f')}-{_f(m['near_best_high']['value'], '.2f')}")
        if shifted:
            lost = [result["transfer"][n][catalogue][phase][tol][arm]["f1_lost"]["value"] for n in shifted]
            lost = [x for x in lost if x is not None]
            cells.append(_f(sum(lost) / len(lost), ".3f") if lost else "n/a")
        cells += [_ci(result["transfer"][n][catalogue][phase][tol][arm]["f1_lost"], ".3f") for n in real]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(result: dict) -> str:
    """The tables of one run: measures per arm, paired differences, threshold transfer."""
    src = result["source"]
    out = [f"Command: `{result['command']}` (commit `{str(result['commit'])[:10]}`, {result['environment']['device']}); "
           f"seeds {result['settings']['seeds']}, records pooled over seeds, 95 % bootstrap intervals over records."]
    tol = list(result["tolerances"])[-1]
    out += ["", f"**Headline: S on {src} (analyst picks, {tol})**", ""] + headline_table(result)
    for name, by_cat in result["sets"].items():
        for cat in by_cat:
            for phase in ("S", "P"):
                for tol in result["tolerances"]:
                    if name != src and not (phase == "S" and tol == "0.5s"):
                        continue
                    out += ["", f"**{name}, {phase}, tolerance {tol}, scored against the {cat} picks**", ""]
                    out += measures_table(result, name, cat, phase, tol)
    if result.get("baseline"):
        for cat in result["sets"][src]:
            for tol in result["tolerances"]:
                out += ["", f"**Paired differences against {result['baseline']} ({src}, {cat} picks, {tol})**", ""]
                out += difference_table(result, src, cat, tol)
    for tol in result["tolerances"]:
        table = transfer_table(result, "S", tol)
        if table:
            out += ["", f"**S F1 lost when the threshold chosen on {src} is applied unchanged (analyst picks, {tol}; "
                        "in brackets the F1 reached there)**", ""] + table
    return "\n".join(out) + "\n"


def summary_lines(result: dict) -> list[str]:
    """A short terminal summary: S on the source set (analyst, 0.5 s) and the verdict counts."""
    src, tol = result["source"], list(result["tolerances"])[-1]
    lines = [f"{src}, S, analyst picks, {tol}:"] + measures_table(result, src, "analyst", "S", tol)
    for arm, v in result.get("verdict", {}).items():
        lines.append(f"{arm} vs {result['baseline']}: {v['gains']} gains, {v['ties']} ties, {v['losses']} losses "
                     f"(threshold-free and transfer rows; {v['moonshot_rows']} with >= 10 % relative gain)")
    return lines

