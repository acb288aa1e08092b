"""Training one arm of the seismic benchmark: its trainer (loss, critic, optimizers), the network,
predictions, the effective-pick curve on dev windows, resuming from its checkpoint, and the
time estimate printed before a run."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks._seismic_common import BETAS, THRESHOLD, TOLERANCE
from benchmarks._seismic_data import EvalSet
from benchmarks.seismic_arms import ArmSpec, arm_specs, base_loss, training_data
from shapeloss import ShapeLoss, label_prior, step_loader
from shapeloss.discriminators import build_discriminator
from shapeloss.metrics import best_peak_near_labels, effective_detections
from shapeloss.runs import Progress
from shapeloss.seed import get_rng_state, seed_everything, set_rng_state
from shapeloss.seismic import PhaseNet
from shapeloss.training import AdversarialTrainer


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
