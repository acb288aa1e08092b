"""One arm of the synthetic-edge benchmark: its loss, its training run, its predictions.

Used by ``benchmarks/synthetic_edges.py`` (1D and 2D alike); the arms' names are
the command line's ``--arms-1d`` / ``--arms-2d`` choices.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from _harness import predict
from edges_rivals import RIVALS, rival_loss
from shapeloss.discriminators import build_discriminator
from shapeloss.edges import BoundaryDistanceLoss, CDFL1Loss, SoftArgmaxLoss, WeightedBCELoss
from shapeloss.losses import ShapeLoss
from shapeloss.training import AdversarialTrainer

ARMS_1D = ("bce", "weighted_bce", "cdf_l1", "soft_argmax", "boundary", "soft_dtw", "shapeloss")
ARMS_2D = ("bce", "weighted_bce", "boundary", "hausdorff_dt", "hausdorff_er", "cldice", "shapeloss")


def base_loss(arm: str, args: argparse.Namespace) -> nn.Module:
    if arm in ("bce", "shapeloss"):
        return nn.BCEWithLogitsLoss()
    if arm == "weighted_bce":
        return WeightedBCELoss(args.pos_weight)
    if arm == "cdf_l1":
        return CDFL1Loss(args.cdf_weight)
    if arm == "soft_argmax":
        return SoftArgmaxLoss(args.soft_argmax_weight, temperature=args.soft_argmax_temperature)
    if arm == "boundary":
        return BoundaryDistanceLoss(args.boundary_weight)
    if arm in RIVALS:
        return rival_loss(arm, args.dims_now, args.rival_weight)
    raise ValueError(arm)


def limit_numba_threads(threads: int) -> int | None:
    """Cap numba's worker threads (tslearn's soft-DTW runs its batch in numba ``prange``)
    at ``threads``, as torch's are; numba left at its default takes every core.
    Returns the count applied, or None when numba is not installed."""
    try:
        import numba
    except ImportError:
        return None
    count = max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(count)
    return count


def train(arm: str, model: nn.Module, dims: int, batches, args: argparse.Namespace, seed: int) -> tuple[nn.Module, dict]:
    """Train one arm from the given initial model; returns the model and a training summary."""
    torch.manual_seed(seed + 1000)
    adversarial = arm == "shapeloss"
    critic = None
    if adversarial:
        if dims == 1:
            critic = build_discriminator(args.critic, 1, 1, dims=1, length=args.length)
        else:
            if args.critic_2d == "patch":
                critic = build_discriminator("patch", 2, 1, dims=2, width=16, depth=2, kernel_size=3)
            else:
                critic = build_discriminator("global", 2, 1, dims=2, width=16, depth=4, kernel_size=3)
    loss = ShapeLoss(base_loss(arm, args), critic, weight=args.weight, adversarial=adversarial)
    g_opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    d_opt = torch.optim.Adam(critic.parameters(), lr=args.d_lr, betas=(0.5, 0.999)) if adversarial else None
    trainer = AdversarialTrainer(model, loss, g_opt, d_opt, progress=args.progress, divergence_window=0)
    t0 = time.perf_counter()
    rows = trainer.fit(batches, args.steps)
    tail = rows[-50:]
    summary = {"seconds": time.perf_counter() - t0}
    for key in ("base", "adversarial", "discriminator", "real_score", "fake_score"):
        vals = [r[key] for r in tail if key in r]
        if vals:
            summary[f"last50_{key}"] = float(np.mean(vals))
    return model, summary


def val_and_test_probs(model, val_x, test_x, chunk=128):
    return predict(model, val_x, chunk), predict(model, test_x, chunk)

