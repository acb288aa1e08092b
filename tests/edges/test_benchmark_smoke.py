"""A few steps of the synthetic-edge benchmark (1D and 2D) writing its JSON."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_edges_benchmark_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location("synthetic_edges", ROOT / "benchmarks" / "synthetic_edges.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "edges.json"
    mod.main(["--smoke", "--figure-dir", str(tmp_path), "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["command"].startswith("python benchmarks/synthetic_edges.py --smoke")
    assert set(result["edges_1d"]["summary"]) >= {"bce", "weighted_bce", "cdf_l1", "soft_argmax", "boundary", "shapeloss"}
    assert set(result["edges_2d"]["summary"]) == {"bce", "shapeloss"}
    assert (tmp_path / "edges_1d_examples.png").exists() and (tmp_path / "edges_2d_examples.png").exists()
    # every 1D arm, the older ones (CDF-L1, soft-argmax, boundary) included, gets the tuned and
    # threshold-free measures of the decision table
    for arm, records in result["edges_1d"]["per_seed"].items():
        tuned = records[0]["tuned"]
        assert 0 < tuned["threshold"] < 1, arm
        for key in ("val_f1", "f1", "best_f1", "average_precision", "hausdorff_missing_share"):
            assert 0 <= tuned[key] <= 1, (arm, key)
        assert tuned["f1"] <= tuned["best_f1"] + 1e-12, arm  # the test-set best bounds the tuned threshold's F1
        assert "hausdorff_median" in tuned and "residual_std" in tuned, arm
