"""The edges decision table: verdicts from paired intervals, losses first, and no drift in docs/edges.md."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import edges_report  # noqa: E402


def _rec(f1, ap, hd):
    return {"tuned": {"faint": {"f1": f1, "average_precision": ap, "hd95_median": hd},
                      "strong": {"f1": 1.0}}, "faint": {"effective_share": 0.5}}


def _data():
    per_seed = {
        "bce": [_rec(0.99, 0.80, 1.0), _rec(0.98, 0.81, 1.1), _rec(0.985, 0.79, 0.9)],
        "cldice": [_rec(0.97, 0.70, 2.0), _rec(0.96, 0.72, 2.1), _rec(0.975, 0.71, 1.9)],
        "shapeloss": [_rec(0.90, 0.90, 1.0), _rec(0.88, 0.92, 1.2), _rec(0.91, 0.91, 0.8)],
    }
    per_seed = {arm: dict(enumerate(recs)) for arm, recs in per_seed.items()}
    return {"2d": {"per_seed": per_seed, "seeds": [0, 1, 2], "commits": ["abcdef0123"], "paths": ["x.json"]}}


def test_verdicts_follow_the_paired_interval_and_losses_come_first():
    rows = edges_report.rows(_data())
    f1 = next(r for r in rows if "thresholded where validation" in r["situation"] and "faint" in r["situation"])
    ap = next(r for r in rows if "average precision" in r["situation"])
    hd = next(r for r in rows if "HD95" in r["situation"])
    assert f1["verdict"] == "loses" and f1["use"] == "bce" and f1["rival"] == "bce"
    assert ap["verdict"] == "wins" and ap["use"] == "shapeloss" and ap["rival"] == "bce"
    assert hd["verdict"] == "tie" and hd["rival"] == "bce"  # lower is better: both around 1.0
    assert rows[0]["verdict"] == "loses"
    assert (f1["behind"], f1["n"], ap["behind"], hd["behind"]) == (3, 3, 0, 1)  # hd: shapeloss 1.2 > bce 1.1 once
    assert [r["verdict"] for r in rows] == sorted((r["verdict"] for r in rows),
                                                  key=["loses", "undecided", "tie", "wins"].index)
    lines = edges_report.decision_table(_data()).splitlines()
    assert lines[0].startswith("- **ShapeLoss loses** (") and "a faint-boundary map" in lines[0]
    first_row = next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1
    assert lines[first_row].startswith("| 2D: a faint-boundary map") and "**loses**" in lines[first_row]


def test_replace_block_round_trip_and_refuses_missing_markers():
    text = "a\n<!-- generated: T -->\nold\n<!-- /generated: T -->\nb\n"
    new = edges_report.replace_block(text, "T", "new\n")
    assert new == "a\n<!-- generated: T -->\nnew\n<!-- /generated: T -->\nb\n"
    assert edges_report.replace_block(new, "T", "new\n") == new
    with pytest.raises(ValueError, match="generated: U"):
        edges_report.replace_block(text, "U", "x")


def test_docs_edges_decision_table_matches_the_committed_results():
    if not any((edges_report.RESULTS / n).exists() for names in edges_report.FILES.values() for n in names):
        pytest.skip("no rival result JSON committed yet")
    text = edges_report.DOC.read_text()
    assert edges_report.replace_block(text, edges_report.NAME, edges_report.render()) == text


def test_load_merges_files_by_seed_and_arm_and_refuses_dirty_or_mismatched_runs(tmp_path):
    import json

    def write(name, seeds, arms, dirty=None, lr=1e-3):
        run = {"command": name, "commit": "c0ffee1234", "uncommitted_files": dirty, "seeds": seeds,
               "settings": {"seeds": seeds, "arms_2d": arms, "lr": lr},
               "edges_2d": {"per_seed": {a: [{"v": 10 * s + i} for s in seeds] for i, a in enumerate(arms)}}}
        (tmp_path / name).write_text(json.dumps(run))
        return tmp_path / name

    files = [write("a.json", [0], ["bce", "shapeloss"]), write("b.json", [1], ["bce", "shapeloss"]),
             write("c.json", [0, 1], ["cldice"])]
    merged = edges_report.load(files + [tmp_path / "missing.json"], "edges_2d")
    assert merged["seeds"] == [0, 1] and merged["paths"] == [f"benchmarks/results/{f.name}" for f in files]
    assert merged["per_seed"]["cldice"] == {0: {"v": 0}, 1: {"v": 10}}
    assert merged["per_seed"]["shapeloss"] == {0: {"v": 1}, 1: {"v": 11}}
    with pytest.raises(ValueError, match="seed 0 is in two files"):
        edges_report.load([files[0], files[0]], "edges_2d")
    with pytest.raises(ValueError, match="uncommitted"):
        edges_report.load([write("d.json", [2], ["bce"], dirty=["shapeloss/x.py"])], "edges_2d")
    with pytest.raises(ValueError, match="settings differ"):
        edges_report.load([files[0], write("e.json", [2], ["bce"], lr=1.0)], "edges_2d")
    assert edges_report.load([tmp_path / "missing.json"], "edges_2d") is None


def test_arms_with_fewer_seeds_than_shapeloss_are_not_ranked_but_named():
    data = _data()
    data["2d"]["per_seed"]["hausdorff_er"] = {0: _rec(1.0, 1.0, 0.0)}  # best on one seed only
    rows = edges_report.rows(data)
    assert all(r["use"] != "hausdorff_er" and r["rival"] != "hausdorff_er" for r in rows)
    assert "Hausdorff ER (kornia) ran on seed(s) 0 only and is not ranked" in edges_report.decision_table(data)


def test_arms_table_lists_every_arm_with_its_interval_and_names_partial_arms():
    data = _data()
    data["2d"]["per_seed"]["hausdorff_er"] = {0: _rec(1.0, 1.0, 0.0)}
    lines = edges_report.arms_table(data).splitlines()
    header = lines[0].split(" | ")
    assert lines[0].startswith("| 2D arm |") and len(header) == 1 + sum(d == "2d" for _, d, *_ in edges_report.SITUATIONS)
    body = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert set(body) == {"BCE", "BCE + soft clDice (MONAI)", "**ShapeLoss**", "BCE + Hausdorff ER (kornia) (seed(s) 0 only)"}
    # the first column is the faint F1 at the tuned threshold: bce's seeds 0.99, 0.98, 0.985
    assert body["BCE"].split(" | ")[1].startswith("0.985 [")
    assert body["BCE + Hausdorff ER (kornia) (seed(s) 0 only)"].split(" | ")[1] == "1.000"  # one seed: no interval


def test_docs_edges_arms_table_matches_the_committed_results():
    text = edges_report.DOC.read_text()
    assert edges_report.replace_block(text, edges_report.ARMS_NAME, edges_report.render_arms()) == text


def test_committed_1d_results_rank_every_1d_arm_on_every_seed():
    """The 1D decision table weighs ShapeLoss against every 1D arm the benchmark has, none left partial."""
    import _edges_train

    merged = edges_report.load([edges_report.RESULTS / n for n in edges_report.FILES["1d"]], "edges_1d")
    if merged is None:
        pytest.skip("no 1D rival result JSON committed yet")
    assert set(merged["per_seed"]) == set(_edges_train.ARMS_1D)
    assert edges_report.partial_arms(merged) == {} and merged["seeds"] == [0, 1, 2]
