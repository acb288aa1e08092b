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
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _provenance import device_info, provenance  # noqa: E402
from _results import write_json  # noqa: E402
from _throughput_data import data_and_picking, data_throughput, other_domains_throughput, picking_throughput  # noqa: E402,F401
from _throughput_training import EXPERIMENTS, MALLOC_KEEP, PRESETS, isolated, run_config  # noqa: E402,F401

from shapeloss.runs import Progress, add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 100])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS + EXPERIMENTS,
                        help="critic presets; compact_fused: a timing experiment (real and fake in one critic call)")
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
    write_json(out, result, indent=2)
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
