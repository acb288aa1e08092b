"""ECG delineation on LUDB: the seismic decision table's arms, from one shared BCE warm-up.

Per seed, a single-lead U-Net is trained with BCE for ``--warmup-steps``; each trained arm
(``bce`` continued, ``widened``, ``weighted``, ``shapeloss``; see ``_ecg_arms.py``) then continues
that network for ``--steps`` on the same batches (branch schedule, learning rate decayed to 0 by a
cosine), and the post-hoc arms map the ``bce`` arm's outputs (``bce_tuned``, ``bce_calibrated``).
Every arm is scored on the test records (150 ms, the LUDB protocol of ``shapeloss.ecg``) at every
threshold of a grid, per record; pooled over seeds, with 95 % bootstrap intervals over (seed,
record) units, paired between arms (``_ecg_report.py``): best F1 over thresholds, PR-AUC, F1 at the
threshold tuned on the validation records, F1 at 0.5, timing error mean and std per boundary, and
a threshold-transfer test (threshold tuned on the validation records' limb leads, applied to the
test records' chest leads, and the other way round: F1 lost against the oracle threshold).

Without LUDB (``../shared/data/ludb`` or ``$SHAPELOSS_LUDB``) it runs on the synthetic ECG and
says so (one lead: no transfer test).

Usage:
    python benchmarks/ecg_decision.py --smoke                       # seconds, synthetic-sized
    python benchmarks/ecg_decision.py --seeds 0 1 2 --threads 1 --out benchmarks/results/ecg_decision.json
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from _ecg_arms import ALL_ARMS, TRAINED, arm_specs, base_loss  # noqa: E402
from _ecg_report import pooled, print_summary  # noqa: E402
from _ecg_scoring import CHEST, LIMB, THRESHOLDS, best_index, boundary_counts, f1_curve, per_record, timing_errors  # noqa: E402
from _ecg_train import EcgBatches, widened_width  # noqa: E402
from _harness import ArmConfig, predict, train_arm, write_json  # noqa: E402
from _provenance import provenance  # noqa: E402
from shapeloss import fit_calibration  # noqa: E402
from shapeloss.ecg import BOUNDARIES, default_ludb_root, load_ludb, make_synthetic_ecg, record_ids, split_records  # noqa: E402
from shapeloss.ecg.dataset import build_lead_set  # noqa: E402
from shapeloss.nets import UNet1d  # noqa: E402
from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

FIXED = 0.5


def load_sets(args) -> tuple[dict, str]:
    """Train (normal and widened targets), validation and test lead sets, and a description."""
    root = None if args.synthetic else (Path(args.ludb) if args.ludb else default_ludb_root())
    if root is not None and (root / "RECORDS").is_file():
        split = split_records(record_ids(root), seed=0)
        if args.max_records:
            split = {k: v[: args.max_records] for k, v in split.items()}
        records = {k: load_ludb(root, v) for k, v in split.items()}
        source = f"LUDB ({len(split['train'])} train / {len(split['validation'])} validation / {len(split['test'])} test records, all leads)"
    else:
        print("LUDB not found (../shared/data/ludb or $SHAPELOSS_LUDB): running on the synthetic ECG generator instead.")
        n = args.max_records or 40
        split = None
        records = {"train": make_synthetic_ecg(n, seed=1), "validation": make_synthetic_ecg(max(n // 4, 2), seed=3),
                   "test": make_synthetic_ecg(max(n // 2, 2), seed=2)}
        source = f"synthetic ECG ({n} train records, one lead each)"
    sets = {k: build_lead_set(v, width=args.width) for k, v in records.items()}
    sets["train_widened"] = build_lead_set(records["train"], width=widened_width(args.width, args.widen_scatter))
    sets["split"] = split
    return sets, source


class Offset:
    """Batches ``step -> batches(start + step)``: an arm continuing a warm-up sees the next batches."""

    def __init__(self, batches, start: int) -> None:
        self.batches, self.start = batches, start

    def __call__(self, step: int):
        return self.batches(self.start + step)


def score(probs: np.ndarray, data, args) -> dict:
    """Lead counts over the grid, summed per record: all leads, limb leads, chest leads."""
    counts = boundary_counts(probs, data, distance=args.distance)
    out = {"all": per_record(counts, data)}
    if any(ld in CHEST for ld in data.leads):
        out["limb"], out["chest"] = per_record(counts, data, LIMB), per_record(counts, data, CHEST)
    return out


def timing_stats(probs: np.ndarray, data, thresholds: dict[str, float], args) -> np.ndarray:
    """``(R, 6, 3)`` per record and boundary: n, sum and sum of squares of the timing errors (ms)."""
    order = list(dict.fromkeys(data.records))
    units = np.array([order.index(r) for r in data.records])
    out = np.zeros((len(order), len(BOUNDARIES), 3))
    for c, (lead, err) in enumerate(timing_errors(probs, data, thresholds, args.distance).values()):
        u = units[lead]
        for k, v in enumerate((np.ones_like(err), err, err**2)):
            np.add.at(out[:, c, k], u, v)
    return out


def evaluate_arm(arm: str, val_probs: np.ndarray, test_probs: np.ndarray, sets: dict, args) -> dict:
    val, test = sets["validation"], sets["test"]
    v, t = score(val_probs, val, args), score(test_probs, test, args)
    dev = [best_index(v["all"][:, c]) for c in range(len(BOUNDARIES))]
    thresholds = {n: float(THRESHOLDS[dev[c]]) for c, n in enumerate(BOUNDARIES)}
    fixed = int(np.argmin(np.abs(THRESHOLDS - FIXED)))
    val_f1 = {n: float(f1_curve(v["all"][:, c].sum(axis=0))[dev[c]]) for c, n in enumerate(BOUNDARIES)}
    out = {"test": t, "dev_index": np.array(dev), "val_f1": val_f1, "fixed_index": np.array(dev if arm == "bce_tuned" else [fixed] * 6),
           "val_thresholds": thresholds, "timing": timing_stats(test_probs, test, thresholds, args)}
    if "limb" in v:
        out["transfer_index"] = {"limb": np.array([best_index(v["limb"][:, c]) for c in range(6)]),
                                 "chest": np.array([best_index(v["chest"][:, c]) for c in range(6)])}
    return out


def run_seed(seed: int, sets: dict, args) -> dict:
    torch.manual_seed(seed)
    init = UNet1d(1, len(BOUNDARIES), widths=tuple(args.widths), kernel_size=args.kernel_size)
    batches = {w: EcgBatches(sets[w], args.batch_size, args.window, seed, args.augment) for w in ("train", "train_widened")}
    warm, warm_summary = train_arm(init, ArmConfig(lr=args.lr), batches["train"], args.warmup_steps, seed=seed)
    print(f"[seed {seed}] warm-up: {args.warmup_steps} steps in {warm_summary['seconds']:.0f} s", flush=True)
    specs, out = arm_specs(args.critic), {"warmup": warm_summary, "arms": {}}
    val_x, test_x = sets["validation"].signals, sets["test"].signals
    probs = {}
    for arm in (a for a in args.arms if a in TRAINED):
        spec = specs[arm]
        cfg = ArmConfig(base=base_loss(spec, args.pos_weight), critic=spec.critic, weight=args.weight, lr=args.lr,
                        d_lr=args.d_lr, cosine=True)
        data = Offset(batches["train_widened" if spec.widen else "train"], args.warmup_steps)
        model, summary = train_arm(warm, cfg, data, args.steps, seed=seed)
        probs[arm] = (predict(model, val_x), predict(model, test_x))
        out["arms"][arm] = {"train": summary, **evaluate_arm(arm, *probs[arm], sets, args)}
        print(f"[seed {seed}] {arm:14s} trained {summary['seconds']:.0f} s", flush=True)
    if "bce" in probs:
        if "bce_tuned" in args.arms:
            out["arms"]["bce_tuned"] = {"train": {"seconds": 0.0}, **evaluate_arm("bce_tuned", *probs["bce"], sets, args)}
        if "bce_calibrated" in args.arms:
            cal = fit_calibration(probs["bce"][0], sets["validation"].targets * sets["validation"].masks[:, None],
                                  method="power")
            mapped = (cal(probs["bce"][0]), cal(probs["bce"][1]))
            out["arms"]["bce_calibrated"] = {"train": {"seconds": 0.0}, "calibration": cal.to_dict(),
                                             **evaluate_arm("bce_calibrated", *mapped, sets, args)}
    return out


_SHARED: dict = {}


def _worker(seed: int) -> dict:
    torch.set_num_threads(1)
    return run_seed(seed, _SHARED["sets"], _SHARED["args"])


def run_seeds(sets: dict, args) -> dict:
    """Every seed's run, in ``--workers`` forked processes (one thread each) or in this one."""
    if args.workers == 1 or len(args.seeds) == 1:
        return {seed: run_seed(seed, sets, args) for seed in args.seeds}
    import multiprocessing

    _SHARED.update(sets=sets, args=args)  # inherited by the forked workers, not pickled
    with multiprocessing.get_context("fork").Pool(min(args.workers, len(args.seeds))) as pool:
        return dict(zip(args.seeds, pool.map(_worker, args.seeds)))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="a few steps on a handful of records (tests)")
    p.add_argument("--synthetic", action="store_true", help="use the synthetic ECG even if LUDB is present")
    p.add_argument("--ludb", default=None, help="LUDB folder (default: ../shared/data/ludb or $SHAPELOSS_LUDB)")
    p.add_argument("--max-records", type=int, default=None, help="at most this many records per split")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", default=list(ALL_ARMS), choices=list(ALL_ARMS))
    p.add_argument("--warmup-steps", type=int, default=3000, help="shared BCE steps before the arms branch")
    p.add_argument("--steps", type=int, default=1000, help="steps of each trained arm after the warm-up")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--widths", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    p.add_argument("--kernel-size", type=int, default=9)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--width", type=float, default=5.0, help="boundary peak standard deviation, samples")
    p.add_argument("--widen-scatter", type=float, default=5.0, help="widened arm: scatter absorbed, samples")
    p.add_argument("--pos-weight", type=float, default=10.0, help="weighted arm: positive weight")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--d-lr", type=float, default=2e-4)
    p.add_argument("--weight", type=float, default=100.0, help="ShapeLoss lambda")
    p.add_argument("--critic", default="light", choices=["light", "global", "patch"])
    p.add_argument("--distance", type=int, default=100, help="minimum samples between two picks of one kind")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--workers", type=int, default=1, help="seeds trained in parallel processes (one thread each)")
    add_run_arguments(p)
    args = parse_checked(p, argv)
    if "bce" not in args.arms and {"bce_tuned", "bce_calibrated"} & set(args.arms):
        p.error(f"--arms: expected 'bce' among the arms when a post-hoc arm is asked for, got {args.arms}")
    if args.workers < 1:
        p.error(f"--workers: expected a positive int, got {args.workers}")
    if args.smoke:
        args.warmup_steps, args.steps, args.batch_size, args.window = 3, 2, 4, 256
        args.max_records, args.n_boot, args.seeds = args.max_records or 4, 20, args.seeds[:2]
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    args.threads = apply_threads(args.threads)
    path, _ = output_paths("ecg_decision", "ecg_decision.json", out=args.out, run_dir=args.run_dir)
    command, commit, dirty = provenance(__file__, argv)
    t0 = time.perf_counter()
    sets, source = load_sets(args)
    print(f"data: {source}; {len(sets['train'])} train leads, {len(sets['test'])} test leads", flush=True)
    runs = run_seeds(sets, args)
    summary = pooled(runs, n_boot=args.n_boot)
    print_summary(summary)
    out = {
        "command": command, "commit": commit, "uncommitted_files": dirty, "torch": torch.__version__,
        "python": platform.python_version(), "threads": args.threads, "device": "cpu", "data": source,
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "run_dir", "progress")},
        "split": sets["split"], "n_test_leads": len(sets["test"]), "thresholds": THRESHOLDS,
        "per_seed": {str(s): {"warmup": r["warmup"], "arms": {a: {"train": d["train"], "val_thresholds": d["val_thresholds"],
                                                                  "val_f1_at_val_threshold": d["val_f1"],
                                                                  **({"calibration": d["calibration"]} if "calibration" in d else {})}
                                                              for a, d in r["arms"].items()}} for s, r in runs.items()},
        "pooled": summary, "seconds": time.perf_counter() - t0,
    }
    write_json(path, out)
    print(f"\nwrote {path} in {out['seconds']:.0f} s")
    return out


if __name__ == "__main__":
    main()
