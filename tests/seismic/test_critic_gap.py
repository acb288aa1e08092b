"""The docs' critic-score table reads the end of the ShapeLoss arm's logged critic scores."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks._seismic_baselines import critic_gap_rows  # noqa: E402


def _run(seed, scores, schedule="branch"):
    log = [{"step": s, "base": 0.1} for s in range(0, 40, 10)]  # warm-up rows: no critic scores
    log += [{"step": 100 + i, "real_score": r, "fake_score": f, "discriminator": r - f} for i, (r, f) in enumerate(scores)]
    return {"seed": seed, "schedule": schedule, "arms": {"shapeloss": {"losses": log}}}


def test_rows_use_the_last_quarter_of_the_critic_rows_only():
    early = [(9.0, -9.0)] * 6  # a separating critic early on ...
    late = [(0.5, 0.25), (0.75, 0.25)]  # ... and the last quarter (2 of 8 critic rows)
    report = {"runs": [_run(3, early + late), _run(4, [(1.0, 1.0)] * 4, schedule="scratch")]}
    assert critic_gap_rows(report, "s") == ["| s | 3 | +0.625 | +0.250 | 0.375 | 0.375 |"]


def test_a_run_without_critic_scores_gives_no_row():
    assert critic_gap_rows({"runs": [_run(0, [])]}, "s") == []
