"""The throughput benchmark's training measurements: one configuration's steps (BCE-only or a
critic preset, with its BCE-only twin stepped alternately), the phase split of the trainer's own
step, the critic's own passes, and each configuration in a fresh process (``isolated``)."""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import time
from contextlib import contextmanager, nullcontext

import torch

from shapeloss import REFERENCE_WEIGHT, AdversarialTrainer, ShapeLoss, build_discriminator, seed_everything
from shapeloss.adversarial_step import PHASES
from shapeloss.functional import generator_adversarial_term
from shapeloss.seismic import PhaseNet, SyntheticBatches, SyntheticConfig

from benchmarks._throughput_fused import SUFFIX, fuse_critic_passes
from benchmarks._throughput_macs import step_macs

PRESETS = ("compact", "light", "global", "patch", "reference")
#: timing experiments, not library options (``_throughput_fused``)
EXPERIMENTS = ("compact" + SUFFIX,)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    with open("/proc/self/status") as f:  # Linux: peak resident set size of this process
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _build(preset: str | None, length: int, device: torch.device, d_every: int = 1):
    seed_everything(0)
    net = PhaseNet()
    fused = preset is not None and preset.endswith(SUFFIX)
    name = preset[: -len(SUFFIX)] if fused else preset
    critic = build_discriminator(name, 3, 3, length=length) if name else None
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=REFERENCE_WEIGHT, adversarial=preset is not None)
    if fused:
        fuse_critic_passes(loss)
    adam = lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.0, 0.999))  # noqa: E731
    trainer = AdversarialTrainer(
        net, loss, adam(net.parameters()), adam(critic.parameters()) if critic is not None else None,
        device=device, divergence_window=0, d_every=d_every,
    )
    return trainer


def _phase_split(trainer: AdversarialTrainer, batch, device: torch.device, repeats: int) -> tuple[dict[str, float], int]:
    """Median seconds of each phase of the trainer's own step (``shapeloss.adversarial_step``),
    timed through its phase hook over ``repeats`` real steps; also returns the steps run."""
    phases: dict[str, list[float]] = {k: [] for k in PHASES}

    @contextmanager
    def timed(name: str):
        _sync(device)
        t0 = time.perf_counter()
        yield
        _sync(device)
        phases[name].append(time.perf_counter() - t0)

    before = trainer.step_count
    trainer.step_ops.phase = timed
    try:
        for _ in range(repeats):
            trainer.step(batch)
    finally:
        trainer.step_ops.phase = lambda name: nullcontext()
    return {k: statistics.median(v) for k, v in phases.items() if v}, trainer.step_count - before


def _critic_alone(trainer: AdversarialTrainer, batch, device: torch.device, repeats: int) -> float:
    """The critic's own passes in a step: its update (real + fake forward, backward, Adam)
    and the generator-side forward through the frozen critic with backward to its input."""
    if not trainer.loss.uses_discriminator:
        return 0.0
    x, y = (t.to(device) for t in batch)
    fake = torch.rand_like(y, requires_grad=True)
    loss, times = trainer.loss, []
    for _ in range(repeats):
        _sync(device)
        t0 = time.perf_counter()
        trainer.d_optimizer.zero_grad(set_to_none=True)
        loss.discriminator_loss(torch.logit(fake.detach().clamp(1e-4, 1 - 1e-4)), y, x).backward()
        trainer.d_optimizer.step()
        adv, _ = generator_adversarial_term(fake, x, loss.discriminator, loss.objective.generator_loss)
        adv.backward()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _batches(batch_size: int, length: int, count: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` synthetic batches of ``length`` samples: the generator needs room for its phases
    (about 2,720 samples), so shorter windows are the start of 3001-sample ones."""
    data = SyntheticBatches(batch_size, seed=0, config=SyntheticConfig(length=max(length, SyntheticConfig().length)))
    return [tuple(t[..., :length].contiguous() for t in data(i)) for i in range(count)]  # type: ignore[misc]


def run_config(preset: str | None, batch_size: int, steps: int, warmup: int, length: int, device: str,
               threads: int, d_every: int = 1) -> dict:
    torch.set_num_threads(threads)
    dev = torch.device(device)
    trainer = _build(preset, length, dev, d_every=d_every)
    batches = _batches(batch_size, length, min(steps + warmup, 4))
    for i in range(warmup):
        trainer.step(batches[i % len(batches)])
    # a BCE-only twin, stepped alternately with this configuration: on a shared
    # machine the load drifts, and the ratio of neighbouring steps cancels most of it
    twin = _build(None, length, dev) if preset is not None else None
    if twin is not None:
        for i in range(warmup):
            twin.step(batches[i % len(batches)])
    times, paired, twin_times = [], [], []
    forwards_before = trainer.generator_forwards
    for i in range(steps):
        b = batches[i % len(batches)]
        _sync(dev)
        t0 = time.perf_counter()
        trainer.step(b)
        _sync(dev)
        times.append(time.perf_counter() - t0)
        if twin is not None:
            t0 = time.perf_counter()
            twin.step(b)
            _sync(dev)
            twin_times.append(time.perf_counter() - t0)
            paired.append(times[-1] / twin_times[-1])
    forwards = (trainer.generator_forwards - forwards_before) / steps
    split, split_steps = _phase_split(trainer, batches[0], dev, repeats=max(2, steps // 2))
    critic = _critic_alone(trainer, batches[0], dev, repeats=max(2, steps // 2))
    step = statistics.median(times)
    return {
        "preset": preset or "bce_only", "batch_size": batch_size, "d_every": d_every,
        "seconds_per_step": step, "windows_per_second": batch_size / step,
        "step_times": times, "generator_forwards_per_step": forwards,
        "peak_memory_mb": _peak_memory_mb(dev), "phase_seconds": split, "phase_split_steps": split_steps,
        "critic_own_passes_seconds": critic,
        "critic_parameters": sum(p.numel() for p in trainer.loss.parameters()),
        **step_macs(trainer.model, trainer.loss.discriminator if trainer.loss.uses_discriminator else None,
                    3, 3, length, d_every),
        "paired_ratio_to_bce": statistics.median(paired) if paired else 1.0,
        "paired_ratios": paired,
        "bce_twin_seconds_per_step": statistics.median(twin_times) if twin_times else None,
    }


def _worker(queue, kwargs):
    try:
        queue.put(run_config(**kwargs))
    except Exception as exc:  # report, do not hang the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}", "preset": kwargs["preset"] or "bce_only",
                   "batch_size": kwargs["batch_size"]})


#: glibc malloc settings that keep freed memory in the process instead of returning it to the
#: system (read by glibc at process start): large tensors come from the heap, already mapped,
#: instead of fresh pages faulted in at every step.
MALLOC_KEEP = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(4 * 2**30)}


def isolated(kwargs: dict, env: dict[str, str] | None = None) -> dict:
    """``run_config(**kwargs)`` in a fresh process, started with ``env`` added to the environment."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(queue, kwargs))
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    try:
        proc.start()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    result = queue.get()
    proc.join()
    return result
