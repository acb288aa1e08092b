"""A few steps of the ECG benchmark, on LUDB when present and on the synthetic fallback."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("ecg_delineation", ROOT / "benchmarks" / "ecg_delineation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("extra", [[], ["--synthetic"]])
def test_ecg_benchmark_smoke(tmp_path, extra, capsys):
    out = tmp_path / "ecg.json"
    _load().main(["--smoke", "--no-figures", "--out", str(out), *extra])
    result = json.loads(out.read_text())
    assert result["command"].startswith("python benchmarks/ecg_delineation.py --smoke")
    assert set(result["summary"]) == {"bce", "shapeloss"}
    assert set(result["summary"]["bce"]) == {"P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"}
    if extra:
        assert "synthetic" in result["data"]
