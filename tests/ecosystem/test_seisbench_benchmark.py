"""The seismic benchmark reads a SeisBench dataset on disk (built here; nothing is downloaded)."""

import sys
from pathlib import Path

import pytest

pytest.importorskip("seisbench", reason="needs the seismic extra: pip install 'shapeloss[seismic]'")

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_data_from_seisbench_folder(tmp_path):
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(Path(__file__).parent))
    from benchmarks._seismic_cli import parse_args
    from benchmarks._seismic_data import make_data
    from test_seisbench_adapter import _write_tiny_dataset

    folder = tmp_path / "tiny"
    _write_tiny_dataset(folder)
    args = parse_args(["--data", str(folder), "--batch-size", "2", "--crops-per-trace", "2"])
    assert args.data_kind == "seisbench"
    train, dev, ev = make_data(args, seed=0)
    assert len(dev.inputs) == 2 and len(ev.inputs) == 2  # one dev and one test trace, 2 crops each
    x, y = train(0)
    assert x.shape == (2, 3, 3001) and y.shape == (2, 3, 3001)
