"""The seismic benchmark's command line: its options, the presets they fill in, the arms they
name, and the data they resolve to (``args.data_kind``, ``args.data_path``, ``args.length``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from benchmarks._seismic_common import BETAS, PRESETS, ROOT
from benchmarks._seismic_pretrained import check_init_from
from benchmarks.seismic_arms import ALL_ARMS, DEFAULT_ARMS, LIBRARY_ARMS, MOONSHOT_ARMS, missing_libraries
from shapeloss import REFERENCE_WEIGHT
from shapeloss.runs import add_run_arguments, parse_checked
from shapeloss.seismic import DEFAULT_NCEDC_PATH, SyntheticConfig

#: The first paragraph of ``benchmarks/seismic_s_phase.py``'s docstring: what ``--help`` shows first.
DESCRIPTION = "S-phase amplitude suppression: a PhaseNet picker trained with BCE alone vs BCE inside ShapeLoss."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options of ``argv`` (default: the command line), checked, with the preset and the data resolved."""
    p = argparse.ArgumentParser(description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", action="store_true", help="one seed, branch schedule, about 20 min on 2 CPU cores (default)")
    preset.add_argument("--paper", action="store_true", help="10,000 steps, batch 100, three seeds, both schedules (for a GPU)")
    p.add_argument("--data", default="synthetic", help="synthetic | ncedc | a folder of PhaseNet npz files | seisbench:<name> or a SeisBench dataset folder (already on disk)")
    p.add_argument("--schedule", choices=["scratch", "branch", "both"])
    p.add_argument("--seeds", type=int, nargs="+")
    p.add_argument("--steps", type=int, help="total steps per arm")
    p.add_argument("--branch-at", type=int, help="branch schedule: steps of shared BCE warm-up")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--weight", type=float, default=REFERENCE_WEIGHT, help="lambda, the BCE weight inside ShapeLoss (4000)")
    p.add_argument("--discriminator", default="compact", help="critic preset: compact (default: the study's layout on 4x pooled inputs, see docs/performance.md) | reference (the study's critic) | global | patch | light")
    p.add_argument("--d-every", type=int, default=1, help="update the critic on every k-th step only (1: every step)")
    p.add_argument("--lr", type=float, default=1e-3, help="generator learning rate (Adam)")
    p.add_argument("--d-lr", type=float, default=1e-3, help="critic learning rate (Adam, betas 0.5, 0.999)")
    p.add_argument("--output-prior", choices=["labels", "none"], default="labels",
                   help="initial output bias: the logit of the mean dev label per channel (labels, default) or PyTorch's default (none)")
    p.add_argument("--adam-betas", choices=sorted(BETAS), default="default",
                   help="Adam betas: default (net 0.9, 0.999; critic 0.5, 0.999) or study (0, 0.999 for both, as the reference study)")
    p.add_argument("--workers", type=int, default=0,
                   help="worker processes making training batches ahead (0: in the training process)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--eval-windows", type=int)
    p.add_argument("--dev-windows", type=int)
    p.add_argument("--label-jitter", action="store_true",
                   help="real data: perturb S picks of emergent onsets (lowest STA/LTA half) like analysts disagree")
    p.add_argument("--label-jitter-per-window", action="store_true",
                   help="with --label-jitter: draw the training S pick of emergent traces afresh for every window")
    p.add_argument("--crops-per-trace", type=int, default=10, help="real data: evaluation crops per trace")
    p.add_argument("--curve-every", type=int, default=250)
    p.add_argument("--curve-windows", type=int, default=128)
    p.add_argument("--track-every", type=int, default=50)
    p.add_argument("--tracked-windows", type=int, default=4)
    p.add_argument("--figure-windows", type=int, default=8)
    p.add_argument("--checkpoint-every", type=int, default=250)
    p.add_argument("--synthetic", type=json.loads, default={}, help='SyntheticConfig overrides as JSON, e.g. \'{"emergent_s_jitter": 0}\'')
    p.add_argument("--work-dir", default=str(Path.home() / ".cache" / "shapeloss" / "seismic_s_phase"))
    add_run_arguments(p, publish="benchmarks/results/seismic_s_phase_<data>_<preset>.json and its figures")
    p.add_argument("--arms", nargs="+", default=list(DEFAULT_ARMS),
                   help=f"arms to run: any of {', '.join(ALL_ARMS)}, or 'baselines' (all but the moonshots and focal), 'moonshots', 'all' "
                        f"(default: {' '.join(DEFAULT_ARMS)}; bce and shapeloss always run; see benchmarks/seismic_arms.py)")
    p.add_argument("--init-from", default=None,
                   help="pre-train, then fine-tune: start each seed's network from this checkpoint's PhaseNet weights "
                        "('{seed}' is replaced by the seed), e.g. a synthetic run's <work folder>/seed{seed}_branch/bce.pt")
    p.add_argument("--fresh", action="store_true", help="ignore existing checkpoints")
    p.add_argument("--no-figures", action="store_true")
    args = parse_checked(p, argv)

    groups = {"all": ALL_ARMS, "moonshots": MOONSHOT_ARMS,
              "baselines": tuple(a for a in ALL_ARMS if a not in MOONSHOT_ARMS + LIBRARY_ARMS)}
    arms = ["bce", "shapeloss"]
    for a in args.arms:
        if a not in ALL_ARMS and a not in groups:
            p.error(f"--arms: expected arms among {list(ALL_ARMS)} or {sorted(groups)}, got {a!r}")
        arms += [x for x in groups.get(a, (a,)) if x not in arms]
    for message in missing_libraries(arms):
        p.error(message)
    args.arms = arms
    name = "paper" if args.paper else "quick"
    custom = any(getattr(args, k) is not None for k in ("steps", "branch_at", "batch_size", "seeds", "schedule", "eval_windows", "dev_windows"))
    for key, value in PRESETS[name].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    args.preset = name if not custom else f"{name}-custom"
    if args.schedule == "branch" and not 0 < args.branch_at < args.steps:
        p.error(f"--branch-at: expected 0 < branch-at < steps ({args.steps}), got {args.branch_at}")
    if args.d_every < 1:
        p.error(f"--d-every: expected an integer >= 1, got {args.d_every}")
    if args.workers < 0:
        p.error(f"--workers: expected an integer >= 0, got {args.workers}")
    for message in check_init_from(args.init_from, args.seeds):
        p.error(message)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA device is available")

    if args.data == "synthetic":
        args.data_kind, args.data_path = "synthetic", None
    elif args.data.startswith("seisbench:") or (Path(args.data) / "metadata.csv").is_file():
        # a SeisBench dataset already on disk: "seisbench:<name>" in SeisBench's cache, or its folder
        args.data_kind, args.data_path = "seisbench", args.data
    else:
        path = Path(args.data if args.data != "ncedc" else ROOT / DEFAULT_NCEDC_PATH)
        if path.is_dir():
            args.data_kind, args.data_path = "npz", path.resolve()
        elif args.data == "ncedc":
            print(f"No NCEDC sample at {path}: using synthetic data (pass --data <folder of PhaseNet npz files> for your own).")
            args.data_kind, args.data_path = "synthetic", None
        else:
            p.error(f"--data: expected synthetic, ncedc or an existing folder of PhaseNet npz files, got {args.data!r}")
    args.length = SyntheticConfig(**args.synthetic).length if args.data_kind == "synthetic" else 3001
    return args
