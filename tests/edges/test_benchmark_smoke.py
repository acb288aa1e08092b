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
