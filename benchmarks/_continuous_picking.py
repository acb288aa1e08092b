"""Arms of benchmarks/seismic_continuous.py: checkpoints, post-hoc calibration, continuous picking.

An arm is a PhaseNet checkpoint of benchmarks/seismic_s_phase.py, optionally followed by a
monotone calibration (:func:`shapeloss.fit_calibration`) fitted on the benchmark's dev windows of
the same seed. Every arm picks every record with :func:`shapeloss.seismic.annotate` once, at the
lowest threshold of the grid; the picks at higher thresholds are the candidates above them
(see :mod:`shapeloss.operating_points`). Candidates are cached per checkpoint and record set.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks._seismic_train import predict
from shapeloss.checkpoint import load_checkpoint
from shapeloss.metrics import find_peaks
from shapeloss.seismic import PhaseNet, SyntheticConfig, annotate, load_phasenet_folder, random_crops, split_by_trace, synthetic_windows

PICKED = ("P", "S")


@dataclass
class Arm:
    name: str
    seed: int
    checkpoint: Path
    calibration: str | None = None  # a fit_calibration method applied after the net
    stored: dict | None = None  # or a calibration stored by benchmarks/seismic_s_phase.py (Calibration.to_dict)


def load_picker(path: Path, device: str = "cpu") -> PhaseNet:
    state = load_checkpoint(path, map_location=device)
    model = PhaseNet()
    model.load_state_dict(state["model"])
    return model.to(device).eval()


def dev_windows(data: str, seed: int, synthetic: dict, ncedc_path: str | None, jitter: bool) -> tuple[np.ndarray, np.ndarray]:
    """The dev windows of benchmarks/seismic_s_phase.py for a seed (quick preset: 200 synthetic
    windows, or 10 crops of each NCEDC dev trace), where calibrations are fitted."""
    if data == "synthetic":
        w = synthetic_windows(200, np.random.default_rng([10**6 + 1, seed]), SyntheticConfig(**synthetic))
        return w.waveforms, w.labels
    from shapeloss.seismic import jitter_s_picks

    traces = load_phasenet_folder(ncedc_path)
    if jitter:
        traces = jitter_s_picks(traces, seed=0)[0]
    dev = split_by_trace(traces)["dev"]
    x, y, _ = random_crops(dev, np.repeat(np.arange(len(dev)), 10), np.random.default_rng([10**6 + 1, seed]))
    return x, y


def stored_calibration(d: dict):
    from shapeloss.calibration import Calibration

    if hasattr(Calibration, "from_dict"):
        return Calibration.from_dict(d)
    return Calibration(d["method"], tuple(d["params"]))


def fit_arm_calibration(arm: Arm, model: PhaseNet, dev: tuple[np.ndarray, np.ndarray], device: str):
    """The seismic benchmark's own fit (isotonic on the dev windows' predictions, default tolerance)."""
    from shapeloss.calibration import fit_calibration

    return fit_calibration(predict(model, dev[0], device), dev[1], method=arm.calibration)


def _cache_key(arm: Arm, set_key: dict, settings: dict) -> str:
    stat = arm.checkpoint.stat()
    blob = json.dumps({"checkpoint": str(arm.checkpoint.resolve()), "size": stat.st_size, "mtime": stat.st_mtime_ns,
                       "calibration": arm.calibration, "stored": arm.stored, "set": set_key, **settings}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def pick_set(arm: Arm, model: PhaseNet, calibration, record_set, set_key: dict, cache: Path | None,
             lowest: float, min_distance: int, device: str) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per group: ``{phase: (positions, scores)}`` of every peak ``>= lowest`` at least
    ``min_distance`` apart (on the calibrated trace when the arm has a calibration)."""
    settings = {"lowest": lowest, "min_distance": min_distance, "version": 1}
    path = None if cache is None else cache / f"{_cache_key(arm, set_key, settings)}.npz"
    if path is not None and path.exists():
        with np.load(path) as f:
            return [{p: (f[f"{g}_{p}_pos"], f[f"{g}_{p}_score"]) for p in PICKED} for g in range(len(record_set.groups))]
    out = []
    for group in record_set.groups:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # annotate's notes on zero-filled components
            ann = annotate(group.waveforms, model, sampling_rate=100.0, threshold=lowest, min_distance=min_distance, device=device)
        probs = ann.probabilities
        if calibration is not None:
            probs = np.asarray(calibration(np.clip(probs, 0.0, 1.0)[None].astype(np.float64)))[0]
        picks = {}
        for c, phase in enumerate(PICKED):
            pos = find_peaks(probs[c], height=lowest, distance=min_distance)
            picks[phase] = (pos, probs[c][pos].astype(np.float64))
        out.append(picks)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.npz")
        np.savez_compressed(tmp, **{f"{g}_{p}_{k}": v for g, picks in enumerate(out) for p in PICKED
                                    for k, v in zip(("pos", "score"), picks[p])})
        os.replace(tmp, path)
    return out
