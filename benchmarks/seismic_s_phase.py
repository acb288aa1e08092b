#!/usr/bin/env python
"""S-phase amplitude suppression: a PhaseNet picker trained with BCE alone vs BCE inside ShapeLoss.

Two arms start from the same seed and the same initial weights and see the same batches:

* ``bce``: point-wise binary cross-entropy on P, S and noise (independent sigmoids);
* ``shapeloss``: the same BCE wrapped in :class:`shapeloss.ShapeLoss` with a conditional critic
  (lambda = ``--weight``, 4000 as in the reference study).

Schedules: ``scratch`` trains both arms from step 0 (the reference study); ``branch`` trains a
shared BCE warm-up until ``--branch-at``, then one arm adds the critic (cheaper and controlled).

The held-out windows are scored by :mod:`shapeloss.metrics`: effective detections (best predicted
peak >= 0.7 within 10 samples of the label peak), the suppression band (best peak in
[0.3, 0.7)), precision / recall / F1 at 0.5 and at the dev-chosen threshold, residuals, and the
ratio of effective picks between the arms with a 95 % bootstrap interval over windows
(synthetic) or traces (real data).

Usage::

    python benchmarks/seismic_s_phase.py                 # --quick: one seed, branch (prints its own time estimate)
    python benchmarks/seismic_s_phase.py --paper --device cuda
    python benchmarks/seismic_s_phase.py --data ncedc --schedule both --seeds 0 1 2
    python benchmarks/seismic_s_phase.py --data /path/to/phasenet_npz_folder

A run interrupted at any point is resumed by running the same command again (checkpoints live
in ``--work-dir``; ``--fresh`` starts over). Results and figures go to a run folder
(``runs/seismic_s_phase/<timestamp>/``, or ``--run-dir`` / ``--out``); ``--publish`` (maintainers)
refreshes the committed ``benchmarks/results/seismic_s_phase_<data>_<preset>.*`` instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the arms' modules beside this script, as benchmarks.<name>

from benchmarks import seismic_threshold_free as tfree  # noqa: E402
from benchmarks.seismic_arms import (  # noqa: E402
    ALL_ARMS, BASELINES, DEFAULT_ARMS, LIBRARY_ARMS, MOONSHOT_ARMS, ArmSpec, arm_specs, base_loss,
    missing_libraries, post_map, training_data,
)
from shapeloss import Calibration, ShapeLoss, label_prior, step_loader  # noqa: E402
from shapeloss.discriminators import build_discriminator
from shapeloss.runs import Progress, add_run_arguments, format_duration, parse_checked, run_folder, threads_applied
from shapeloss.metrics import (
    best_peak_near_labels,
    bootstrap_ratio,
    effective_detections,
    pick_metrics,
    suppression_report,
    threshold_sweep,
)
from shapeloss.seed import get_rng_state, seed_everything, set_rng_state
from shapeloss.seismic import (
    DEFAULT_NCEDC_PATH,
    NpzBatches,
    gaussian_labels,
    PhaseNet,
    SyntheticBatches,
    AnalystSPicks,
    SyntheticConfig,
    jitter_s_picks,
    load_phasenet_folder,
    random_crops,
    split_by_trace,
    synthetic_windows,
)
from shapeloss.training import AdversarialTrainer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _provenance import device_info  # noqa: E402  (what each run trained on, recorded at run time)

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


# --------------------------------------------------------------------------- data


@dataclasses.dataclass
class EvalSet:
    """Held-out windows: inputs (N, 3, L), labels (N, 3, L), the unit (window or trace) of each
    window for the bootstrap, optional boolean subsets (e.g. emergent S), and labels at the true
    picks where they differ from the training-style ones (synthetic onsets, catalogue picks)."""

    inputs: np.ndarray
    labels: np.ndarray
    units: np.ndarray
    subsets: dict[str, np.ndarray]
    truth: np.ndarray | None = None


def make_data(args: argparse.Namespace, seed: int):
    """Training batches ``step -> (inputs, labels)``, the dev set and the evaluation set."""
    if args.data_kind == "synthetic":
        config = SyntheticConfig(**args.synthetic)
        train = SyntheticBatches(args.batch_size, seed=seed, config=config)

        def held_out(n: int, stream: int) -> EvalSet:
            w = synthetic_windows(n, np.random.default_rng([10**6 + stream, seed]), config)
            return EvalSet(w.waveforms, w.labels, np.arange(n),
                           {"emergent_S": ~w.s_impulsive, "impulsive_S": w.s_impulsive},
                           gaussian_labels(w.p_onset, w.s_onset, config.length))

        return train, held_out(args.dev_windows, 1), held_out(args.eval_windows, 2)

    membership = None
    if args.data_kind == "seisbench":
        from shapeloss.seismic.seisbench_adapter import load_seisbench_splits

        given = load_seisbench_splits(args.data_path)  # the dataset's own split column, where it has one
        traces = given["train"] + given["dev"] + given["test"]
        membership = {t.name: k for k, group in given.items() for t in group}
    else:
        traces = load_phasenet_folder(args.data_path)
    emergent_names: set[str] = set()
    sampler = None
    if args.label_jitter:
        # Evaluation: one perturbed pick per trace, the same for every seed (the dataset's analyst).
        originals = {t.name: t for t in traces}
        traces, emergent = jitter_s_picks(traces, seed=0)
        emergent_names = {t.name for t, e in zip(traces, emergent) if e}
    splits = split_by_trace(traces) if membership is None else {
        k: [t for t in traces if membership[t.name] == k] for k in ("train", "dev", "test")}
    if args.label_jitter and args.label_jitter_per_window:
        # Training: a fresh pick for every window of an emergent trace (analysts who disagree).
        train_traces = [originals[t.name] for t in splits["train"]]
        sampler = AnalystSPicks(train_traces, np.array([t.name in emergent_names for t in train_traces]))
        train = NpzBatches(train_traces, args.batch_size, seed=seed, s_pick_sampler=sampler)
    else:
        train = NpzBatches(splits["train"], args.batch_size, seed=seed)

    def crops(group: list, stream: int) -> EvalSet:
        rng = np.random.default_rng([10**6 + stream, seed])
        idx = np.repeat(np.arange(len(group)), args.crops_per_trace)
        x, y, starts = random_crops(group, idx, rng)
        subsets = {"single_component": np.array([group[i].components == 1 for i in idx])}
        truth = None
        if args.label_jitter:
            subsets["emergent_S"] = np.array([group[i].name in emergent_names for i in idx])
            subsets["impulsive_S"] = ~subsets["emergent_S"]
            # the catalogue's own picks in the same windows
            truth = gaussian_labels(np.array([group[i].itp for i in idx]) - starts,
                                    np.array([originals[group[i].name].its for i in idx]) - starts, x.shape[-1])
        return EvalSet(x, y, idx, subsets, truth)

    return train, crops(splits["dev"], 1), crops(splits["test"], 2)


# --------------------------------------------------------------------------- training


def make_trainer(args, model, spec: ArmSpec | bool, path: Path, seed: int, log: Path, callbacks=()):
    if isinstance(spec, bool):  # adversarial or not, with the benchmark's critic
        spec = ArmSpec(critic=args.discriminator if spec else None)
    base = base_loss(spec)
    if spec.critic is not None:
        seed_everything(seed + 7919)  # the critic's initial weights, the same for both schedules
        critic = build_discriminator(spec.critic, 3, 3, dims=1, length=args.length)
        loss = ShapeLoss(base, critic, weight=args.weight, validate=False)
        d_opt = torch.optim.Adam(critic.parameters(), lr=args.d_lr, betas=BETAS[args.adam_betas]["critic"])
    else:
        loss = ShapeLoss(base, None, adversarial=False, validate=False)
        d_opt = None
    g_opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=BETAS[args.adam_betas]["generator"])
    return AdversarialTrainer(
        model, loss, g_opt, d_opt, device=args.device, checkpoint_path=path,
        checkpoint_every=args.checkpoint_every if path is not None else None, log_path=log, callbacks=callbacks, progress=False,
        d_every=args.d_every,
    )


@torch.no_grad()
def predict(model: torch.nn.Module, inputs: np.ndarray, device: str, batch: int = 64) -> np.ndarray:
    """Sigmoid probabilities (N, 3, L) in eval mode."""
    was = model.training
    model.eval()
    out = []
    for i in range(0, len(inputs), batch):
        x = torch.from_numpy(inputs[i : i + batch]).to(device)
        out.append(torch.sigmoid(model(x).float()).cpu().numpy())
    model.train(was)
    return np.concatenate(out)


class CurveRecorder:
    """Every ``every`` steps: effective P and S picks on a fixed subset of the dev windows."""

    def __init__(self, dev: EvalSet, every: int, n: int, device: str, path: Path) -> None:
        self.x, self.y = dev.inputs[:n], dev.labels[:n]
        self.every, self.device, self.path = every, device, path

    def __call__(self, trainer: AdversarialTrainer, metrics: dict) -> None:
        step = trainer.step_count
        if step % self.every:
            return
        p = predict(trainer.model, self.x, self.device)
        eff = effective_detections(p[:, :2], self.y[:, :2], THRESHOLD, TOLERANCE)
        s_heights = best_peak_near_labels(p[:, 1:2], self.y[:, 1:2], TOLERANCE).height
        row = {"step": step, "effective_P": int(eff[0]), "effective_S": int(eff[1]),
               "median_S_height": float(np.median(s_heights)) if s_heights.size else None}
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a log, later rows replacing earlier ones of the same step (a resumed run)."""
    if not path.exists():
        return []
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[int(row["step"])] = row
    return [rows[k] for k in sorted(rows)]


def new_model(args, dev: EvalSet) -> PhaseNet:
    """A PhaseNet whose output bias starts at the label prior (``--output-prior labels``, measured on
    the dev windows) or at PyTorch's default (``none``)."""
    prior = label_prior(torch.from_numpy(dev.labels)).clamp(1e-4, 1 - 1e-4) if args.output_prior == "labels" else None
    return PhaseNet(output_prior=prior)


def train_arm(args, arm: str, start: dict | None, seed: int, data, dev: EvalSet, work: Path, until: int,
              tracked: np.ndarray | None = None):
    """Train one arm to ``until`` steps, resuming from its own checkpoint when there is one.

    ``start`` (model and generator-optimizer state plus the step) seeds a fresh arm: the
    initial weights (scratch) or the warm-up's end (branch).
    """
    seed_everything(seed)
    model = new_model(args, dev)
    # "warmup" and the scratch schedule's "scratch_*" names train as BCE / ShapeLoss
    spec = arm_specs(args.discriminator).get(arm) or ArmSpec(critic=args.discriminator if arm.endswith("shapeloss") else None)
    data = training_data(spec, data)
    ckpt = work / f"{arm}.pt"
    curves = CurveRecorder(dev, args.curve_every, args.curve_windows, args.device, work / f"{arm}_curve.jsonl")
    bar: Progress | None = None  # made once the starting step is known; one line per arm when not on a terminal

    def show(t: AdversarialTrainer, m: dict) -> None:
        if bar is not None:
            loss = m.get("total", m.get("base"))
            bar.update(t.step_count, {"loss": loss} if loss is not None else None)

    trainer = make_trainer(args, model, spec, ckpt, seed, work / f"{arm}_log.jsonl", callbacks=[curves, show])
    if ckpt.exists() and not args.fresh:
        trainer.load_checkpoint(ckpt)
        print(f"  {arm}: resumed at step {trainer.step_count}", flush=True)
    elif start is not None:
        model.load_state_dict(start["model"])
        trainer.g_optimizer.load_state_dict(start["g_optimizer"])
        trainer.step_count = int(start["step"])
    if tracked is not None:
        trainer.track(torch.from_numpy(tracked), every=args.track_every)
    if trainer.step_count == 0 or (start is not None and trainer.step_count == int(start["step"])):
        curves(trainer, {})
    t0 = time.perf_counter()
    first = trainer.step_count
    if trainer.step_count < until:
        # workers > 0: the batches are made ahead in worker processes, the same ones in the same order
        source = data if not args.workers else step_loader(
            data, trainer.step_count, until, workers=args.workers, pin_memory=args.device.startswith("cuda"))
        with Progress(until, initial=trainer.step_count, desc=f"{work.name} {arm}", enabled=args.progress) as bar:
            trainer.fit(source, until)
    elapsed = time.perf_counter() - t0
    steps_run = trainer.step_count - first
    history = [(s, h[:, 1].astype(np.float16)) for s, h in trainer.history]
    return trainer, {"seconds": elapsed, "steps_run": steps_run,
                     "seconds_per_step": elapsed / steps_run if steps_run else None}, history


# --------------------------------------------------------------------------- evaluation


def per_unit_hits(pred: np.ndarray, ev: EvalSet, channel: int) -> np.ndarray:
    """Effective picks of one phase summed per bootstrap unit (window or trace)."""
    near = best_peak_near_labels(pred[:, channel : channel + 1], ev.labels[:, channel : channel + 1], TOLERANCE)
    per_window = np.bincount(near.batch[near.height >= THRESHOLD], minlength=len(ev.inputs))
    return np.bincount(ev.units, weights=per_window).astype(np.int64)


def evaluate(pred: np.ndarray, dev_pred: np.ndarray, ev: EvalSet, dev: EvalSet) -> dict:
    """Everything the table and the JSON report for one arm."""
    report = suppression_report(pred[:, :2], ev.labels[:, :2], THRESHOLD, BAND, TOLERANCE, channel_names=PHASES)
    out = {"suppression": report.to_dict(), "phases": {}}
    picks05 = pick_metrics(pred[:, :2], ev.labels[:, :2], 0.5, TOLERANCE, PICK_DISTANCE, channel_names=PHASES)
    picks07 = pick_metrics(pred[:, :2], ev.labels[:, :2], 0.7, TOLERANCE, PICK_DISTANCE, channel_names=PHASES)
    sweep_dev = threshold_sweep(dev_pred[:, :2], dev.labels[:, :2], tolerance=TOLERANCE, distance=PICK_DISTANCE, channel_names=PHASES)
    sweep = threshold_sweep(pred[:, :2], ev.labels[:, :2], tolerance=TOLERANCE, distance=PICK_DISTANCE, channel_names=PHASES)
    for c, phase in enumerate(PHASES):
        f1_dev = np.nan_to_num(sweep_dev[phase]["f1"], nan=-1.0)
        best = float(sweep_dev[phase]["thresholds"][int(np.argmax(f1_dev))])
        at_best = pick_metrics(pred[:, c : c + 1], ev.labels[:, c : c + 1], best, TOLERANCE, PICK_DISTANCE)["0"]
        heights = report.heights[c]
        out["phases"][phase] = {
            "n_labels": int(report.n_labels[c]),
            "effective": int(report.effective[c]),
            "effective_share": float(report.effective_share[c]),
            "band_share": float(report.band_share[c]),
            "median_height": float(np.median(heights)) if heights.size else None,
            "at_0.5": picks05[phase],
            "at_0.7": picks07[phase],
            "dev_threshold": best,
            "at_dev_threshold": at_best,
            "sweep": {k: [None if not math.isfinite(v) else float(v) for v in sweep[phase][k]] for k in sweep[phase]},
        }
    for name, mask in ev.subsets.items():
        if mask.any():
            sub = suppression_report(pred[mask][:, 1:2], ev.labels[mask][:, 1:2], THRESHOLD, BAND, TOLERANCE)
            out.setdefault("subsets", {})[name] = {
                "n_labels": int(sub.n_labels[0]), "effective": int(sub.effective[0]),
                "effective_share": float(sub.effective_share[0]), "band_share": float(sub.band_share[0]),
                "median_height": float(np.median(sub.heights[0])) if sub.heights[0].size else None,
            }
    out["hits"] = {phase: per_unit_hits(pred, ev, c).tolist() for c, phase in enumerate(PHASES)}
    return out


def steps_to_half(curve: list[dict], key: str) -> int | None:
    """First step at which ``key`` reaches half of its final value (the end of an early plateau)."""
    if not curve or not curve[-1].get(key):
        return None
    half = 0.5 * curve[-1][key]
    return next((int(r["step"]) for r in curve if r[key] >= half), None)


def compare(bce: dict, sl: dict) -> dict:
    """Ratios ShapeLoss / BCE of effective picks with 95 % bootstrap intervals over units."""
    out = {}
    for phase in PHASES:
        ratio, low, high = bootstrap_ratio(sl["hits"][phase], bce["hits"][phase], n_boot=2000, seed=0)
        b, s = bce["phases"][phase], sl["phases"][phase]
        out[phase] = {
            "effective_ratio": ratio, "ci95": [low, high],
            "band_share_ratio": (s["band_share"] / b["band_share"]) if b["band_share"] else None,
        }
    return out


# --------------------------------------------------------------------------- one seed


def run_seed(args, seed: int, schedule: str, data, dev: EvalSet, ev: EvalSet, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    done = work / "result.json"
    if done.exists() and not args.fresh:
        result = json.loads(done.read_text())
        if all(a in result["arms"] for a in args.arms) and "threshold_free" in result:
            print(f"seed {seed} {schedule}: already done ({done})", flush=True)
            return result
        return add_arms(args, result, seed, schedule, data, dev, ev, work)
    tracked = ev.inputs[: args.tracked_windows]
    seed_everything(seed)
    init = {"model": new_model(args, dev).state_dict(), "step": 0}
    arms, timing, histories, models = {}, {}, {}, {}
    print(f"seed {seed} {schedule}: training", flush=True)

    if schedule == "branch":
        warm, timing["warmup"], _ = train_arm(args, "warmup", None, seed, data, dev, work, args.branch_at)
        start = {"model": warm.model.state_dict(), "g_optimizer": warm.g_optimizer.state_dict(), "step": warm.step_count}
        del warm
    else:
        start = None
    for arm in ("bce", "shapeloss"):
        if start is None:  # scratch: the same initial weights, a fresh optimizer
            seed_everything(seed)
            fresh = new_model(args, dev)
            fresh.load_state_dict(init["model"])
            fresh_opt = torch.optim.Adam(fresh.parameters(), lr=args.lr, betas=BETAS[args.adam_betas]["generator"])
            st = {"model": fresh.state_dict(), "g_optimizer": fresh_opt.state_dict(), "step": 0}
        else:
            st = start
        trainer, timing[arm], histories[arm] = train_arm(args, arm, st, seed, data, dev, work, args.steps, tracked)
        models[arm] = trainer.model

    print(f"seed {seed} {schedule}: evaluating on {len(ev.inputs)} windows", flush=True)
    preds = {arm: predict(models[arm], ev.inputs, args.device) for arm in models}
    for arm in models:
        dev_pred = predict(models[arm], dev.inputs, args.device)
        arms[arm] = evaluate(preds[arm], dev_pred, ev, dev)
        curve = read_jsonl(work / f"{arm}_curve.jsonl")
        if schedule == "branch":
            curve = read_jsonl(work / "warmup_curve.jsonl") + [r for r in curve if r["step"] > args.branch_at]
        arms[arm]["curve"] = curve
        arms[arm]["steps_to_half"] = {p: steps_to_half(curve, f"effective_{p}") for p in PHASES}
        log = read_jsonl(work / f"{arm}_log.jsonl")
        if schedule == "branch":
            log = [r for r in read_jsonl(work / "warmup_log.jsonl") if r["step"] <= args.branch_at] + [r for r in log if r["step"] > args.branch_at]
        arms[arm]["losses"] = thin(log, 200)
    result = {"seed": seed, "schedule": schedule, "arms": arms, "comparison": compare(arms["bce"], arms["shapeloss"]),
              "timing": timing, "device": device_name(args.device), "device_info": device_info(args.device),
              "command": args.command, "commit": args.commit}
    np.savez_compressed(work / "predictions.npz", **{arm: preds[arm][: args.figure_windows].astype(np.float16) for arm in preds},
                        inputs=ev.inputs[: args.figure_windows], labels=ev.labels[: args.figure_windows])
    np.savez_compressed(work / "tracked.npz", **{f"{arm}_steps": np.array([s for s, _ in h]) for arm, h in histories.items()},
                        **{f"{arm}_S": np.stack([p for _, p in h]) if h else np.zeros(0) for arm, h in histories.items()},
                        labels=ev.labels[: args.tracked_windows, 1], inputs=tracked)
    done.write_text(json.dumps(result))
    return add_arms(args, result, seed, schedule, data, dev, ev, work)


def add_arms(args, result: dict, seed: int, schedule: str, data, dev: EvalSet, ev: EvalSet, work: Path) -> dict:
    """The requested arms beyond ``bce`` and ``shapeloss`` (see ``benchmarks/seismic_arms.py``),
    trained from the same start, and the threshold-free measures of every arm; saved with the seed."""
    specs = arm_specs(args.discriminator)
    wanted = [a for a in args.arms if a not in result["arms"]]
    if schedule != "branch":
        wanted = [a for a in wanted if not specs[a].trained]  # trained baselines branch from the warm-up
    models = {}
    if wanted:
        start = None
        if schedule == "branch":
            warm, _, _ = train_arm(args, "warmup", None, seed, data, dev, work, args.branch_at)  # resumes: no steps
            start = {"model": warm.model.state_dict(), "g_optimizer": warm.g_optimizer.state_dict(), "step": warm.step_count}
        for arm in ["bce", "shapeloss"] + wanted:
            if arm in ("bce", "shapeloss") or specs[arm].trained:
                trainer, timing, _ = train_arm(args, arm, start, seed, data, dev, work, args.steps)
                models[arm] = trainer.model
                if arm in wanted:
                    result["timing"][arm] = timing
    preds = {arm: (predict(m, ev.inputs, args.device), predict(m, dev.inputs, args.device)) for arm, m in models.items()}
    bce = result["arms"]["bce"]
    for arm in wanted:
        pred, dev_pred = preds["bce"] if not specs[arm].trained else preds[arm]
        if not specs[arm].trained:
            thresholds = {ph: bce["phases"][ph]["dev_threshold"] for ph in PHASES}
            cal = post_map(specs[arm], dev_pred, dev.labels, thresholds)
            pred, dev_pred = cal(pred).astype(np.float32), cal(dev_pred).astype(np.float32)
        result["arms"][arm] = evaluate(pred, dev_pred, ev, dev)
        if not specs[arm].trained:
            result["arms"][arm]["calibration"] = cal.to_dict()
        preds[arm] = (pred, dev_pred)
        print(f"  {arm}: evaluated", flush=True)
    result.setdefault("comparison_vs_bce", {})
    for arm in result["arms"]:
        if arm != "bce":
            result["comparison_vs_bce"][arm] = compare(bce, result["arms"][arm])
    # threshold-free measures: per-unit pick counts of every arm (saved beside the checkpoints)
    missing = [a for a in result["arms"] if not (work / f"counts_{a}.npz").exists() or args.fresh]
    if missing:
        for arm in missing:
            if arm not in preds:
                spec = specs.get(arm, ArmSpec())
                trainer, _, _ = train_arm(args, arm if spec.trained else "bce", None, seed, data, dev, work, args.steps)
                pair = (predict(trainer.model, ev.inputs, args.device), predict(trainer.model, dev.inputs, args.device))
                if not spec.trained:
                    cal = Calibration.from_dict(result["arms"][arm]["calibration"])
                    pair = (cal(pair[0]).astype(np.float32), cal(pair[1]).astype(np.float32))
                preds[arm] = pair
            tfree.save_counts(work / f"counts_{arm}.npz", preds[arm][0], preds[arm][1], ev, dev, TOLERANCE, PICK_DISTANCE, PHASES)
    result["threshold_free"] = {arm: tfree.seed_summary(work / f"counts_{arm}.npz", PHASES) for arm in result["arms"]}
    result["counts_files"] = {arm: str(work / f"counts_{arm}.npz") for arm in result["arms"]}
    (work / "result.json").write_text(json.dumps(result))
    return result


def thin(rows: list[dict], n: int) -> list[dict]:
    """About ``n`` rows, each the mean of a block of consecutive steps (keeps the curve readable)."""
    if len(rows) <= n:
        return rows
    size = int(math.ceil(len(rows) / n))
    out = []
    for i in range(0, len(rows), size):
        block = rows[i : i + size]
        keys = {k for r in block for k in r if isinstance(r[k], (int, float))}
        out.append({k: float(np.mean([r[k] for r in block if k in r])) for k in keys})
        out[-1]["step"] = int(block[-1]["step"])
    return out


# --------------------------------------------------------------------------- report


def summarise(results: list[dict]) -> dict:
    """Per schedule: mean / min / max over seeds of the headline numbers, and the target checks."""
    out = {}
    for schedule in sorted({r["schedule"] for r in results}):
        rs = [r for r in results if r["schedule"] == schedule]
        rows = {}
        for key, get in {
            "effective_S_bce": lambda r: r["arms"]["bce"]["phases"]["S"]["effective"],
            "effective_S_shapeloss": lambda r: r["arms"]["shapeloss"]["phases"]["S"]["effective"],
            "effective_P_bce": lambda r: r["arms"]["bce"]["phases"]["P"]["effective"],
            "effective_P_shapeloss": lambda r: r["arms"]["shapeloss"]["phases"]["P"]["effective"],
            "S_ratio": lambda r: r["comparison"]["S"]["effective_ratio"],
            "P_ratio": lambda r: r["comparison"]["P"]["effective_ratio"],
            "S_share_shapeloss": lambda r: r["arms"]["shapeloss"]["phases"]["S"]["effective_share"],
            "S_band_bce": lambda r: r["arms"]["bce"]["phases"]["S"]["band_share"],
            "S_band_shapeloss": lambda r: r["arms"]["shapeloss"]["phases"]["S"]["band_share"],
        }.items():
            values = np.array([get(r) for r in rs], dtype=float)
            rows[key] = {"per_seed": values.tolist(), "mean": float(np.mean(values)),
                         "min": float(np.min(values)), "max": float(np.max(values))}
        checks = {
            "S_ratio_at_least_1.64": all(r["comparison"]["S"]["effective_ratio"] >= 1.64 for r in rs),
            "S_effective_share_at_least_25pct": all(r["arms"]["shapeloss"]["phases"]["S"]["effective_share"] >= 0.25 for r in rs),
            "P_ratio_at_least_0.97": all(r["comparison"]["P"]["effective_ratio"] >= 0.97 for r in rs),
            "S_band_share_at_most_half": all(
                r["arms"]["shapeloss"]["phases"]["S"]["band_share"] <= 0.5 * r["arms"]["bce"]["phases"]["S"]["band_share"] for r in rs),
        }
        out[schedule] = {"seeds": [r["seed"] for r in rs], "summary": rows, "synthetic_targets": checks}
    return out


def fmt(x, spec=".2f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "unbounded"
    return format(x, spec)


def print_table(results: list[dict]) -> None:
    head = f"{'schedule':8} {'seed':>4} {'arm':17} {'eff P':>6} {'eff S':>6} {'S share':>7} {'S band':>7} {'S med':>6} {'F1 S@.5':>7} {'F1 S@dev':>8} {'S res MAE':>9}"
    print(head)
    print("-" * len(head))
    for r in results:
        for arm in [a for a in ALL_ARMS if a in r["arms"]]:
            a = r["arms"][arm]["phases"]
            print(f"{r['schedule']:8} {r['seed']:>4} {arm:17} {a['P']['effective']:>6} {a['S']['effective']:>6} "
                  f"{fmt(a['S']['effective_share']):>7} {fmt(a['S']['band_share']):>7} {fmt(a['S']['median_height']):>6} "
                  f"{fmt(a['S']['at_0.5']['f1']):>7} {fmt(a['S']['at_dev_threshold']['f1']):>8} {fmt(a['S']['at_0.5']['residual_mae'], '.1f'):>9}")
        c = r["comparison"]
        print(f"{'':8} {'':>4} {'ratio':10} P {fmt(c['P']['effective_ratio'])} [{fmt(c['P']['ci95'][0])}, {fmt(c['P']['ci95'][1])}]"
              f"   S {fmt(c['S']['effective_ratio'])} [{fmt(c['S']['ci95'][0])}, {fmt(c['S']['ci95'][1])}]")
        for name, sub in r["arms"]["bce"].get("subsets", {}).items():
            s2 = r["arms"]["shapeloss"]["subsets"][name]
            print(f"{'':8} {'':>4} {name:10} S effective {sub['effective']}/{sub['n_labels']} -> {s2['effective']}/{s2['n_labels']}, "
                  f"band {fmt(sub['band_share'])} -> {fmt(s2['band_share'])}, median {fmt(sub['median_height'])} -> {fmt(s2['median_height'])}")


# --------------------------------------------------------------------------- figures


def figures(args, results: list[dict], folder: Path, stem: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"bce": "tab:blue", "shapeloss": "tab:red"}
    written = []
    first = {s: next(r for r in results if r["schedule"] == s) for s in sorted({r["schedule"] for r in results})}

    def save(fig, name):
        path = folder / f"{stem}_{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=72)
        plt.close(fig)
        written.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))

    # 1. Peak-height histograms per arm and phase.
    fig, axes = plt.subplots(len(first), 2, figsize=(10, 3.2 * len(first)), squeeze=False)
    for row, (schedule, r) in enumerate(first.items()):
        for c, phase in enumerate(PHASES):
            ax = axes[row, c]
            for arm in ("bce", "shapeloss"):
                h = r["arms"][arm]["suppression"]["channels"][phase]["heights"]
                ax.hist(h, bins=np.linspace(0, 1, 21), alpha=0.55, color=colors[arm],
                        label=f"{arm} (effective {r['arms'][arm]['phases'][phase]['effective']})")
            ax.axvspan(*BAND, color="0.9", zorder=-1)
            ax.axvline(THRESHOLD, color="k", ls="--", lw=1)
            ax.set(title=f"{phase} ({schedule}, seed {r['seed']})", xlabel="best predicted peak within 10 samples of the label", ylabel="label peaks")
            ax.legend(fontsize=8)
    save(fig, "histograms")

    # 2. Example windows with both arms' predictions; 3. tracked S predictions over training.
    for schedule, r in first.items():
        work = Path(args.work_root) / f"seed{r['seed']}_{schedule}"
        pred = np.load(work / "predictions.npz")
        n = min(4, len(pred["inputs"]))
        fig, axes = plt.subplots(n, 1, figsize=(11, 2.4 * n), squeeze=False)
        for i in range(n):
            ax = axes[i, 0]
            x = pred["inputs"][i]
            for k in range(3):
                ax.plot(0.3 * x[k] + 1.6 + 0.7 * k, lw=0.4, color="0.5")
            ax.plot(pred["labels"][i, 0], color="k", lw=1, ls=":", label="P / S labels")
            ax.plot(pred["labels"][i, 1], color="k", lw=1, ls=":")
            for arm in ("bce", "shapeloss"):
                ax.plot(pred[arm][i, 0].astype(float), color=colors[arm], lw=0.8, ls="--")
                ax.plot(pred[arm][i, 1].astype(float), color=colors[arm], lw=1.2, label=f"{arm} (S solid, P dashed)")
            ax.axhline(THRESHOLD, color="k", lw=0.5)
            ax.set_ylim(-0.05, 3.3)
            if i == 0:
                ax.legend(fontsize=7, loc="upper right")
        axes[-1, 0].set_xlabel("sample (100 Hz)")
        save(fig, f"examples_{schedule}")

        tr = np.load(work / "tracked.npz")
        if tr["shapeloss_S"].size:
            n = min(3, tr["labels"].shape[0])
            fig, axes = plt.subplots(n, 2, figsize=(11, 2.2 * n), squeeze=False)
            for j, arm in enumerate(("bce", "shapeloss")):
                steps, s = tr[f"{arm}_steps"], tr[f"{arm}_S"].astype(float)
                if not s.size:  # an arm resumed after it had finished has no tracked history
                    axes[0, j].set_title(f"{arm}: no tracked history in this invocation", fontsize=8)
                    continue
                cmap = plt.get_cmap("viridis")
                for i in range(n):
                    ax = axes[i, j]
                    centre = int(np.argmax(tr["labels"][i]))
                    lo, hi = max(0, centre - 300), centre + 300
                    for k in range(0, len(steps), max(1, len(steps) // 12)):
                        ax.plot(np.arange(lo, min(hi, s.shape[-1])), s[k, i, lo:hi], color=cmap(k / max(1, len(steps) - 1)), lw=0.8)
                    ax.plot(np.arange(lo, min(hi, s.shape[-1])), tr["labels"][i, lo:hi], "k:", lw=1)
                    ax.axhline(THRESHOLD, color="k", lw=0.5)
                    ax.set_title(f"{arm}: S over steps {int(steps[0])}-{int(steps[-1])} (dark to light)", fontsize=8)
            save(fig, f"tracked_{schedule}")

    # 4. Training curves: losses and effective picks on dev windows.
    fig, axes = plt.subplots(len(first), 2, figsize=(11, 3.2 * len(first)), squeeze=False)
    for row, (schedule, r) in enumerate(first.items()):
        for arm in ("bce", "shapeloss"):
            loss = r["arms"][arm]["losses"]
            axes[row, 0].plot([x["step"] for x in loss], [x.get("base", np.nan) for x in loss], color=colors[arm], label=f"{arm} BCE")
            curve = r["arms"][arm]["curve"]
            for phase, ls in (("P", "--"), ("S", "-")):
                axes[row, 1].plot([x["step"] for x in curve], [x[f"effective_{phase}"] for x in curve], color=colors[arm], ls=ls,
                                  label=f"{arm} {phase}")
        axes[row, 0].set(yscale="log", xlabel="step", ylabel="BCE", title=f"training loss ({schedule})")
        axes[row, 1].set(xlabel="step", ylabel=f"effective picks ({args.curve_windows} dev windows)", title=f"effective picks ({schedule})")
        for ax in axes[row]:
            if schedule == "branch":
                ax.axvline(args.branch_at, color="0.6", lw=0.8)
            ax.legend(fontsize=7)
    save(fig, "curves")

    # 5. Precision-recall over thresholds, per arm, for S.
    fig, axes = plt.subplots(1, len(first), figsize=(5 * len(first), 3.6), squeeze=False)
    for j, (schedule, r) in enumerate(first.items()):
        ax = axes[0, j]
        for arm in ("bce", "shapeloss"):
            for phase, ls in (("P", "--"), ("S", "-")):
                sw = r["arms"][arm]["phases"][phase]["sweep"]
                ax.plot(np.array(sw["recall"], dtype=float), np.array(sw["precision"], dtype=float), color=colors[arm], ls=ls, marker=".",
                        label=f"{arm} {phase}")
        ax.set(xlabel="recall", ylabel="precision", title=f"thresholds 0.05-0.95 ({schedule})")
        ax.legend(fontsize=7)
    save(fig, "precision_recall")
    return written


# --------------------------------------------------------------------------- main


def _without_legacy_draw(values: dict) -> dict:
    """``values`` without ``noise_draw`` where it is ``"ziggurat"``, the only draw before the field
    existed: work folders made before it stay valid for the windows they were trained on."""
    return {k: v for k, v in values.items() if (k, v) != ("noise_draw", "ziggurat")}


def keyed_synthetic_config(args: argparse.Namespace) -> dict | None:
    """The synthetic generator's settings as work folders are keyed by (``None`` for real data)."""
    if args.data_kind != "synthetic":
        return None
    return _without_legacy_draw(dataclasses.asdict(SyntheticConfig(**args.synthetic)))


#: :func:`keyed_synthetic_config` of the generator's defaults before ``noise_draw`` existed.
LEGACY_SYNTHETIC_KEY = _without_legacy_draw(dataclasses.asdict(SyntheticConfig(noise_draw="ziggurat")))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="one seed, branch schedule, about 20 min on 2 CPU cores (default)")
    preset.add_argument("--paper", action="store_true", help="10,000 steps, batch 100, three seeds, both schedules (for a GPU)")
    p.add_argument("--data", default="synthetic", help="synthetic | ncedc | a folder of PhaseNet npz files | seisbench:<name> or a SeisBench dataset folder (already on disk)")
    p.add_argument("--schedule", choices=["scratch", "branch", "both"])
    p.add_argument("--seeds", type=int, nargs="+")
    p.add_argument("--steps", type=int, help="total steps per arm")
    p.add_argument("--branch-at", type=int, help="branch schedule: steps of shared BCE warm-up")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--weight", type=float, default=4000.0, help="lambda, the BCE weight inside ShapeLoss (4000)")
    p.add_argument("--discriminator", default="compact", help="critic preset: compact (default: the study's layout on 4x pooled inputs, see docs/performance.md) | reference (the study's critic) | global | patch | light")
    p.add_argument("--d-every", type=int, default=1, help="update the critic on every k-th step only (1: every step)")
    p.add_argument("--lr", type=float, default=1e-3, help="generator learning rate (Adam)")
    p.add_argument("--d-lr", type=float, default=1e-3, help="critic learning rate (Adam, betas 0.5, 0.999)")
    p.add_argument("--output-prior", choices=["labels", "none"], default="labels",
                   help="initial output bias: the logit of the mean dev label per channel (labels, default) or PyTorch's default (none)")
    p.add_argument("--adam-betas", choices=sorted(BETAS), default="default",
                   help="Adam betas: default (net 0.9, 0.999; critic 0.5, 0.999) or study (0, 0.999 for both, as the reference study)")
    p.add_argument("--workers", type=int, default=0,
                   help="worker processes making training batches ahead (0: in the training process)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--eval-windows", type=int)
    p.add_argument("--dev-windows", type=int)
    p.add_argument("--label-jitter", action="store_true",
                   help="real data: perturb S picks of emergent onsets (lowest STA/LTA half) like analysts disagree")
    p.add_argument("--label-jitter-per-window", action="store_true",
                   help="with --label-jitter: draw the training S pick of emergent traces afresh for every window")
    p.add_argument("--crops-per-trace", type=int, default=10, help="real data: evaluation crops per trace")
    p.add_argument("--curve-every", type=int, default=250)
    p.add_argument("--curve-windows", type=int, default=128)
    p.add_argument("--track-every", type=int, default=50)
    p.add_argument("--tracked-windows", type=int, default=4)
    p.add_argument("--figure-windows", type=int, default=8)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--synthetic", type=json.loads, default={}, help='SyntheticConfig overrides as JSON, e.g. \'{"emergent_s_jitter": 0}\'')
    p.add_argument("--work-dir", default=str(Path.home() / ".cache" / "shapeloss" / "seismic_s_phase"))
    add_run_arguments(p, publish="benchmarks/results/seismic_s_phase_<data>_<preset>.json and its figures")
    p.add_argument("--arms", nargs="+", default=list(DEFAULT_ARMS),
                   help=f"arms to run: any of {', '.join(ALL_ARMS)}, or 'baselines' (all but the moonshots and focal), 'moonshots', 'all' "
                        f"(default: {' '.join(DEFAULT_ARMS)}; bce and shapeloss always run; see benchmarks/seismic_arms.py)")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    p.add_argument("--no-figures", action="store_true")
    args = parse_checked(p, argv)

    groups = {"all": ALL_ARMS, "moonshots": MOONSHOT_ARMS,
              "baselines": tuple(a for a in ALL_ARMS if a not in MOONSHOT_ARMS + LIBRARY_ARMS)}
    arms = ["bce", "shapeloss"]
    for a in args.arms:
        if a not in ALL_ARMS and a not in groups:
            p.error(f"--arms: expected arms among {list(ALL_ARMS)} or {sorted(groups)}, got {a!r}")
        arms += [x for x in groups.get(a, (a,)) if x not in arms]
    for message in missing_libraries(arms):
        p.error(message)
    args.arms = arms
    name = "paper" if args.paper else "quick"
    custom = any(getattr(args, k) is not None for k in ("steps", "branch_at", "batch_size", "seeds", "schedule", "eval_windows", "dev_windows"))
    for key, value in PRESETS[name].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.preset = name if not custom else f"{name}-custom"
    if args.schedule == "branch" and not 0 < args.branch_at < args.steps:
        p.error(f"--branch-at: expected 0 < branch-at < steps ({args.steps}), got {args.branch_at}")
    if args.d_every < 1:
        p.error(f"--d-every: expected an integer >= 1, got {args.d_every}")
    if args.workers < 0:
        p.error(f"--workers: expected an integer >= 0, got {args.workers}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available")

    if args.data == "synthetic":
        args.data_kind, args.data_path = "synthetic", None
    elif args.data.startswith("seisbench:") or (Path(args.data) / "metadata.csv").is_file():
        # a SeisBench dataset already on disk: "seisbench:<name>" in SeisBench's cache, or its folder
        args.data_kind, args.data_path = "seisbench", args.data
    else:
        path = Path(args.data if args.data != "ncedc" else ROOT / DEFAULT_NCEDC_PATH)
        if path.is_dir():
            args.data_kind, args.data_path = "npz", path.resolve()
        elif args.data == "ncedc":
            print(f"No NCEDC sample at {path}: using synthetic data (pass --data <folder of PhaseNet npz files> for your own).")
            args.data_kind, args.data_path = "synthetic", None
        else:
            p.error(f"--data: expected synthetic, ncedc or an existing folder of PhaseNet npz files, got {args.data!r}")
    args.length = SyntheticConfig(**args.synthetic).length if args.data_kind == "synthetic" else 3001
    return args


def estimate_seconds(args: argparse.Namespace, data, dev: EvalSet, runs: int, probe_steps: int = 3) -> float:
    """Seconds that ``runs`` (seed, schedule) runs should take on this machine: the first steps of
    each arm and a forward pass over dev windows are timed now, on throwaway copies (the RNG state
    is restored, so the run itself is unchanged), behind a progress bar of their own."""
    rng = get_rng_state()
    bar = Progress(2 * (probe_steps + 1), desc="timing the first steps", enabled=args.progress, quiet=False)
    try:
        per_step = {}
        for adversarial in (False, True):
            trainer = make_trainer(args, new_model(args, dev), adversarial, None, 0, None)
            trainer.step(data(0))  # the first step pays one-off costs
            bar.update(bar.n + 1)
            t0 = time.perf_counter()
            for k in range(1, probe_steps + 1):
                trainer.step(data(k))
                bar.update(bar.n + 1)
            per_step[adversarial] = (time.perf_counter() - t0) / probe_steps
        n = min(32, len(dev.inputs))
        t0 = time.perf_counter()
        predict(trainer.model, dev.inputs[:n], args.device)
        per_window = (time.perf_counter() - t0) / n
    finally:
        bar.close()
        set_rng_state(rng)
    critic_steps = args.steps - args.branch_at if args.schedule == "branch" else args.steps
    mean_steps = critic_steps if args.schedule != "both" else (args.steps + args.steps - args.branch_at) / 2
    curves = (args.steps + mean_steps) / args.curve_every
    one = (args.steps * per_step[False] + mean_steps * per_step[True]
           + per_window * (curves * args.curve_windows + 2 * (len(dev.inputs) + args.eval_windows)))
    return runs * one


def run(argv: list[str] | None = None) -> dict:
    """Run the benchmark; returns the JSON-ready result (also written to disk)."""
    args = parse_args(argv)
    with threads_applied(args.threads) as args.threads:
        return _run(args, argv)


def _run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    started = time.perf_counter()
    load_start = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    commit = args.commit = _git_commit()  # the code this run starts with
    command = "python benchmarks/seismic_s_phase.py" + ("" if not argv else " " + shlex.join(argv))
    if argv is None:
        command = "python benchmarks/seismic_s_phase.py" + ("" if len(sys.argv) == 1 else " " + shlex.join(sys.argv[1:]))
    args.command = command  # recorded with each seed's result: a later invocation may only summarise it
    data_tag = "synthetic" if args.data_kind == "synthetic" else ("ncedc" if args.data == "ncedc" else ("seisbench" if args.data_kind == "seisbench" else "npz"))
    if args.label_jitter and args.data_kind != "synthetic":
        data_tag += "_jitter_per_window" if args.label_jitter_per_window else "_jitter"
    stem = Path(args.out).stem if args.out else f"seismic_s_phase_{data_tag}_{args.preset}"
    # a user's run writes into its own folder; the committed evidence is refreshed only with --publish
    if args.out:
        out = Path(args.out).resolve()
    else:
        out = (RESULTS if args.publish else run_folder("seismic_s_phase", args.run_dir).resolve()) / f"{stem}.json"
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                if k not in ("work_dir", "fresh", "no_figures", "progress", "out", "threads", "quick", "paper", "seeds", "workers",
                             "command", "commit", "run_dir", "publish")}
    # Checkpoints are reused only by a run with the same settings and the same data generator.
    # The device is left out too: a run started on a GPU can be resumed or summarised on a CPU.
    # Options added later are keyed only away from their defaults, so that older folders stay valid.
    later_defaults = {"d_every": 1}
    keyed = dict({k: v for k, v in settings.items() if k not in ("preset", "device", "arms") and later_defaults.get(k, object()) != v},
                 synthetic_config=keyed_synthetic_config(args))
    keyed["synthetic"] = _without_legacy_draw(args.synthetic)  # the overrides, keyed alike
    key = hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:10]
    # The folder is named by the data and the settings, not by the preset's name, so that e.g.
    # "--seeds 0 1 2" reuses the default run's seed 0.
    args.work_root = str(Path(args.work_dir) / f"seismic_s_phase_{data_tag}_{key}")
    schedules = ["scratch", "branch"] if args.schedule == "both" else [args.schedule]
    print(f"{command}\n{args.preset}: data {data_tag}, schedules {schedules}, seeds {args.seeds}, {args.steps} steps"
          f"{f' (branch at {args.branch_at})' if 'branch' in schedules else ''}, batch {args.batch_size}, lambda {args.weight:g}, "
          f"critic {args.discriminator}, device {args.device}; checkpoints in {args.work_root}", flush=True)

    results = []
    first_data = make_data(args, args.seeds[0])
    pending = [(seed, s) for seed in args.seeds for s in schedules
               if args.fresh or not (Path(args.work_root) / f"seed{seed}_{s}" / "result.json").exists()]
    if pending:
        seconds = estimate_seconds(args, first_data[0], first_data[1], len(pending))
        print(f"expected time on this machine: about {format_duration(seconds)} for {len(pending)} run(s) "
              f"(from timing a few steps of each arm now; less when resuming from checkpoints)", flush=True)
    for seed in args.seeds:
        data, dev, ev = first_data if seed == args.seeds[0] else make_data(args, seed)
        for schedule in schedules:
            results.append(run_seed(args, seed, schedule, data, dev, ev, Path(args.work_root) / f"seed{seed}_{schedule}"))
    print_table(results)
    threshold_free = tfree.pooled(results, PHASES)
    tfree.print_table(threshold_free, PHASES)
    wall = time.perf_counter() - started
    report = {
        "benchmark": "seismic_s_phase",
        "command": command,
        "preset": args.preset,
        "settings": settings,
        "data": data_tag,
        "synthetic_config": dataclasses.asdict(SyntheticConfig(**args.synthetic)) if args.data_kind == "synthetic" else None,
        "environment": {
            "device": device_name(args.device), "device_info": device_info(args.device),
            "threads": args.threads, "torch": torch.__version__, "python": platform.python_version(),
            "commit": commit, "cpu_count": os.cpu_count(),
            # other jobs sharing the CPU slow a run down: the 1/5/15-min load averages at the start and end
            "load_average_start": load_start, "load_average_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "wall_seconds_this_invocation": wall,
        # where each seed was trained (an invocation may only summarise runs made elsewhere, e.g. on a GPU)
        "run_devices": sorted({str(r.get("device")) for r in results}),
        "run_commands": sorted({str(r.get("command")) for r in results}),
        "summary": summarise(results),
        # precision-recall measures of every arm pooled over seeds, and the critic arms' gains over the best baseline
        "threshold_free": threshold_free,
        "runs": results,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    if not args.no_figures:
        report["figures"] = figures(args, results, out.parent, stem)
        if args.publish:  # the docs show some of these figures: their copies are refreshed too
            for written in map(Path, report["figures"]):
                twin = ROOT / "docs" / "figures" / written.name
                if twin.is_file():
                    shutil.copyfile(written if written.is_absolute() else ROOT / written, twin)
    out.write_text(json.dumps(report, indent=1, default=_json_default))
    print(f"wrote {out}" + ("" if args.publish or args.out else " (pass --publish to refresh the committed results instead)"))
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min) on {report['environment']['device']}")
    return report


def device_name(device: str) -> str:
    """``cpu`` or the GPU's name (e.g. 'NVIDIA H200')."""
    return torch.cuda.get_device_name(device) if str(device).startswith("cuda") else str(device)


def _json_default(x):
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    return str(x)


def _git_commit() -> str | None:
    if os.environ.get("SHAPELOSS_GIT_COMMIT"):  # a copy of the tree without .git (e.g. on a GPU host)
        return os.environ["SHAPELOSS_GIT_COMMIT"]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "shapeloss", "benchmarks/seismic_s_phase.py",
                                "benchmarks/seismic_arms.py", "benchmarks/seismic_threshold_free.py"],
                               cwd=ROOT, capture_output=True, text=True, timeout=5).stdout.strip()
        return sha + ("-dirty" if dirty else "") if sha else None
    except (OSError, subprocess.SubprocessError):
        return None


if __name__ == "__main__":
    run()
