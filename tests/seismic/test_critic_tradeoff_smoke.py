"""A tiny run of benchmarks/critic_tradeoff.py (the numbers mean nothing), and its critic specs."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tradeoff():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import critic_tradeoff

    return critic_tradeoff


def test_tiny_run_writes_json_with_a_d_every_arm(tradeoff, tmp_path):
    report = tradeoff.main([
        "--seeds", "0", "--critics", "light", "light:2", "--branch-at", "3", "--critic-steps", "2",
        "--eval-windows", "8", "--threads", "1", "--work-dir", str(tmp_path / "w"),
        "--out", str(tmp_path / "t.json"), "--figure", str(tmp_path / "t.png"),
    ])
    saved = json.loads((tmp_path / "t.json").read_text())
    assert set(saved["runs"][0]["arms"]) == {"bce", "light", "light:2"}
    assert len(list((tmp_path / "w").glob("seed0_*/light_d2_shapeloss.pt"))) == 1
    assert (tmp_path / "t.png").exists() and report["summary"]["light:2"]["S_ratio_per_seed"]


def test_critic_specs(tradeoff):
    import argparse

    parser = argparse.ArgumentParser()
    assert tradeoff._spec("compact", parser) == ("compact", 1)
    assert tradeoff._spec("compact:4", parser) == ("compact", 4)
    with pytest.raises(SystemExit):
        tradeoff._spec("compact:0", parser)
    with pytest.raises(SystemExit):
        tradeoff._spec("compact:x", parser)


def test_one_warmup_checkpoint_per_seed(tradeoff, tmp_path):
    with pytest.raises(SystemExit):
        tradeoff.main(["--seeds", "0", "1", "--warmup-checkpoint", str(tmp_path / "w.pt"),
                       "--out", str(tmp_path / "t.json"), "--figure", str(tmp_path / "t.png")])
    assert not (tmp_path / "t.json").exists()
