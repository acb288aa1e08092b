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

The benchmark's pieces live beside it: ``_seismic_cli`` (options), ``_seismic_data``,
``seismic_arms``, ``_seismic_train``, ``_seismic_work`` (checkpoint folders), ``_seismic_eval``,
``_seismic_seed`` (one seed), ``_seismic_summary`` and ``_seismic_figures``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the benchmark's modules, as benchmarks.<name>

from benchmarks import seismic_threshold_free as tfree  # noqa: E402
from benchmarks._provenance import device_info  # noqa: E402  (what each run trained on, recorded at run time)
from benchmarks._seismic_cli import parse_args  # noqa: E402
from benchmarks._results import json_default, write_json  # noqa: E402
from benchmarks._seismic_common import PHASES, RESULTS, device_name  # noqa: E402
from benchmarks._seismic_data import make_data  # noqa: E402
from benchmarks._seismic_figures import figures  # noqa: E402
from benchmarks._seismic_seed import run_seed  # noqa: E402
from benchmarks._seismic_summary import print_table, summarise  # noqa: E402
from benchmarks._seismic_train import estimate_seconds  # noqa: E402
from benchmarks._seismic_work import data_tag as data_tag_of, git_commit, run_settings, work_root  # noqa: E402
from shapeloss.runs import format_duration, run_folder, threads_applied  # noqa: E402
from shapeloss.seismic import SyntheticConfig  # noqa: E402


def run(argv: list[str] | None = None) -> dict:
    """Run the benchmark; returns the JSON-ready result (also written to disk)."""
    args = parse_args(argv)
    with threads_applied(args.threads) as args.threads:
        return _run(args, argv)


def _run(args: argparse.Namespace, argv: list[str] | None) -> dict:
    started = time.perf_counter()
    load_start = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    commit = args.commit = git_commit()  # the code this run starts with
    command = "python benchmarks/seismic_s_phase.py" + ("" if not argv else " " + shlex.join(argv))
    if argv is None:
        command = "python benchmarks/seismic_s_phase.py" + ("" if len(sys.argv) == 1 else " " + shlex.join(sys.argv[1:]))
    args.command = command  # recorded with each seed's result: a later invocation may only summarise it
    data_tag = data_tag_of(args)
    stem = Path(args.out).stem if args.out else f"seismic_s_phase_{data_tag}_{args.preset}"
    # a user's run writes into its own folder; the committed evidence is refreshed only with --publish
    if args.out:
        out = Path(args.out).resolve()
    else:
        out = (RESULTS if args.publish else run_folder("seismic_s_phase", args.run_dir).resolve()) / f"{stem}.json"
    settings = run_settings(args)
    # Checkpoints are reused only by a run with the same settings and the same data generator.
    args.work_root = str(work_root(args, settings))
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
        "summary": summarise(results, synthetic=args.data_kind == "synthetic"),  # no synthetic verdict on real data
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
    write_json(out, report, indent=1, default=json_default)
    print(f"wrote {out}" + ("" if args.publish or args.out else " (pass --publish to refresh the committed results instead)"))
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min) on {report['environment']['device']}")
    return report


if __name__ == "__main__":
    run()
