"""The throughput benchmark's smoke run writes its JSON (timings are never asserted)."""

import json
import sys

import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_throughput_smoke(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import throughput

    out = tmp_path / "t.json"
    result = throughput.main(["--smoke", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["command"].startswith("python ")
    rows = {r["preset"]: r for r in saved["training"]}
    assert set(rows) == {"bce_only", "light"}
    assert all(r["generator_forwards_per_step"] == 1 for r in rows.values())
    # the phases are timed inside the trainer's own steps (the shared adversarial_step), through
    # its phase hook: every phase of the step, and the critic's only where there is a critic
    from shapeloss.adversarial_step import PHASES

    assert list(rows["light"]["phase_seconds"]) == list(PHASES)
    assert list(rows["bce_only"]["phase_seconds"]) == [p for p in PHASES if not p.startswith("critic")]
    assert all(r["phase_split_steps"] == 2 for r in rows.values())  # real steps ran (the counter moved)
    assert all(v > 0 for r in rows.values() for v in r["phase_seconds"].values())
    # the paired ratio is the median of step-by-step ratios against the BCE twin, one per timed step
    light = rows["light"]
    assert len(light["paired_ratios"]) == len(light["step_times"]) == 2
    assert light["paired_ratio_to_bce"] == pytest.approx(sorted(light["paired_ratios"])[0] / 2 + sorted(light["paired_ratios"])[1] / 2)
    # each bound is the BCE step plus the critic's own passes, and each verdict is that bound
    # (with 5 % slack) against the measured step: recomputed from the recorded parts
    light, bce = rows["light"], rows["bce_only"]
    assert light["bce_twin_seconds_per_step"] > 0 and light["critic_own_passes_seconds"] > 0
    bounds = {
        "within_bound": bce["seconds_per_step"] + light["critic_own_passes_seconds"],
        "within_bound_paired": light["bce_twin_seconds_per_step"] + light["critic_own_passes_seconds"],
        "within_bound_in_step": bce["seconds_per_step"] + light["critic_passes_in_step_seconds"],
    }
    recorded = {"within_bound": "bound_bce_plus_critic", "within_bound_paired": "bound_twin_plus_critic",
                "within_bound_in_step": "bound_bce_plus_critic_in_step"}
    for verdict, bound in bounds.items():
        assert light[recorded[verdict]] == pytest.approx(bound, rel=1e-12)
        assert light[verdict] is (light["seconds_per_step"] <= 1.05 * bound)
    assert light["ratio_to_bce"] == pytest.approx(light["seconds_per_step"] / bce["seconds_per_step"], rel=1e-12)
    assert "within_bound_in_step" not in rows["bce_only"]
    assert saved["data"]["synthetic_windows_per_second"] > 0
    assert result["training"][0]["batch_size"] == 2
    for workers in (1, 2):
        assert saved["data"][f"synthetic_loader_{workers}_workers_windows_per_second"] > 0
        assert saved["data"][f"synthetic_loader_{workers}_workers_over_training"] > 0
    for name in ("edges_1d", "edges_2d", "ecg_crops"):
        other = saved["data"]["other_domains"][name]
        assert other["windows_per_second"] > 0 and other["over_training"] > 0
    if sys.platform.startswith("linux"):  # the rerun with glibc keeping freed memory
        kept = {r["preset"]: r for r in saved["training_malloc_keep"]}
        assert set(kept) == {"bce_only", "light"}
        assert all(r["speedup_over_default_malloc"] > 0 and "MALLOC_TRIM_THRESHOLD_" in r["malloc_env"] for r in kept.values())
