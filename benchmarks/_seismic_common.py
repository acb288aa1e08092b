"""The seismic S-phase benchmark's fixed settings: phases, the effective-pick threshold and band,
the presets and Adam betas; and the number format and device name its reports share."""

from __future__ import annotations

import math
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PHASES = ("P", "S")
THRESHOLD, BAND, TOLERANCE, PICK_DISTANCE = 0.7, (0.3, 0.7), 10, 100
# Adam betas: the benchmark's defaults (usual GAN practice) or the reference study's (0, 0.999) for both nets.
BETAS = {"default": {"generator": (0.9, 0.999), "critic": (0.5, 0.999)},
         "study": {"generator": (0.0, 0.999), "critic": (0.0, 0.999)}}

PRESETS = {
    # One seed, branch schedule: a shared BCE warm-up, then 600 steps with and without the critic.
    "quick": dict(schedule="branch", seeds=[0], steps=2600, branch_at=2000, batch_size=32,
                  eval_windows=500, dev_windows=200),
    # The reference study's budget, for a GPU: both schedules, three seeds.
    "paper": dict(schedule="both", seeds=[0, 1, 2], steps=10000, branch_at=7500, batch_size=100,
                  eval_windows=1000, dev_windows=500),
}


def device_name(device: str) -> str:
    """``cpu`` or the GPU's name (e.g. 'NVIDIA H200')."""
    return torch.cuda.get_device_name(device) if str(device).startswith("cuda") else str(device)


def fmt(x, spec=".2f") -> str:
    """``x`` formatted with ``spec``; ``n/a`` for None or NaN, ``unbounded`` for an infinity."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "unbounded"
    return format(x, spec)
