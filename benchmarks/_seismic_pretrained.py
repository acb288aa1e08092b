"""``--init-from``: pre-train on one dataset, fine-tune on another (e.g. synthetic, then real).

The network of each seed starts from a checkpoint's PhaseNet weights instead of its random
initialisation: on the branch schedule the shared BCE warm-up starts there (with a fresh
generator optimizer), on the scratch schedule both arms do. The path may hold ``{seed}``,
replaced by each seed (``.../seed{seed}_branch/bce.pt``: each seed fine-tunes its own
synthetic run). Checkpoints are read through ``shapeloss.seismic.cli.load_phasenet`` (one
reader, ``weights_only``).

A seed's work folder records the checkpoint it started from (path and SHA-256, in
``init_from.json``); resuming that folder from a checkpoint with other bytes is refused, so a
retrained pre-training run never mixes with fine-tuning started from the old one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from benchmarks._results import write_json
from benchmarks._seismic_common import BETAS
from shapeloss.errors import CheckpointError
from shapeloss.seismic.cli import load_phasenet

__all__ = ["init_path", "check_init_from", "pretrained_start"]

RECORD = "init_from.json"


def init_path(template: str, seed: int) -> Path:
    """The checkpoint of ``seed``: ``template`` with ``{seed}`` replaced, ``~`` expanded."""
    return Path(template.replace("{seed}", str(seed))).expanduser()


def check_init_from(template: str | None, seeds: list[int]) -> list[str]:
    """``--init-from`` errors for the requested seeds (a missing checkpoint, a placeholder other than ``{seed}``)."""
    if template is None:
        return []
    if "{" in template.replace("{seed}", "") or "}" in template.replace("{seed}", ""):
        return [f"--init-from: expected a path with no placeholder but {{seed}}, got {template!r}"]
    return [f"--init-from: expected an existing checkpoint for seed {s}, got nothing at {str(init_path(template, s))!r}"
            for s in seeds if not init_path(template, s).is_file()]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pretrained_start(args, seed: int, work: Path, model: torch.nn.Module) -> dict | None:
    """The start (weights, a fresh optimizer state, step 0) of ``seed`` from ``--init-from``, or ``None``.

    ``model`` is the seed's freshly initialised network (its architecture must match the
    checkpoint's: a mismatch raises). The checkpoint is recorded in ``work``; a folder that
    recorded other bytes raises :class:`~shapeloss.errors.CheckpointError`.
    """
    if args.init_from is None:
        return None
    path = init_path(args.init_from, seed)
    digest = _sha256(path)
    record = work / RECORD
    if record.exists() and not args.fresh:
        before = json.loads(record.read_text())
        if before.get("sha256") != digest:
            raise CheckpointError(
                f"--init-from: expected the checkpoint this work folder started from ({before.get('path')!r}, "
                f"sha256 {str(before.get('sha256'))[:12]}), got {str(path)!r} with sha256 {digest[:12]}; "
                f"pass --fresh to start over, or another --work-dir")
    net = load_phasenet(path)
    try:
        model.load_state_dict(net.state_dict())
    except RuntimeError as exc:
        raise CheckpointError(f"--init-from: expected PhaseNet weights of this benchmark's network, got {str(path)!r} "
                              f"({str(exc).splitlines()[0][:200]})") from exc
    if not record.exists() or args.fresh:  # recorded once the weights are known to fit
        write_json(record, {"path": str(path), "sha256": digest})
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=BETAS[args.adam_betas]["generator"])
    return {"model": model.state_dict(), "g_optimizer": optimizer.state_dict(), "step": 0}
