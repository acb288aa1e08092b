"""Which shape critic is worth its cost? S-phase gain against step cost, per critic preset.

    python benchmarks/critic_tradeoff.py                         # seed 0, critics compact, light, reference
    python benchmarks/critic_tradeoff.py --seeds 0 1 --critics compact reference
    python benchmarks/critic_tradeoff.py --warmup-checkpoint PATH  # reuse a BCE warm-up (trainer checkpoint)

The branch schedule of ``benchmarks/seismic_s_phase.py`` (its ``--quick``
settings, synthetic data): one shared BCE warm-up, then, from the same weights
and optimizer state, a BCE continuation and one ShapeLoss arm per critic, each
for the same number of steps. Reported per critic: effective S and P picks on
the held-out windows, the S gain over the BCE continuation and its share of the
reference critic's gain, the S suppression-band share, and the measured cost of
a step relative to a BCE step (from ``benchmarks/results/throughput_cpu.json``
when it holds that critic, else this run's own timings, which are noisy on a
busy machine). Writes ``benchmarks/results/critic_tradeoff.json`` and
``docs/figures/critic_tradeoff.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmark's modules, as benchmarks.<name>

from benchmarks._provenance import provenance  # noqa: E402
from benchmarks._seismic_cli import parse_args  # noqa: E402
from benchmarks._results import json_default, write_json  # noqa: E402
from benchmarks._seismic_data import make_data  # noqa: E402
from benchmarks._seismic_eval import evaluate  # noqa: E402
from benchmarks._seismic_train import predict, train_arm  # noqa: E402
from benchmarks._seismic_work import tradeoff_key  # noqa: E402

from shapeloss import bootstrap_ratio  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402


def _spec(critic: str, parser: argparse.ArgumentParser) -> tuple[str, int]:
    """``"compact"`` -> ("compact", 1); ``"compact:2"`` -> ("compact", 2)."""
    preset, _, every = critic.partition(":")
    if not every:
        return preset, 1
    if not every.isdigit() or int(every) < 1:
        parser.error(f"--critics: expected PRESET or PRESET:K with an integer K >= 1, got {critic!r}")
    return preset, int(every)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--critics", nargs="+", default=["compact", "light", "reference"],
                   help="critic presets; PRESET:K updates that critic on every K-th step only (e.g. compact:2)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--warmup-checkpoint", nargs="+", default=[],
                   help="BCE warm-up trainer checkpoints at --branch-at, one per seed in --seeds order")
    p.add_argument("--branch-at", type=int, default=2000)
    p.add_argument("--critic-steps", type=int, default=600)
    p.add_argument("--device", default="cpu")
    p.add_argument("--eval-windows", type=int, default=500)
    p.add_argument("--synthetic", default="{}",
                   help='SyntheticConfig overrides as JSON, passed to the seismic benchmark (e.g. \'{"noise_draw": "ziggurat"}\')')
    p.add_argument("--work-dir", default=str(Path.home() / ".cache" / "shapeloss" / "critic_tradeoff"))
    p.add_argument("--figure", help="figure path (default: critic_tradeoff.png in the run folder; docs/figures with --publish)")
    add_run_arguments(p, publish="benchmarks/results/critic_tradeoff.json and docs/figures/critic_tradeoff.png")
    a = parse_checked(p, argv)
    if a.warmup_checkpoint and len(a.warmup_checkpoint) != len(a.seeds):
        p.error(f"--warmup-checkpoint: expected one per seed ({len(a.seeds)}), got {len(a.warmup_checkpoint)}")
    command, commit, uncommitted = provenance(__file__, argv, imports=("shapeloss/seismic",))
    a.threads = apply_threads(a.threads)
    out, figures = output_paths("critic_tradeoff", "critic_tradeoff.json", out=a.out, run_dir=a.run_dir, publish=a.publish,
                                published=ROOT / "benchmarks" / "results" / "critic_tradeoff.json",
                                published_figures=ROOT / "docs" / "figures")
    a.out, a.figure = str(out), a.figure or str(figures / "critic_tradeoff.png")
    until = a.branch_at + a.critic_steps
    runs = []
    started = time.perf_counter()
    for seed in a.seeds:
        args = parse_args(["--seeds", str(seed), "--steps", str(until), "--branch-at", str(a.branch_at),
                                 "--device", a.device, "--threads", str(a.threads),
                                 "--eval-windows", str(a.eval_windows), "--synthetic", a.synthetic, "--no-figures"]
                               + ([] if a.progress is None else ["--progress" if a.progress else "--no-progress"]))
        data, dev, ev = make_data(args, seed)
        warmup = a.warmup_checkpoint[a.seeds.index(seed)] if a.warmup_checkpoint else None
        work = Path(a.work_dir) / f"seed{seed}_{tradeoff_key(args, warmup, a.critic_steps)}"
        work.mkdir(parents=True, exist_ok=True)
        if a.warmup_checkpoint:
            state = torch.load(a.warmup_checkpoint[a.seeds.index(seed)], map_location="cpu", weights_only=True)
            start = {"model": state["model"], "g_optimizer": state["g_optimizer"], "step": int(state["step"])}
            if start["step"] != a.branch_at:
                p.error(f"--warmup-checkpoint: expected a checkpoint at step {a.branch_at}, got step {start['step']}")
        else:
            warm, _, _ = train_arm(args, "warmup", None, seed, data, dev, work, a.branch_at)
            start = {"model": warm.model.state_dict(), "g_optimizer": warm.g_optimizer.state_dict(), "step": warm.step_count}
        arms = {}
        for critic in ["bce"] + a.critics:
            preset, d_every = _spec(critic, p)
            args.discriminator, args.d_every = (preset, d_every) if critic != "bce" else ("reference", 1)
            name = "bce" if critic == "bce" else f"{preset}{'' if d_every == 1 else f'_d{d_every}'}_shapeloss"
            trainer, timing, _ = train_arm(args, name, start, seed, data, dev, work, until)
            pred = predict(trainer.model, ev.inputs, a.device)
            dev_pred = predict(trainer.model, dev.inputs, a.device)
            result = evaluate(pred, dev_pred, ev, dev)
            arms[critic] = {"S": result["phases"]["S"]["effective"], "P": result["phases"]["P"]["effective"],
                            "S_band_share": result["phases"]["S"]["band_share"],
                            "S_median_height": result["phases"]["S"]["median_height"],
                            "hits_S": result["hits"]["S"], "seconds_per_step": timing["seconds_per_step"]}
            print(f"seed {seed} {critic:10s}: S {arms[critic]['S']}, P {arms[critic]['P']}, "
                  f"band {arms[critic]['S_band_share']:.2f}", flush=True)
        bce = arms["bce"]
        for critic in a.critics:
            r = arms[critic]
            ratio, low, high = bootstrap_ratio(r["hits_S"], bce["hits_S"], n_boot=2000, seed=0)
            r["S_ratio"], r["S_ratio_ci95"] = ratio, [low, high]
            r["S_gain"] = r["S"] - bce["S"]
        ref_gain = arms.get("reference", {}).get("S_gain")
        for critic in a.critics:
            arms[critic]["share_of_reference_gain"] = (arms[critic]["S_gain"] / ref_gain) if ref_gain else None
        for r in arms.values():
            r.pop("hits_S")
        runs.append({"seed": seed, "arms": arms})

    cost = {}
    tp = ROOT / "benchmarks" / "results" / "throughput_cpu.json"
    if tp.exists():
        rows = json.loads(tp.read_text())["training"]
        for r in rows:
            if r.get("batch_size") == 32 and "paired_ratio_to_bce" in r:
                key = r["preset"] if r.get("d_every", 1) == 1 else f"{r['preset']}:{r['d_every']}"
                cost[key] = {"ratio_to_bce": r["paired_ratio_to_bce"],
                             "source": "benchmarks/results/throughput_cpu.json (paired_ratio_to_bce, batch 32)"}
    for critic in a.critics:
        if critic not in cost:
            own = [run["arms"][critic]["seconds_per_step"] / run["arms"]["bce"]["seconds_per_step"] for run in runs
                   if run["arms"][critic]["seconds_per_step"] and run["arms"]["bce"]["seconds_per_step"]]
            cost[critic] = {"ratio_to_bce": float(np.mean(own)) if own else None, "source": "this run's training timings"}

    summary = {}
    for critic in a.critics:
        shares = [r["arms"][critic]["share_of_reference_gain"] for r in runs if r["arms"][critic]["share_of_reference_gain"] is not None]
        summary[critic] = {
            "S_ratio_per_seed": [r["arms"][critic]["S_ratio"] for r in runs],
            "share_of_reference_gain_per_seed": shares,
            "share_of_reference_gain_mean": float(np.mean(shares)) if shares else None,
            "cost_ratio_to_bce": cost[critic]["ratio_to_bce"], "cost_source": cost[critic]["source"],
        }
    report = {"benchmark": "critic_tradeoff", "command": command, "device": a.device, "threads": a.threads,
              "branch_at": a.branch_at, "critic_steps": a.critic_steps, "commit": commit, "uncommitted_files": uncommitted,
              "wall_seconds": time.perf_counter() - started, "summary": summary, "runs": runs}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    write_json(a.out, report, indent=1, default=json_default)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for critic, s in summary.items():
        for run in runs:
            r = run["arms"][critic]
            if s["cost_ratio_to_bce"] is not None:
                ax.scatter(s["cost_ratio_to_bce"], r["S_ratio"], s=40)
                ax.annotate(f"{critic} (seed {run['seed']})", (s["cost_ratio_to_bce"], r["S_ratio"]), fontsize=8,
                            xytext=(4, 4), textcoords="offset points")
    ax.axhline(1.0, color="gray", lw=0.8, ls=":")
    ax.axvline(1.5, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("step cost / BCE-only step (batch 32, CPU)")
    ax.set_ylabel("effective S: ShapeLoss / BCE")
    ax.set_title(f"critic cost vs S gain ({a.critic_steps} critic steps after {a.branch_at} BCE steps)", fontsize=9)
    fig.tight_layout()
    Path(a.figure).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(a.figure, dpi=110)
    print(json.dumps(summary, indent=1))
    print(f"wrote {a.out} and {a.figure}")
    return report


if __name__ == "__main__":
    main()
