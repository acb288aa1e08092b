"""One seed of one schedule of the seismic benchmark: train its arms (resuming where a run
stopped), evaluate them, save the seed's result, predictions and threshold-free counts beside
its checkpoints; arms asked for later are added to a finished seed without retraining it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from benchmarks import seismic_threshold_free as tfree
from benchmarks._provenance import device_info
from benchmarks._results import write_json
from benchmarks._seismic_common import BETAS, PHASES, PICK_DISTANCE, TOLERANCE, device_name
from benchmarks._seismic_data import EvalSet
from benchmarks._seismic_eval import compare, evaluate, steps_to_half, thin
from benchmarks._seismic_pretrained import pretrained_start
from benchmarks._seismic_train import new_model, predict, read_jsonl, train_arm
from benchmarks.seismic_arms import ArmSpec, arm_specs, post_map
from shapeloss import Calibration
from shapeloss.seed import seed_everything


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
    # --init-from: the start of a pre-trained network (None: from scratch)
    pretrained = pretrained_start(args, seed, work, new_model(args, dev)) if args.init_from is not None else None
    if pretrained is not None:
        init["model"] = pretrained["model"]
    arms, timing, histories, models = {}, {}, {}, {}
    print(f"seed {seed} {schedule}: training", flush=True)

    if schedule == "branch":
        warm, timing["warmup"], _ = train_arm(args, "warmup", pretrained, seed, data, dev, work, args.branch_at)
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
    write_json(done, result)
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
    write_json(work / "result.json", result)
    return result
