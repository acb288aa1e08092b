"""Where the seismic benchmark keeps a run's checkpoints: the data tag, the recorded settings and
the work-folder key, with the rules that keep folders made by older versions valid, and the
commit a run starts from.

A work folder ``<work-dir>/seismic_s_phase_<data>_<key>/`` holds every seed's checkpoints and
results; it is reused only by a run with the same settings and the same data generator. The key
must not change for a given command line: ``tests/seismic/test_work_keys.py`` pins it.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from pathlib import Path

from benchmarks._provenance import marked_commit
from shapeloss.seismic import SyntheticConfig

#: Options that are a run's own business, not its settings (left out of the recorded settings).
NOT_SETTINGS = ("work_dir", "fresh", "no_figures", "progress", "out", "threads", "quick", "paper", "seeds", "workers",
                "command", "commit", "run_dir", "publish")
#: Settings a run may change without leaving its work folder: the device (a run started on a GPU can
#: be resumed or summarised on a CPU), the preset's name and the arms (added to a finished seed).
NOT_KEYED = ("preset", "device", "arms")
#: Options added after work folders existed, keyed only away from these defaults so older folders stay valid.
LATER_DEFAULTS = {"d_every": 1, "init_from": None}
#: The modules whose uncommitted changes mark a run's commit ``-dirty``.
CODE = ("shapeloss", "benchmarks/seismic_s_phase.py", "benchmarks/seismic_arms.py", "benchmarks/seismic_threshold_free.py",
        "benchmarks/_seismic_*.py")


def _without_legacy_draw(values: dict) -> dict:
    """``values`` without ``noise_draw`` where it is ``"ziggurat"``, the only draw before the field
    existed: work folders made before it stay valid for the windows they were trained on."""
    return {k: v for k, v in values.items() if (k, v) != ("noise_draw", "ziggurat")}


def keyed_synthetic_config(args: argparse.Namespace) -> dict | None:
    """The synthetic generator's settings as work folders are keyed by (``None`` for real data)."""
    if args.data_kind != "synthetic":
        return None
    return _without_legacy_draw(dataclasses.asdict(SyntheticConfig(**args.synthetic)))


#: :func:`keyed_synthetic_config` of the generator's defaults before ``noise_draw`` existed.
LEGACY_SYNTHETIC_KEY = _without_legacy_draw(dataclasses.asdict(SyntheticConfig(noise_draw="ziggurat")))


def data_tag(args: argparse.Namespace) -> str:
    """``synthetic``, ``ncedc``, ``seisbench`` or ``npz``, with ``_jitter`` or ``_jitter_per_window``
    for real data with perturbed S picks: the result file's and the work folder's name."""
    tag = "synthetic" if args.data_kind == "synthetic" else ("ncedc" if args.data == "ncedc" else ("seisbench" if args.data_kind == "seisbench" else "npz"))
    if args.label_jitter and args.data_kind != "synthetic":
        tag += "_jitter_per_window" if args.label_jitter_per_window else "_jitter"
    return tag


def run_settings(args: argparse.Namespace) -> dict:
    """The settings a result JSON records (paths as strings), in the order of the options."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in NOT_SETTINGS}


def work_key(args: argparse.Namespace, settings: dict) -> str:
    """The 10-hex-digit key of the settings and the data generator (see the module's docstring)."""
    keyed = dict({k: v for k, v in settings.items() if k not in NOT_KEYED and LATER_DEFAULTS.get(k, object()) != v},
                 synthetic_config=keyed_synthetic_config(args))
    keyed["synthetic"] = _without_legacy_draw(args.synthetic)  # the overrides, keyed alike
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:10]


def work_root(args: argparse.Namespace, settings: dict) -> Path:
    """``<work-dir>/seismic_s_phase_<data>_<key>``: named by the data and the settings, not by the
    preset's name, so that e.g. ``--seeds 0 1 2`` reuses the default run's seed 0."""
    return Path(args.work_dir) / f"seismic_s_phase_{data_tag(args)}_{work_key(args, settings)}"


def tradeoff_key(args: argparse.Namespace, warmup_checkpoint: str | None, critic_steps: int) -> str:
    """``benchmarks/critic_tradeoff.py``'s folder key for one seed: its arms are resumed only from a
    folder made with the same warm-up (the checkpoint's bytes, if given), settings and data generator.
    ``args`` are the benchmark's options for that seed (``parse_args``)."""
    warmup = hashlib.sha256(Path(warmup_checkpoint).read_bytes()).hexdigest() if warmup_checkpoint else None
    keyed = {"warmup": warmup, "branch_at": args.branch_at, "critic_steps": critic_steps,
             "eval_windows": args.eval_windows, "device": args.device}
    synthetic = keyed_synthetic_config(args)
    if synthetic != LEGACY_SYNTHETIC_KEY:  # folders made before --synthetic existed stay valid
        keyed["synthetic"] = synthetic
    return hashlib.sha256(json.dumps(keyed, sort_keys=True).encode()).hexdigest()[:10]


def git_commit() -> str | None:
    """The commit a run starts from, ``-dirty`` when the library or the benchmark's modules differ from it."""
    return marked_commit(list(CODE))
