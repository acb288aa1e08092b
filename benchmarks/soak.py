"""Fault-injection soak: NaN gradients, non-finite batches, a critic that wins outright, SIGKILL; resumed each time.

A tiny adversarial run (a two-layer conv net, a small critic, 8 windows of 64
samples a batch) under ``on_nonfinite="skip"``. The faults are a function of
the draw index (``data(draw)``, ``draw = step + skipped``), so a resumed run meets
exactly the faults an uninterrupted one meets:

* ``nan-gradient``: the base loss is finite but its gradient is NaN (skipped by
  the trainer's gradient check, after the critic's step);
* ``nan-inputs`` / ``inf-target``: a non-finite batch (skipped before any step);
* ``critic-wins``: for a stretch of draws the critic scores every real label +30
  and every prediction -30 (the divergence watch must warn; nothing may turn NaN).

A worker process trains, checkpointing every ``--checkpoint-every`` steps; the
driver SIGKILLs it at random points (every other one just as a checkpoint is
being written, so some land mid-save), starts it again from
the checkpoint, and finally compares the weights with an uninterrupted run in
this process: they must be equal bit for bit (CPU). Timings are recorded, never
asserted.

Run: ``python benchmarks/soak.py`` (2,000 steps, 8 kills, 1 thread); ``--steps 40
--kills 1`` is the fast version the test suite runs. Writes ``soak_seed<N>.json`` to
a run folder (``runs/soak/<timestamp>/``; ``--run-dir``, ``--out``; ``--publish``
refreshes ``benchmarks/results/soak_seed<N>.json``); the checkpoints live in a
temporary folder removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._provenance import device_info, provenance  # noqa: E402
from benchmarks._results import write_json  # noqa: E402

from shapeloss import AdversarialTrainer, GlobalCritic, ShapeLoss, load_checkpoint, seed_everything  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

SKIP_KINDS = ("nan-gradient", "nan-inputs", "inf-target")


class _NanGrad(torch.autograd.Function):
    """Identity forward, NaN backward: a finite loss with a non-finite gradient."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # noqa: ANN001
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # noqa: ANN001
        return grad * float("nan")


class FaultyBCE(nn.Module):
    """BCE with logits whose gradient is NaN while ``poisoned`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.poisoned = False

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        if self.poisoned:
            logits = _NanGrad.apply(logits)
        return nn.functional.binary_cross_entropy_with_logits(logits, target)


class FaultyCritic(nn.Module):
    """A small critic that, while ``winning`` is set, scores real labels +30 and predictions -30."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = GlobalCritic(1, 1, width=8, depth=2)
        self.winning = False

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        scores = self.inner(label, condition)
        if not self.winning:
            return scores
        real = (label.amax(dim=tuple(range(1, label.ndim))) == 1.0).to(scores.dtype)  # real labels peak at exactly 1
        return scores * 0 + 30.0 * (2 * real - 1).view(-1, *([1] * (scores.ndim - 1)))


def fault_schedule(steps: int, seed: int, rate: float) -> dict[int, str]:
    """``{draw: kind}``: skip faults at random draws (kinds in turn), and the critic's winning stretch."""
    rng = np.random.default_rng(seed)
    total = int(steps * (1 + 2 * rate)) + 10
    draws = np.flatnonzero(rng.random(total) < rate)
    faults = {int(d): SKIP_KINDS[i % len(SKIP_KINDS)] for i, d in enumerate(draws)}
    start, length = steps // 4, max(12, steps // 10)
    for d in range(start, start + length):
        faults.setdefault(d, "critic-wins")
    return faults


def build(seed: int, faults: dict[int, str], **kw: object) -> AdversarialTrainer:
    seed_everything(seed)
    net = nn.Sequential(nn.Conv1d(1, 8, 9, padding=4), nn.ReLU(), nn.Conv1d(8, 1, 9, padding=4))
    base, critic = FaultyBCE(), FaultyCritic()
    loss = ShapeLoss(base, critic, weight=10.0)
    trainer = AdversarialTrainer(
        net, loss, torch.optim.Adam(net.parameters(), 1e-3, betas=(0.0, 0.999)),
        torch.optim.Adam(critic.parameters(), 1e-3, betas=(0.0, 0.999)),
        on_nonfinite="skip", divergence_window=8, progress=False, **kw,  # type: ignore[arg-type]
    )

    def data(draw: int) -> tuple[Tensor, Tensor, Tensor]:
        g = torch.Generator().manual_seed(1000 + draw)
        centre = torch.randint(10, 54, (8, 1, 1), generator=g)
        t = torch.arange(64).view(1, 1, -1)
        target = torch.exp(-0.5 * ((t - centre) / 3.0) ** 2)
        inputs = (t >= centre).float() + 0.1 * torch.randn(8, 1, 64, generator=g)
        kind = faults.get(draw)
        base.poisoned, critic.winning = kind == "nan-gradient", kind == "critic-wins"
        if kind == "nan-inputs":
            inputs[0, 0, draw % 64] = float("nan")
        elif kind == "inf-target":
            target[1, 0, draw % 64] = float("inf")
        return inputs, target, inputs.clone()

    trainer.soak_data = data  # type: ignore[attr-defined]
    return trainer


def weights(trainer: AdversarialTrainer) -> list[Tensor]:
    return [p.detach().clone() for p in list(trainer.model.parameters()) + list(trainer.loss.parameters())]


def worker(args: argparse.Namespace) -> None:
    """One training process: resume from the checkpoint if there is one, announce each step."""
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    faults = fault_schedule(args.steps, args.seed, args.rate)
    trainer = build(args.seed, faults, checkpoint_path=args.ckpt, checkpoint_every=args.checkpoint_every)
    if os.path.exists(args.ckpt):
        trainer.load_checkpoint(args.ckpt)
    pause = args.pause
    trainer.callbacks.append(lambda tr, m: (print("STEP", tr.step_count, flush=True), pause and time.sleep(pause)))
    trainer.fit(trainer.soak_data, steps=args.steps)  # type: ignore[attr-defined]
    torch.save({"weights": weights(trainer), "skipped": trainer.skipped}, args.ckpt + ".final")


def run_soak(steps: int, kills: int, seed: int, workdir: Path, checkpoint_every: int = 25,
             rate: float = 0.03, pause: float = 0.0, threads: int = 1) -> dict:
    """Kill-and-resume run vs an uninterrupted one; returns the measurements."""
    workdir.mkdir(parents=True, exist_ok=True)
    ckpt = str(workdir / "soak.pt")
    for stale in (ckpt, ckpt + ".prev", ckpt + ".final"):
        Path(stale).unlink(missing_ok=True)
    rng = np.random.default_rng(seed + 1)
    targets = rng.choice(np.arange(1, steps), size=min(kills, steps - 1), replace=False).tolist()
    # every other kill right after a checkpoint step's announcement: the save follows at once, the kill may land in it
    targets = sorted({max(checkpoint_every, t - t % checkpoint_every) if i % 2 else t for i, t in enumerate(targets)})
    base = [sys.executable, __file__, "--worker", "--ckpt", ckpt, "--steps", str(steps), "--seed", str(seed),
            "--rate", str(rate), "--checkpoint-every", str(checkpoint_every), "--threads", str(threads)]
    started, killed_at, resumed_from, left_behind = time.perf_counter(), [], [], []
    for target in targets:
        proc = subprocess.Popen(base + ["--pause", str(pause)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("STEP") and int(line.split()[1]) >= target:
                time.sleep(float(rng.uniform(0, 0.01)))  # land anywhere: mid-step, mid-save
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at.append(int(target))
        resumed_from.append(int(load_checkpoint(ckpt)["step"]) if os.path.exists(ckpt) else 0)
        left_behind.append(sum(".tmp-" in p.name for p in workdir.iterdir()))  # a kill mid-save leaves one
    subprocess.run(base, check=True, stdout=subprocess.DEVNULL)
    resumed = torch.load(ckpt + ".final", weights_only=True)
    kill_seconds = time.perf_counter() - started

    torch.set_num_threads(threads)  # as the workers: the same kernels, the same bits
    faults = fault_schedule(steps, seed, rate)
    reference = build(seed, faults)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reference.fit(reference.soak_data, steps=steps)  # type: ignore[attr-defined]
    ref = weights(reference)
    draws = steps + reference.skipped
    met = [faults[d] for d in range(draws) if d in faults]
    return {
        "steps": steps, "seed": seed, "kills": len(killed_at), "kill_targets": killed_at, "resumed_from_steps": resumed_from,
        "checkpoint_every": checkpoint_every, "fault_rate": rate,
        "faults_met": {k: met.count(k) for k in (*SKIP_KINDS, "critic-wins")},
        "skipped_reference": reference.skipped, "skipped_resumed": int(resumed["skipped"]),
        "skip_warnings": sum("skipped a batch" in str(w.message) for w in caught),
        "won_outright_warnings": sum("won outright" in str(w.message) for w in caught),
        "weights_equal": len(ref) == len(resumed["weights"]) and all(torch.equal(a, b) for a, b in zip(ref, resumed["weights"])),
        "max_abs_weight_difference": max(float((a - b).abs().max()) for a, b in zip(ref, resumed["weights"])),
        "weights_finite": all(bool(torch.isfinite(w).all()) for w in resumed["weights"]),
        "temporaries_left_by_each_kill": left_behind,
        "stale_temporaries": sorted(p.name for p in workdir.iterdir() if ".tmp-" in p.name),
        "kill_and_resume_seconds": kill_seconds,
    }


def main(argv: list[str] | None = None) -> dict | None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--kills", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rate", type=float, default=0.03, help="share of draws with a skip fault")
    p.add_argument("--checkpoint-every", type=int, default=25)
    add_run_arguments(p, publish="benchmarks/results/soak_seed<seed>.json")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ckpt", help=argparse.SUPPRESS)
    p.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parse_checked(p, argv)
    for name in ("steps", "checkpoint_every"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')}: expected an int >= 1, got {getattr(args, name)}")
    if args.kills < 0 or not 0 <= args.rate < 1:
        p.error(f"--kills/--rate: expected kills >= 0 and rate in [0, 1), got {args.kills} and {args.rate}")
    if args.publish and args.out:
        p.error("--out: expected no path together with --publish, got both")
    args.threads = 1 if args.threads is None else apply_threads(args.threads)  # 1 by default: a tiny net
    if args.worker:
        worker(args)
        return None
    published = ROOT / "benchmarks" / "results" / f"soak_seed{args.seed}.json"
    out, _ = output_paths("soak", published.name, out=args.out, run_dir=args.run_dir, publish=args.publish,
                          published=published)
    command, commit, uncommitted = provenance(__file__, argv)
    with tempfile.TemporaryDirectory(prefix="shapeloss-soak-work-") as work:  # checkpoints never land in the results
        result = run_soak(args.steps, args.kills, args.seed, Path(work), args.checkpoint_every, args.rate,
                          threads=args.threads)
    result.update(command=command, commit=commit, uncommitted_files=uncommitted, device="cpu",
                  environment=device_info("cpu"), threads=args.threads)
    write_json(out, result, indent=2, end="\n")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
