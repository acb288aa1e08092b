"""Training, data and picking throughput, BCE-only against ShapeLoss, in one run.

    python benchmarks/throughput.py                       # batch 32 and 100, every critic preset
    python benchmarks/throughput.py --batch-sizes 32 --presets light reference
    python benchmarks/throughput.py --smoke               # tiny sizes, for the test suite

Each configuration runs in its own process (so its peak memory is its own), with
the same number of threads. Reported per configuration: seconds per training
step (median over timed steps, through ``AdversarialTrainer.step``, i.e. the shared
``shapeloss.adversarial_step``), windows per second, peak memory, generator forwards per
step (must be 1), and the split of a step between generator forward, critic
forward+backward, critic optimizer, generator loss forward (base + frozen critic),
generator backward and generator optimizer, timed inside the trainer's own steps through
the step's phase hook (``trainer.step_ops.phase``). BCE-only and the default critic run once more with glibc's allocator told to keep
freed memory (``MALLOC_KEEP``; Linux). Data: windows per second of each data source against
the training it feeds. Picking: continuous annotation against SeisBench and the bare forward
pass. Writes ``benchmarks/results/throughput*.json`` with the command.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _provenance import device_info, provenance  # noqa: E402

from shapeloss import REFERENCE_WEIGHT, AdversarialTrainer, ShapeLoss, build_discriminator, seed_everything, step_loader  # noqa: E402
from shapeloss.adversarial_step import PHASES  # noqa: E402
from shapeloss.functional import generator_adversarial_term  # noqa: E402
from shapeloss.runs import Progress, add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402
from shapeloss.seismic import PhaseNet, SyntheticBatches  # noqa: E402

PRESETS = ("compact", "light", "global", "patch", "reference")


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
    critic = build_discriminator(preset, 3, 3, length=length) if preset else None
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=REFERENCE_WEIGHT, adversarial=preset is not None)
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


def run_config(preset: str | None, batch_size: int, steps: int, warmup: int, length: int, device: str,
               threads: int, d_every: int = 1) -> dict:
    torch.set_num_threads(threads)
    dev = torch.device(device)
    trainer = _build(preset, length, dev, d_every=d_every)
    data = SyntheticBatches(batch_size, seed=0)
    batches = [data(i) for i in range(min(steps + warmup, 4))]
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
        "paired_ratio_to_bce": statistics.median(paired) if paired else 1.0,
        "paired_ratios": paired,
        "bce_twin_seconds_per_step": statistics.median(twin_times) if twin_times else None,
    }


def _worker(queue, kwargs):
    try:
        queue.put(run_config(**kwargs))
    except Exception as exc:  # report, do not hang the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}", **{k: kwargs[k] for k in ("preset", "batch_size")}})


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


def data_throughput(length: int, batch_size: int, repeats: int) -> dict:
    from shapeloss.seismic import synthetic_windows

    out = {}
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    synthetic_windows(batch_size, rng)
    t0 = time.perf_counter()
    for _ in range(repeats):
        synthetic_windows(batch_size, rng)
    out["synthetic_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
    # What the training loop is fed: step_loader's worker processes (one core each), in order.
    for workers in (1, 2):
        warm = 2 * workers  # the first batches carry the workers' start-up
        loader = step_loader(SyntheticBatches(batch_size, seed=0), 0, warm + repeats, workers=workers)
        for _ in range(warm):
            next(loader)
        t0 = time.perf_counter()
        for _ in range(repeats):
            next(loader)
        out[f"synthetic_loader_{workers}_workers_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
        del loader
    try:
        from shapeloss.seismic import DEFAULT_NCEDC_PATH, NpzBatches, load_phasenet_folder

        folder = ROOT / DEFAULT_NCEDC_PATH
        traces = load_phasenet_folder(folder)
        batches = NpzBatches(traces, batch_size)
        batches(0)
        t0 = time.perf_counter()
        for i in range(repeats):
            batches(i)
        out["ncedc_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
    except Exception as exc:  # the shared data folder is optional
        out["ncedc_windows_per_second"] = None
        out["ncedc_note"] = f"not measured: {type(exc).__name__}: {exc}"[:200]
    return out


def _bce_windows_per_second(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    """Windows per second of plain BCE training steps (Adam), median of ``steps`` after one warm-up."""
    optimizer, loss = torch.optim.Adam(net.parameters(), lr=1e-3), torch.nn.BCEWithLogitsLoss()
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss(net(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    return x.shape[0] / statistics.median(times[1:])


def other_domains_throughput(batch_size: int, threads: int, repeats: int, small: bool = False) -> dict:
    """The ECG and edge benchmarks' data sources (one core) against their nets' BCE training.

    Nets and sizes are those of ``benchmarks/ecg_delineation.py`` and
    ``benchmarks/synthetic_edges.py`` at their defaults (``small``: tiny sizes for the smoke run).
    """
    from shapeloss.ecg import make_synthetic_ecg
    from shapeloss.ecg.dataset import build_lead_set, sample_windows
    from shapeloss.edges import make_contour_images, make_onset_burst
    from shapeloss.nets import UNet1d, UNet2d

    length, image, window, records = (128, 24, 256, 2) if small else (512, 48, 1024, 20)
    leads = build_lead_set(make_synthetic_ecg(records, seed=0))
    rng = np.random.default_rng(0)
    sources = {
        "edges_1d": (lambda k: make_onset_burst(batch_size, seed=k, length=length)[:2],
                     lambda: UNet1d(1, 1, widths=(8, 16, 32, 64), kernel_size=7)),
        "edges_2d": (lambda k: make_contour_images(batch_size, seed=k, size=(image, image))[:2],
                     lambda: UNet2d(1, 2, widths=(8, 16, 32))),
        "ecg_crops": (lambda k: sample_windows(leads, batch_size, window, rng),
                      lambda: UNet1d(1, 6, widths=(8, 16, 32, 64), kernel_size=9)),
    }
    out = {}
    for name, (make, build) in sources.items():
        torch.set_num_threads(1)
        x, y = make(0)
        t0 = time.perf_counter()
        for k in range(repeats):
            make(k + 1)
        made = repeats * batch_size / (time.perf_counter() - t0)
        torch.set_num_threads(threads)
        seed_everything(0)
        trained = _bce_windows_per_second(build(), x.float(), y.float(), steps=2 if small else 4)
        out[name] = {"windows_per_second": made, "training_windows_per_second_bce": trained,
                     "over_training": made / trained, "window_shape": list(x.shape[1:])}
    return out


def _seisbench_annotator(data: np.ndarray, overlap: int):
    """SeisBench's PhaseNet ``annotate`` on the same samples (random weights, no download), or a note."""
    try:
        import obspy
        import seisbench.models as sbm
    except ImportError as exc:
        return None, f"not measured (SeisBench or ObsPy missing): {exc}"
    seed_everything(0)
    model = sbm.PhaseNet().eval()
    stream = obspy.Stream([
        obspy.Trace(data[i].astype(np.float64), header={"network": "XX", "station": "SYN", "channel": f"HH{c}",
                                                         "sampling_rate": 100.0})
        for i, c in enumerate("ENZ")
    ])
    model.annotate(stream.slice(stream[0].stats.starttime, stream[0].stats.starttime + 300), overlap=overlap)
    return (lambda: model.annotate(stream, overlap=overlap)), __import__("seisbench").__version__


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def picking_throughput(hours: float, overlap: int, threads: int, repeats: int = 5) -> dict | None:
    """Continuous picking of ``hours`` of 3-component 100 Hz data: ours, SeisBench's and the bare
    forward pass over the same windows, timed alternately ``repeats`` times (medians)."""
    try:
        from shapeloss.seismic.annotate import annotate  # written by the ecosystem work
    except ImportError as exc:
        return {"note": f"not measured: {exc}"}
    torch.set_num_threads(threads)
    seed_everything(0)
    model = PhaseNet().eval()
    n = int(hours * 3600 * 100)
    data = np.random.default_rng(0).standard_normal((3, n)).astype(np.float32)
    annotate(data[:, :30_000], model, sampling_rate=100.0, overlap=overlap)
    step = 3001 - overlap
    windows = max(1, (n - 3001) // step + 1)
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((windows, 3, 3001)).astype(np.float32))

    def bare() -> None:
        with torch.no_grad():
            for i in range(0, windows, 256):
                model(x[i : i + 256])

    bare()
    theirs, version = _seisbench_annotator(data, overlap)
    ours_t, bare_t, theirs_t = [], [], []
    for _ in range(repeats):
        ours_t.append(_timed(lambda: annotate(data, model, sampling_rate=100.0, overlap=overlap)))
        bare_t.append(_timed(bare))
        if theirs is not None:
            theirs_t.append(_timed(theirs))
    wall, bare_wall = statistics.median(ours_t), statistics.median(bare_t)
    out = {
        "hours": hours, "overlap": overlap, "repeats": repeats, "windows": windows,
        "wall_seconds": wall, "wall_seconds_all": ours_t,
        "times_real_time": hours * 3600 / wall, "bare_forward_seconds": bare_wall,
        "bare_forward_seconds_all": bare_t, "share_of_bare_forward": bare_wall / wall,
    }
    if theirs is None:
        out["seisbench"] = {"note": version}
    else:
        sb = statistics.median(theirs_t)
        out["seisbench"] = {"wall_seconds": sb, "wall_seconds_all": theirs_t, "times_real_time": hours * 3600 / sb,
                            "ours_over_seisbench_throughput": sb / wall, "seisbench": version}
    return out


def data_and_picking(args, rows: list[dict]) -> tuple[dict, dict | None]:
    """Data sources against the BCE-only training they feed, and continuous picking."""
    data = data_throughput(args.length, max(args.batch_sizes), repeats=2 if args.smoke else 10)
    consumption = max((r["windows_per_second"] for r in rows if r.get("preset") == "bce_only"), default=None)
    if consumption:
        data["training_windows_per_second_bce"] = consumption
        data["synthetic_over_training"] = data["synthetic_windows_per_second"] / consumption
        for workers in (1, 2):
            key = f"synthetic_loader_{workers}_workers_windows_per_second"
            data[f"synthetic_loader_{workers}_workers_over_training"] = data[key] / consumption
        if data.get("ncedc_windows_per_second"):
            data["ncedc_over_training"] = data["ncedc_windows_per_second"] / consumption
    data["other_domains"] = other_domains_throughput(max(args.batch_sizes), args.threads, repeats=2 if args.smoke else 10,
                                                     small=args.smoke)
    picking = picking_throughput(args.pick_hours, args.overlap, args.threads, repeats=2 if args.smoke else 5)

    return data, picking


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 100])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--d-every", type=int, nargs="+", default=[1], help="critic update intervals to measure")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--length", type=int, default=3001)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--pick-hours", type=float, default=1.0)
    parser.add_argument("--overlap", type=int, default=1500)
    parser.add_argument("--no-malloc-keep", dest="malloc_keep", action="store_false",
                        help="skip the BCE-only and compact steps rerun with glibc keeping freed memory (Linux)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one batch size, 2 steps")
    parser.add_argument("--training-only", action="store_true",
                        help="time the training steps only (the paired critic/BCE ratios), not the data sources or picking")
    add_run_arguments(parser, publish="benchmarks/results/throughput_<device>.json")
    args = parse_checked(parser, argv)
    args.threads = apply_threads(args.threads)
    if args.smoke:
        args.batch_sizes, args.steps, args.warmup, args.presets, args.pick_hours = [2], 2, 1, ["light"], 0.02
        args.length = 1001
    name = "throughput_smoke.json" if args.smoke else f"throughput_{args.device.split(':')[0]}.json"
    out, _ = output_paths("throughput", name, out=args.out, run_dir=args.run_dir, publish=args.publish,
                          published=ROOT / "benchmarks" / "results" / name)

    rows = []
    configs = [(b, p, k) for b in args.batch_sizes for p, k in [(None, 1)] + [(p, k) for p in args.presets for k in args.d_every]
               if not (p is None and k != 1)]
    bar = Progress(len(configs), desc="training configurations", unit="config", enabled=args.progress, quiet=False)
    for n, (batch_size, preset, d_every) in enumerate(configs, 1):
        kwargs = dict(preset=preset, batch_size=batch_size, steps=args.steps, warmup=args.warmup,
                      length=args.length, device=args.device, threads=args.threads, d_every=d_every)
        row = isolated(kwargs)
        rows.append(row)
        bar.update(n)
        bar.write(f"  batch {batch_size:4d} {row.get('preset'):10s} d_every={d_every}: "
                  f"{row.get('seconds_per_step', float('nan')):.3f} s/step {row.get('error', '')}")
    bar.close()
    # BCE-only and the default critic again, with glibc told to keep freed memory
    allocator = []
    if args.malloc_keep and platform.system() == "Linux":
        for batch_size in args.batch_sizes:
            for preset in (None, "compact" if "compact" in args.presets else args.presets[0]):
                kwargs = dict(preset=preset, batch_size=batch_size, steps=args.steps, warmup=args.warmup,
                              length=args.length, device=args.device, threads=args.threads)
                row = dict(isolated(kwargs, env=MALLOC_KEEP), malloc_env=MALLOC_KEEP)
                base = next((r for r in rows if r["preset"] == row["preset"] and r["batch_size"] == batch_size
                             and r.get("d_every") == 1 and "seconds_per_step" in r), None)
                if base is not None and "seconds_per_step" in row:
                    row["speedup_over_default_malloc"] = base["seconds_per_step"] / row["seconds_per_step"]
                allocator.append(row)
                print(f"  batch {batch_size:4d} {row['preset']:10s} malloc keep: {row.get('seconds_per_step', float('nan')):.3f} "
                      f"s/step ({row.get('speedup_over_default_malloc', float('nan')):.2f}x) {row.get('error', '')}", flush=True)
    # ratios against the BCE-only step of the same batch size
    for row in rows:
        base = next((r for r in rows if r["preset"] == "bce_only" and r["batch_size"] == row["batch_size"]), None)
        if base and "seconds_per_step" in row:
            row["ratio_to_bce"] = row["seconds_per_step"] / base["seconds_per_step"]
            # no redundant passes: adversarial step <= BCE step + the critic's own passes
            row["bound_bce_plus_critic"] = base["seconds_per_step"] + row["critic_own_passes_seconds"]
            row["within_bound"] = row["seconds_per_step"] <= row["bound_bce_plus_critic"] * 1.05
            # The same bound against the BCE-only twin stepped alternately in the same process:
            # the BCE-only process's step drifts by 10-25 % between processes on a shared machine.
            if row.get("bce_twin_seconds_per_step"):
                row["bound_twin_plus_critic"] = row["bce_twin_seconds_per_step"] + row["critic_own_passes_seconds"]
                row["within_bound_paired"] = row["seconds_per_step"] <= row["bound_twin_plus_critic"] * 1.05
            # The same bound with the critic's passes as timed inside a step (the phase split):
            # the generator's activations are alive then, which the separate measurement lacks.
            # Its generator-side share is what the step's loss forward and backward take beyond
            # the BCE-only step's (never less than zero).
            split, base_split = row["phase_seconds"], base["phase_seconds"]
            if "critic_forward_backward" in split:
                in_step = (split["critic_forward_backward"] + split["critic_optimizer"]
                           + max(0.0, split["generator_loss_forward"] - base_split["generator_loss_forward"])
                           + max(0.0, split["generator_backward"] - base_split["generator_backward"]))
                row["critic_passes_in_step_seconds"] = in_step
                row["bound_bce_plus_critic_in_step"] = base["seconds_per_step"] + in_step
                row["within_bound_in_step"] = row["seconds_per_step"] <= row["bound_bce_plus_critic_in_step"] * 1.05
    if args.training_only:
        data, picking = {"note": "not measured (--training-only)"}, {"note": "not measured (--training-only)"}
    else:
        data, picking = data_and_picking(args, rows)

    command, commit, uncommitted = provenance(__file__, argv)
    result = {
        "command": command, "commit": commit, "uncommitted_files": uncommitted,
        "device": args.device if args.device == "cpu" else torch.cuda.get_device_name(0), "device_info": device_info(args.device),
        "threads": args.threads, "torch": torch.__version__, "platform": platform.platform(),
        "length": args.length, "training": rows, "training_malloc_keep": allocator, "data": data, "picking": picking,
    }
    out.write_text(json.dumps(result, indent=2))
    print("\n| batch | critic | d_every | s/step | x BCE | x BCE (paired) | windows/s | peak MB | G fwd/step | within bound | "
          "within bound (paired) | within bound (in step) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['batch_size']} | {r['preset']} | - | error: {r['error']} |")
            continue
        print(f"| {r['batch_size']} | {r['preset']} | {r['d_every']} | {r['seconds_per_step']:.3f} | "
              f"{r.get('ratio_to_bce', float('nan')):.2f} | {r['paired_ratio_to_bce']:.2f} | {r['windows_per_second']:.0f} | {r['peak_memory_mb']:.0f} | "
              f"{r['generator_forwards_per_step']:.0f} | {r.get('within_bound', '')} | "
              f"{r.get('within_bound_paired', '')} | {r.get('within_bound_in_step', '')} |")
    print(f"\ndata: {json.dumps(data)}\npicking: {json.dumps(picking)}\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
