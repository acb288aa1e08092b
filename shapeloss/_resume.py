"""Does a checkpoint fit a trainer? Every part is checked before anything is loaded.

:func:`check_state` raises :class:`CheckpointError` naming the first part that
does not fit (model and critic weights by name, shape and dtype; optimizer
types, parameter groups and state shapes; scheduler and scaler presence;
counters; RNG states), and returns the hyperparameters that differ, for the
trainer to warn about. Which side wins a difference: the optimizers'
settings (learning rate, betas, weight decay...) come from the checkpoint,
as ``torch.optim.Optimizer.load_state_dict`` restores them (a scheduler's
schedule depends on them); the loss's and the trainer's settings (weight,
objective, d_steps...) come from the code that built the trainer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from .checkpoint import CHECKPOINT_FORMAT
from .errors import CheckpointError
from .seed import get_rng_state, set_rng_state

__all__ = ["check_state", "trainer_settings"]

REQUIRED = ("step", "skipped", "model", "loss", "g_optimizer", "d_optimizer", "scaler", "rng")
OPTIMIZER_SETTINGS = ("lr", "betas", "momentum", "weight_decay", "eps", "nesterov", "amsgrad")


def trainer_settings(trainer: Any) -> dict[str, Any]:
    """The loss's and trainer's settings a checkpoint records (compared on resume)."""
    loss = trainer.loss
    return {
        "weight": float(loss.weight),
        "objective": loss.objective.name,
        "adversarial": bool(loss.adversarial),
        "gp_weight": float(loss.gp_weight),
        "r1_weight": float(loss.r1_weight),
        "d_steps": trainer.d_steps,
        "d_every": trainer.d_every,
        "grad_clip": trainer.grad_clip,
    }


def _check_tensors(ours: Mapping[str, Tensor], saved: object, part: str) -> None:
    if not isinstance(saved, Mapping):
        raise CheckpointError(f"checkpoint {part}: expected a state dict of tensors, got {type(saved).__name__}")
    missing = [k for k in ours if k not in saved]
    extra = [k for k in saved if k not in ours]
    if missing or extra:
        raise CheckpointError(
            f"checkpoint {part}: expected the tensors of this trainer's {part} ({len(ours)}), got a state missing "
            f"{missing[:5]} and with unexpected {extra[:5]}"
        )
    for key, tensor in ours.items():
        other = saved[key]
        if not isinstance(other, Tensor):
            raise CheckpointError(f"checkpoint {part}: expected {key!r} as a tensor, got {type(other).__name__}")
        if other.shape != tensor.shape or other.dtype != tensor.dtype:
            raise CheckpointError(
                f"checkpoint {part}: expected {key!r} of shape {tuple(tensor.shape)} and dtype {tensor.dtype}, "
                f"got shape {tuple(other.shape)} and dtype {other.dtype}"
            )


def _same(a: object, b: object) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b) if not isinstance(a, Tensor) and not isinstance(b, Tensor) else False


def _check_optimizer(opt: torch.optim.Optimizer, saved: object, saved_type: object, part: str) -> list[str]:
    kind = type(opt).__name__
    if saved_type is not None and saved_type != kind:
        raise CheckpointError(f"checkpoint {part}: expected the state of this trainer's {kind}, got the state of {saved_type}")
    if not isinstance(saved, Mapping) or not isinstance(saved.get("param_groups"), list) or not isinstance(saved.get("state"), Mapping):
        raise CheckpointError(f"checkpoint {part}: expected an optimizer state dict with 'state' and 'param_groups', got {type(saved).__name__}")
    groups, saved_groups = opt.param_groups, saved["param_groups"]
    if len(groups) != len(saved_groups):
        raise CheckpointError(f"checkpoint {part}: expected {len(groups)} parameter group(s), got {len(saved_groups)}")
    params: list[Tensor] = []
    diffs: list[str] = []
    for i, (group, other) in enumerate(zip(groups, saved_groups)):
        if not isinstance(other, Mapping) or not isinstance(other.get("params"), list):
            raise CheckpointError(f"checkpoint {part}: expected parameter group {i} as a dict with 'params', got {type(other).__name__}")
        if len(group["params"]) != len(other["params"]):
            raise CheckpointError(
                f"checkpoint {part}: expected {len(group['params'])} parameter(s) in group {i}, got {len(other['params'])}"
            )
        foreign = sorted(set(other) - set(group) - {"initial_lr"})
        if foreign:
            raise CheckpointError(
                f"checkpoint {part}: expected the settings of a {kind} in group {i}, got settings {kind} does not have "
                f"{foreign} (the state of another optimizer type)"
            )
        params.extend(group["params"])
        for key in OPTIMIZER_SETTINGS:
            mine, theirs = group.get(key), other.get(key)
            if key == "lr" and "initial_lr" in group and "initial_lr" in other:
                key, mine, theirs = "initial lr", group["initial_lr"], other["initial_lr"]
            if mine is not None and theirs is not None and not _same(mine, theirs):
                diffs.append(f"{part} group {i} {key}: expected {mine!r} (this trainer), got {theirs!r} (the checkpoint's, which is used)")
    for index, entry in saved["state"].items():
        if not isinstance(index, int) or not 0 <= index < len(params) or not isinstance(entry, Mapping):
            raise CheckpointError(f"checkpoint {part}: expected state for parameters 0..{len(params) - 1}, got an entry for {index!r}")
        for name, value in entry.items():
            if isinstance(value, Tensor) and value.ndim > 0 and value.shape != params[index].shape:
                raise CheckpointError(
                    f"checkpoint {part}: expected {name!r} of parameter {index} with shape {tuple(params[index].shape)}, "
                    f"got {tuple(value.shape)}"
                )
    return diffs


def _check_presence(ours: object, saved: object, part: str, what: str) -> bool:
    """True when both sides have the part; raises when only one does."""
    if ours is None and saved is None:
        return False
    if ours is not None and saved is None:
        raise CheckpointError(
            f"checkpoint {part}: expected the state of this trainer's {what} ({type(ours).__name__}), got none in the checkpoint"
        )
    if ours is None:
        raise CheckpointError(f"checkpoint {part}: expected no {what} state (this trainer has no {what}), got one in the checkpoint")
    return True


def check_state(trainer: Any, state: object) -> list[str]:
    """Raise :class:`CheckpointError` unless ``state`` fits ``trainer``; return the settings that differ."""
    if not isinstance(state, Mapping):
        raise CheckpointError(f"checkpoint: expected a dict, got {type(state).__name__}")
    if state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"checkpoint: field 'format': expected {CHECKPOINT_FORMAT!r}, got {state.get('format')!r}")
    for field in REQUIRED:
        if field not in state:
            raise CheckpointError(f"checkpoint: expected field {field!r}, got a checkpoint without it")
    for field in ("step", "skipped"):
        value = state[field]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CheckpointError(f"checkpoint: field {field!r}: expected an int >= 0, got {value!r}")
    # what is there at all first (the clearest message), then whether each part fits
    has_critic_opt = _check_presence(trainer.d_optimizer, state["d_optimizer"], "d_optimizer", "critic optimizer")
    has_scheduler = {part: _check_presence(getattr(trainer, part), state.get(part), part, "scheduler")
                     for part in ("g_scheduler", "d_scheduler")}
    _check_tensors(trainer.model.state_dict(), state["model"], "model")
    _check_tensors(trainer.loss.state_dict(), state["loss"], "loss")
    diffs = _check_optimizer(trainer.g_optimizer, state["g_optimizer"], state.get("g_optimizer_type"), "g_optimizer")
    if has_critic_opt:
        diffs += _check_optimizer(trainer.d_optimizer, state["d_optimizer"], state.get("d_optimizer_type"), "d_optimizer")
    for part in ("g_scheduler", "d_scheduler"):
        ours, saved = getattr(trainer, part), state.get(part)
        if has_scheduler[part]:
            saved_type = state.get(f"{part}_type")
            if saved_type is not None and saved_type != type(ours).__name__:
                raise CheckpointError(f"checkpoint {part}: expected the state of this trainer's {type(ours).__name__}, got the state of {saved_type}")
            if not isinstance(saved, Mapping):
                raise CheckpointError(f"checkpoint {part}: expected a scheduler state dict, got {type(saved).__name__}")
    scaler = state["scaler"]
    if not isinstance(scaler, Mapping):
        raise CheckpointError(f"checkpoint scaler: expected a GradScaler state dict, got {type(scaler).__name__}")
    enabled = trainer.scaler.is_enabled()
    if enabled != bool(scaler):
        raise CheckpointError(
            f"checkpoint scaler: expected {'a' if enabled else 'no'} GradScaler state (this trainer trains "
            f"{'with' if enabled else 'without'} float16 loss scaling), got {'one' if scaler else 'none'}"
        )
    history = state.get("history")
    if history is not None:
        if not isinstance(history, list):
            raise CheckpointError(f"checkpoint: field 'history': expected a list of (step, tensor), got {type(history).__name__}")
        for entry in history:
            if not (isinstance(entry, (list, tuple)) and len(entry) == 2 and isinstance(entry[0], int) and isinstance(entry[1], Tensor)):
                got = f"({', '.join(type(x).__name__ for x in entry)})" if isinstance(entry, (list, tuple)) else type(entry).__name__
                raise CheckpointError(f"checkpoint: field 'history': expected entries (step, tensor), got an entry {got}")
    current = get_rng_state()
    try:
        set_rng_state(state["rng"])
    except Exception as exc:  # random, numpy and torch raise many types for a damaged state
        raise CheckpointError(f"checkpoint: field 'rng': expected the RNG states get_rng_state returns, got {type(exc).__name__}: {str(exc)[:200]}") from exc
    finally:
        set_rng_state(current)
    saved_settings = state.get("settings")
    if isinstance(saved_settings, Mapping):
        for key, mine in trainer_settings(trainer).items():
            if key in saved_settings and not _same(mine, saved_settings[key]):
                diffs.append(f"{key}: expected {mine!r} (this trainer's, which is used), got {saved_settings[key]!r} (the checkpoint's)")
    return diffs
