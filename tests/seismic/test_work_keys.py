"""The seismic benchmark's work-folder keys must not change: cached checkpoints under
``~/.cache/shapeloss/seismic_s_phase/seismic_s_phase_<data>_<key>/`` are reused by the same command.

The expected names were computed by the benchmark's code at commit 7f54cfe (before it was split
into modules); ``seismic_s_phase_synthetic_422933a6d5`` is the folder docs/seismic.md names for
the default (quick) runs.
"""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks._seismic_cli import parse_args  # noqa: E402
from benchmarks._seismic_work import run_settings, tradeoff_key, work_root  # noqa: E402

ZIGGURAT = '{"noise_draw": "ziggurat"}'


def folder(argv: list[str]) -> str:
    args = parse_args(argv + ["--device", "cpu"])
    return work_root(args, run_settings(args)).name


@pytest.mark.parametrize("argv, expected", [
    ([], "seismic_s_phase_synthetic_422933a6d5"),
    (["--seeds", "0", "1", "2"], "seismic_s_phase_synthetic_422933a6d5"),  # seeds share the folder
    (["--arms", "all"], "seismic_s_phase_synthetic_422933a6d5"),  # arms are added to a finished seed
    (["--d-every", "1", "--threads", "1", "--workers", "2", "--no-figures"], "seismic_s_phase_synthetic_422933a6d5"),
    (["--paper"], "seismic_s_phase_synthetic_65f3851f8e"),
    (["--paper", "--schedule", "branch", "--seeds", "2", "--synthetic", ZIGGURAT], "seismic_s_phase_synthetic_07ce06c0dc"),
    (["--d-every", "2"], "seismic_s_phase_synthetic_2854f2560f"),
    (["--adam-betas", "study"], "seismic_s_phase_synthetic_e8b6d3132f"),
    (["--synthetic", '{"emergent_s_jitter": 0}'], "seismic_s_phase_synthetic_49e5fef1b6"),
])
def test_work_folder_names_are_those_of_earlier_runs(argv, expected):
    assert folder(argv) == expected


def test_the_device_and_the_legacy_draw_leave_the_key_alone():
    """A run started on a GPU resumes on a CPU; the draw from before ``noise_draw`` existed keys as before."""
    assert folder(["--paper"]) == folder(["--paper", "--device", "cpu"])
    assert folder(["--synthetic", ZIGGURAT]) != folder([])  # the generator's windows differ: a new folder
    assert folder(["--paper", "--synthetic", ZIGGURAT]) != folder(["--paper"])


def test_settings_that_change_the_training_change_the_key():
    base = folder([])
    for argv in (["--steps", "2601"], ["--weight", "100"], ["--discriminator", "patch"], ["--lr", "0.002"],
                 ["--output-prior", "none"], ["--batch-size", "16"]):
        assert folder(argv) != base, argv


def _tradeoff(branch_at: int = 2000, critic_steps: int = 600, eval_windows: int = 500, synthetic: str = "{}",
              warmup: str | None = None) -> str:
    """critic_tradeoff.py's key for seed 0, from the options it passes to the seismic benchmark."""
    args = parse_args(["--seeds", "0", "--steps", str(branch_at + critic_steps), "--branch-at", str(branch_at), "--device", "cpu",
                       "--threads", "1", "--eval-windows", str(eval_windows), "--synthetic", synthetic, "--no-figures"])
    return tradeoff_key(args, warmup, critic_steps)


def test_critic_tradeoff_folder_keys_are_those_of_earlier_runs(tmp_path):
    """Computed by critic_tradeoff.py's own key function at commit 7f54cfe."""
    assert _tradeoff() == "ff06952c51"
    assert _tradeoff(3, 2, 8) == "941f7ef3a2"
    assert _tradeoff(synthetic=ZIGGURAT) == "fde89ec871"  # the legacy draw keys as the folders made before --synthetic
    assert _tradeoff(synthetic='{"emergent_s_jitter": 0}') == "bc90e78388"
    checkpoint = tmp_path / "warmup.pt"
    checkpoint.write_bytes(b"weights")
    assert _tradeoff(warmup=str(checkpoint)) not in ("ff06952c51", _tradeoff(warmup=__file__))
