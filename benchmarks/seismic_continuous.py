#!/usr/bin/env python
"""Continuous picking: what each arm of the seismic benchmark gives over all thresholds, and after transfer.

Every arm (a checkpoint of ``benchmarks/seismic_s_phase.py``, optionally followed by a post-hoc
monotone calibration fitted on that seed's dev windows) picks long records with
:func:`shapeloss.seismic.annotate`:

* ``synthetic``: long synthetic records (:func:`shapeloss.seismic.event_record`: Poisson events,
  close pairs, noise-only stretches), scored against the analyst picks and the true onsets;
* shifted synthetic records (other pick scatter, SNR range, impulsive-S share);
* ``ncedc``: the whole NCEDC test traces of the benchmark's split (30 s of real pre-event noise each).

Per set, phase, catalogue, tolerance (0.1 s, 0.5 s) and arm: PR curves over thresholds
0.05-0.95, PR-AUC, best F1 and its threshold, recall at precision 0.9, false picks per hour of
noise at the threshold giving 80 % recall, F1 at 0.5 and 0.7, the near-best threshold range;
paired differences against the baseline arm; threshold transfer (each seed's best threshold on
the source set applied to the others). 95 % intervals resample records (traces).

Usage::

    python benchmarks/seismic_continuous.py --work-root ~/.cache/shapeloss/seismic_s_phase/<run> --seeds 0 1 2
    python benchmarks/seismic_continuous.py --arm bce=PATH --arm shapeloss=PATH --seeds 0
    python benchmarks/seismic_continuous.py --data ncedc --label-jitter --work-root <semi-real run> --seeds 0 1 2

A run writes ``runs/seismic_continuous/<timestamp>/`` (or ``--run-dir`` / ``--out``); ``--publish``
(maintainers) refreshes ``benchmarks/results/seismic_continuous_<data>.json``. Picks are cached per
checkpoint and record set (``--cache-dir``), so a rerun only scores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's modules, as benchmarks.<name>
from benchmarks._continuous_picking import Arm, dev_windows, fit_arm_calibration, load_picker, pick_set, stored_calibration  # noqa: E402
from benchmarks._continuous_scoring import TOLERANCES, score, verdict  # noqa: E402
from benchmarks._continuous_sets import SHIFTS, ncedc_sets, synthetic_set  # noqa: E402
from benchmarks._provenance import ROOT, provenance  # noqa: E402
from benchmarks._results import write_json  # noqa: E402

from shapeloss.runs import Progress, add_run_arguments, output_paths, parse_checked, threads_applied  # noqa: E402

from shapeloss.errors import InvalidArgumentError  # noqa: E402
from shapeloss.operating_points import DEFAULT_THRESHOLDS  # noqa: E402
from shapeloss.seismic import DEFAULT_NCEDC_PATH  # noqa: E402

CACHE = Path.home() / ".cache" / "shapeloss" / "seismic_continuous"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arm", action="append", default=[], metavar="NAME=PATH", help="a checkpoint (one seed: --seeds K)")
    p.add_argument("--work-root", help="a seismic_s_phase work folder: every <arm>.pt of seed<k>_<schedule>/ is an arm")
    p.add_argument("--schedule", default="branch", help="the schedule folder of --work-root (branch)")
    p.add_argument("--arms", nargs="+", help="keep only these arms of --work-root")
    p.add_argument("--calibrated", action="append", default=[], metavar="NAME=BASE:METHOD",
                   help="a post-hoc arm: BASE's checkpoint and fit_calibration(method) on the seed's dev windows "
                        "(default with --work-root: bce_calibrated=bce:isotonic)")
    p.add_argument("--baseline", default="bce", help="the arm every other is compared with (paired)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--data", choices=["synthetic", "ncedc"], default="synthetic", help="what the arms were trained on")
    p.add_argument("--label-jitter", action="store_true", help="semi-real arms: NCEDC analyst S picks perturbed as in training")
    p.add_argument("--synthetic", type=json.loads, default={}, help="the arms' SyntheticConfig overrides (JSON)")
    p.add_argument("--records", type=int, default=30, help="synthetic records per seed (source set)")
    p.add_argument("--record-minutes", type=float, default=10.0)
    p.add_argument("--shift-records", type=int, default=12, help="records per seed of each shifted set")
    p.add_argument("--shifts", nargs="*", default=sorted(SHIFTS), help=f"shifted sets among {sorted(SHIFTS)}")
    p.add_argument("--events-per-hour", type=float, default=60.0)
    p.add_argument("--close-fraction", type=float, default=0.2)
    p.add_argument("--no-ncedc", action="store_true", help="leave the real NCEDC traces out")
    p.add_argument("--ncedc-path", default=str(ROOT / DEFAULT_NCEDC_PATH))
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--cache-dir", default=str(CACHE / "candidates"), help="picks cached per checkpoint and set ('' disables)")
    add_run_arguments(p, publish="benchmarks/results/seismic_continuous_<data>.json and its figures")
    p.add_argument("--no-figures", action="store_true")
    args = parse_checked(p, argv)
    if not args.arm and not args.work_root:
        p.error("--arm or --work-root: expected at least one arm, got none")
    if args.arm and len(args.seeds) != 1:
        p.error(f"--arm: expected one seed with explicit checkpoints, got --seeds {args.seeds}")
    unknown = sorted(set(args.shifts) - set(SHIFTS))
    if unknown:
        p.error(f"--shifts: expected names among {sorted(SHIFTS)}, got {unknown}")
    return args


def find_arms(args: argparse.Namespace, parser_error=None) -> dict[int, list[Arm]]:
    arms: dict[int, list[Arm]] = {}
    for seed in args.seeds:
        found = []
        for spec in args.arm:
            name, _, path = spec.partition("=")
            found.append(Arm(name, seed, Path(path).expanduser()))
        if args.work_root:
            folder = Path(args.work_root).expanduser() / f"seed{seed}_{args.schedule}"
            found += [Arm(f.stem, seed, f) for f in sorted(folder.glob("*.pt")) if f.stem != "warmup"]
            # post-hoc arms of the seismic benchmark: bce.pt and the map it fitted on the dev windows
            done = json.loads((folder / "result.json").read_text()) if (folder / "result.json").is_file() else {}
            for name, a in done.get("arms", {}).items():
                if isinstance(a, dict) and a.get("calibration") and not (folder / f"{name}.pt").exists():
                    try:
                        stored_calibration(a["calibration"])
                    except InvalidArgumentError as error:  # a map this checkout cannot apply
                        print(f"seed {seed}: arm {name} left out ({error})", flush=True)
                        continue
                    found.append(Arm(name, seed, folder / "bce.pt", stored=a["calibration"]))
        if args.arms:
            found = [a for a in found if a.name in args.arms]
        by_name = {a.name: a for a in found}
        default = ["bce_calibrated=bce:isotonic"] if args.work_root and "bce" in by_name and "bce_calibrated" not in by_name else []
        calibrated = list(args.calibrated) or default
        for spec in calibrated:
            name, _, rest = spec.partition("=")
            base, _, method = rest.partition(":")
            if base not in by_name:
                raise SystemExit(f"--calibrated: expected a base arm among {sorted(by_name)}, got {base!r} (seed {seed})")
            if name not in by_name:
                found.append(Arm(name, seed, by_name[base].checkpoint, method or "isotonic"))
        missing = [a.checkpoint for a in found if not a.checkpoint.is_file()]
        if not found or missing:
            raise SystemExit(f"seed {seed}: expected checkpoints, got {'none' if not found else 'missing ' + ', '.join(map(str, missing))}")
        arms[seed] = found
    names = [[a.name for a in arms[s]] for s in args.seeds]
    if any(n != names[0] for n in names):
        raise SystemExit(f"--seeds: expected the same arms for every seed, got {dict(zip(args.seeds, names))}")
    return arms


def _trained_by(arms: dict[int, list[Arm]]) -> dict:
    """The command and commit of benchmarks/seismic_s_phase.py that trained each seed's checkpoints, where recorded."""
    out = {}
    for seed, found in arms.items():
        for folder in sorted({a.checkpoint.parent for a in found}):
            done = folder / "result.json"
            if done.is_file():
                r = json.loads(done.read_text())
                out[f"{seed}:{folder.name}"] = {"command": r.get("command"), "commit": r.get("commit"), "device": r.get("device")}
    return out


def _calibration_of(arm: Arm) -> str | None:
    return "stored by seismic_s_phase (" + str(arm.stored.get("method")) + ")" if arm.stored else arm.calibration


def build_sets(args: argparse.Namespace, seed: int) -> tuple[dict, str]:
    """The record sets of one seed and the name of the set thresholds are chosen on."""
    sets = {}
    if args.data == "synthetic":
        seconds = args.record_minutes * 60.0
        common = dict(base=args.synthetic, seed=seed, record_s=seconds, events_per_hour=args.events_per_hour,
                      close_fraction=args.close_fraction)
        sets["synthetic"] = synthetic_set("synthetic", overrides={}, records=args.records, **common)
        for name in args.shifts:
            sets[name] = synthetic_set(name, overrides=SHIFTS[name], records=args.shift_records, **common)
    if not args.no_ncedc or args.data == "ncedc":
        if not Path(args.ncedc_path).is_dir():
            raise SystemExit(f"--ncedc-path: expected a folder of PhaseNet npz files, got {args.ncedc_path} (or pass --no-ncedc)")
        names = ("ncedc",) if args.data == "synthetic" else ("ncedc_dev", "ncedc")
        sets.update(ncedc_sets(args.ncedc_path, args.label_jitter, names))
    return sets, ("synthetic" if args.data == "synthetic" else "ncedc_dev")


def run(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    with threads_applied(args.threads) as args.threads:
        return _run(args, argv)


def _run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    started = time.perf_counter()
    command, commit, uncommitted = provenance(__file__, argv, imports=("shapeloss/seismic",))
    load_start = list(os.getloadavg())
    arms = find_arms(args)
    names = [a.name for a in arms[args.seeds[0]]]
    baseline = args.baseline if args.baseline in names else None
    cache = Path(args.cache_dir).expanduser() if args.cache_dir else None
    print(f"{command}\narms {names} (baseline {baseline}), seeds {args.seeds}, device {args.device}", flush=True)

    sets, cands, source = {}, {}, None
    for seed in args.seeds:
        sets[seed], source = build_sets(args, seed)
        dev = None
        cands[seed] = {}
        bar = Progress(len(arms[seed]) * len(sets[seed]), desc=f"seed {seed}: picking", enabled=args.progress, unit="set")
        for arm in arms[seed]:
            model = load_picker(arm.checkpoint, args.device)
            calibration = None
            if arm.stored:
                calibration = stored_calibration(arm.stored)
            elif arm.calibration:
                dev = dev if dev is not None else dev_windows(args.data, seed, args.synthetic, args.ncedc_path, args.label_jitter)
                calibration = fit_arm_calibration(arm, model, dev, args.device)
            cands[seed][arm.name] = {}
            for name, record_set in sets[seed].items():
                key = {"name": name, "seed": seed, **record_set.summary(), "records": [args.records, args.record_minutes]}
                cands[seed][arm.name][name] = pick_set(arm, model, calibration, record_set, key, cache, float(DEFAULT_THRESHOLDS[0]),
                                                       100, args.device)
                bar.update(bar.n + 1)
        bar.close()
        print(f"seed {seed}: picked {len(sets[seed])} sets with {len(arms[seed])} arms", flush=True)

    n_keys = sum(len(s.groups[0].catalogues) for s in sets[args.seeds[0]].values()) * 2 * len(TOLERANCES)
    with Progress(n_keys, desc="scoring", enabled=args.progress, unit="table") as bar:
        scores = score(cands, sets, names, baseline, source, DEFAULT_THRESHOLDS, args.n_boot, progress=bar,
                       curves_for=tuple(n for n in sets[args.seeds[0]] if n.startswith("ncedc")))
    result = {
        "benchmark": "seismic_continuous",
        "command": command, "commit": commit, "uncommitted_files": uncommitted,
        "settings": {k: v for k, v in vars(args).items() if k not in ("progress", "out", "run_dir", "publish", "cache_dir")},
        "environment": {"device": args.device, "threads": args.threads, "torch": torch.__version__,
                        "python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "load_average_start": load_start, "load_average_end": list(os.getloadavg())},
        "arms": {name: {"checkpoints": {str(s): str(next(a for a in arms[s] if a.name == name).checkpoint) for s in args.seeds},
                        "calibration": _calibration_of(next(a for a in arms[args.seeds[0]] if a.name == name))} for name in names},
        "trained_by": _trained_by(arms),
        "bootstrap_unit": "a record (synthetic: one record with its events; NCEDC: one trace), pooled over seeds",
        "baseline": baseline, "source": source, "thresholds": DEFAULT_THRESHOLDS.tolist(), "tolerances": TOLERANCES,
        "record_sets": {name: {str(s): sets[s][name].summary() for s in args.seeds} for name in sets[args.seeds[0]]},
        **scores,
    }
    if baseline:
        result["verdict"] = verdict(scores, names, baseline, source)
    # a user's run writes into runs/seismic_continuous/<timestamp>/; the committed evidence only with --publish
    tag = args.data + ("_jitter_per_window" if args.label_jitter else "")
    out, folder = output_paths("seismic_continuous", f"seismic_continuous_{tag}.json", out=args.out, run_dir=args.run_dir,
                               publish=args.publish, published=ROOT / "benchmarks" / "results" / f"seismic_continuous_{tag}.json")
    result["wall_seconds"] = time.perf_counter() - started
    write_json(out, result, separators=(",", ":"))  # the scores first: a failed figure loses no result
    if not args.no_figures:
        from benchmarks._continuous_figures import figures

        result["figures"] = figures(result, folder, out.stem)
        write_json(out, result, separators=(",", ":"))
    from benchmarks._continuous_report import summary_lines

    print("\n".join(summary_lines(result)))
    print(f"wrote {out} ({result['wall_seconds']:.0f} s)")
    return result


if __name__ == "__main__":
    run()
