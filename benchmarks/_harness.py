"""A shared benchmark harness for the ECG and edge benchmarks: train one arm, predict, write JSON.

* :func:`train_arm` trains a copy of a network (or continues one: the branch schedule) with a
  point-wise base loss, optionally wrapped by a critic (ShapeLoss), on seeded batches
  ``step -> (inputs, labels)``; returns the model, the trainer (so a later call can continue it)
  and a summary of the last steps;
* :func:`predict` runs a network on ``(N, C, L)`` (or ``(N, L)``) arrays in chunks, returning
  probabilities (sigmoid);
* :func:`_clean` turns numpy scalars and arrays into JSON values (non-finite floats to ``null``);
* :func:`write_json` writes a result atomically (a temporary file renamed over the target), so a
  killed run never leaves a half-written JSON.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from benchmarks._results import write_json as _write_json_atomic
from shapeloss.discriminators import build_discriminator
from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.losses import ShapeLoss
from shapeloss.training import AdversarialTrainer

__all__ = ["ArmConfig", "train_arm", "predict", "_clean", "write_json"]


@dataclass
class ArmConfig:
    """How one arm trains.

    Attributes:
        base: the point-wise base loss module (``nn.BCEWithLogitsLoss()``, a weighted BCE...).
        critic: a critic preset name for ShapeLoss (``None``: the base loss alone).
        weight: ShapeLoss lambda.
        lr, d_lr: generator and critic learning rates.
        in_channels: input channels the critic is conditioned on.
        cosine: decay the generator's learning rate to 0 over the steps of this call (cosine).
    """

    base: nn.Module = field(default_factory=nn.BCEWithLogitsLoss)
    critic: str | None = None
    weight: float = 100.0
    lr: float = 1e-3
    d_lr: float = 2e-4
    in_channels: int = 1
    cosine: bool = False


def train_arm(init: nn.Module, cfg: ArmConfig, batches: Callable[[int], tuple], steps: int, *, seed: int,
              copy_init: bool = True, progress: bool | None = False) -> tuple[nn.Module, dict]:
    """Train ``init`` (a copy unless ``copy_init`` is false) for ``steps`` steps on ``batches``.

    ``batches(step)`` must be deterministic in ``step`` so two arms branching from one warm-up see
    the same batches. The critic and its optimizer are seeded by ``seed``.

    Returns:
        ``(model, summary)``: summary holds ``seconds`` and the mean of the last 50 steps'
        ``base``, ``adversarial``, ``discriminator``, ``real_score`` and ``fake_score``.
    """
    if not isinstance(steps, int) or steps < 0:
        raise InvalidArgumentError(f"steps: expected a non-negative int, got {steps!r}")
    model = copy.deepcopy(init) if copy_init else init
    if steps == 0:
        return model, {"seconds": 0.0}
    torch.manual_seed(seed + 1000)
    adversarial = cfg.critic is not None
    out_channels = _out_channels(model, batches)
    critic = build_discriminator(cfg.critic, out_channels, cfg.in_channels, dims=1) if adversarial else None
    loss = ShapeLoss(cfg.base, critic, weight=cfg.weight, adversarial=adversarial)
    g_opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    d_opt = torch.optim.Adam(critic.parameters(), lr=cfg.d_lr, betas=(0.5, 0.999)) if adversarial else None
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(g_opt, T_max=steps) if cfg.cosine else None
    trainer = AdversarialTrainer(model, loss, g_opt, d_opt, g_scheduler=sched, progress=progress, divergence_window=0)
    t0 = time.perf_counter()
    rows = trainer.fit(batches, steps)
    summary: dict = {"seconds": time.perf_counter() - t0}
    for key in ("base", "adversarial", "discriminator", "real_score", "fake_score"):
        vals = [r[key] for r in rows[-50:] if key in r]
        if vals:
            summary[f"last50_{key}"] = float(np.mean(vals))
    return model, summary


def _out_channels(model: nn.Module, batches: Callable[[int], tuple]) -> int:
    _, y = batches(0)[:2]
    return int(y.shape[1])


@torch.no_grad()
def predict(model: nn.Module, inputs, chunk: int = 32) -> np.ndarray:
    """Sigmoid outputs of ``model`` on ``inputs`` ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, L)`` (one
    channel), a numpy array or a tensor, in chunks of ``chunk``; the model's mode is restored."""
    t = inputs.detach() if isinstance(inputs, torch.Tensor) else torch.from_numpy(np.asarray(inputs, dtype=np.float32))
    if t.ndim == 2:
        t = t[:, None, :]
    if t.ndim < 3 or len(t) == 0:
        raise ShapeMismatchError(
            f"inputs: expected a non-empty (N, C, L), (N, C, H, W) or (N, L) array, got shape {tuple(inputs.shape)}")
    was_training = model.training
    model.eval()
    try:
        return torch.cat([torch.sigmoid(model(t[i : i + chunk])) for i in range(0, len(t), chunk)]).numpy()
    finally:
        model.train(was_training)


def _clean(obj):
    """JSON-ready copy of ``obj``: numpy arrays to lists, numpy scalars to Python, nan/inf to ``None``."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if not math.isfinite(float(obj)) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path: str | os.PathLike[str], obj: dict) -> Path:
    """Write ``_clean(obj)`` to ``path`` (indent 1) with the benchmarks' one atomic writer
    (:func:`benchmarks._results.write_json`), creating its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _write_json_atomic(path, _clean(obj), indent=1)
