"""The trainer's guards: what it is given (optimizers, schedulers, callbacks) and what it computes (gradients, weights).

Gradient and weight checks are one fused reduction each (``torch._foreach_norm``
with the infinity norm, then one ``isfinite().all()``): :func:`finite_flag` keeps the
result on the device (no sync), :func:`all_finite` reads it (one host sync per check,
whatever the number of parameters). The infinity norm (the largest
magnitude) cannot overflow, so a finite gradient is never reported as non-finite.
Names of the offending parameters are looked up only once a check has failed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from .errors import InvalidArgumentError

__all__ = ["finite_flag", "all_finite", "nonfinite_names", "check_owns", "check_parts", "check_scheduler", "check_callbacks", "fingerprint"]


def finite_flag(tensors: Sequence[Tensor | None]) -> Tensor:
    """A device bool: every tensor holds only finite values (no host sync).

    Floating tensors go through one fused ``torch._foreach_norm`` with the infinity norm
    (the largest magnitude cannot overflow, so a finite tensor is never reported).
    """
    tensors = [t.detach() for t in tensors if t is not None]
    tensors = [t.coalesce().values() if t.is_sparse else t for t in tensors]  # sparse gradients (embeddings)
    tensors = [t for t in tensors if t.numel() > 0]
    if not tensors:
        return torch.ones((), dtype=torch.bool)
    home = tensors[0].device  # a net split over devices: its flags meet on one
    if any(t.is_complex() or not t.is_floating_point() for t in tensors):
        return torch.stack([torch.isfinite(t).all().to(home) for t in tensors]).all()
    norms = torch._foreach_norm(tensors, float("inf"))
    return torch.isfinite(torch.stack([n.float().to(home) for n in norms])).all()


def all_finite(tensors: Sequence[Tensor | None]) -> bool:
    """Whether every tensor holds only finite values (one host sync)."""
    return bool(finite_flag(tensors))


def nonfinite_names(named: Iterable[tuple[str, Tensor | None]], limit: int = 4) -> str:
    """``"0.weight, 2.bias"``: the names whose tensor holds NaN/Inf (failure path only)."""
    bad = [name for name, t in named if t is not None and not bool(torch.isfinite(t).all())]
    more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
    return ", ".join(bad[:limit]) + more if bad else "none found"


def _optimizer_params(optimizer: torch.optim.Optimizer) -> list[Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def check_owns(optimizer: torch.optim.Optimizer, module: nn.Module, name: str, owner: str, other: nn.Module | None) -> None:
    """``optimizer`` holds every trainable parameter of ``module`` and no parameter of anything else.

    Frozen parameters of ``module`` (``requires_grad=False``) may be in it or not.
    """
    mine = {id(p): n for n, p in module.named_parameters()}
    trainable = {id(p): n for n, p in module.named_parameters() if p.requires_grad}
    held = _optimizer_params(optimizer)
    held_ids = {id(p) for p in held}
    if other is not None:
        theirs = {id(p) for p in other.parameters()}
        wrong = [p for p in held if id(p) in theirs and id(p) not in mine]
        if wrong:
            raise InvalidArgumentError(
                f"{name}: expected the parameters of the {owner}, got {len(wrong)} parameter(s) of the "
                f"{'critic' if owner == 'model' else 'model'} (optimizers swapped or shared?)"
            )
    foreign = [p for p in held if id(p) not in mine]
    if foreign:
        raise InvalidArgumentError(
            f"{name}: expected only parameters of the {owner}, got {len(foreign)} parameter(s) that are not "
            f"(shapes {[tuple(p.shape) for p in foreign[:3]]})"
        )
    missing = [n for i, n in trainable.items() if i not in held_ids]
    if missing:
        raise InvalidArgumentError(
            f"{name}: expected every trainable parameter of the {owner} ({len(trainable)}), got an optimizer "
            f"missing {len(missing)}: {missing[:4]} (freeze them with requires_grad_(False) if that is meant)"
        )


def check_parts(model: nn.Module, critic: nn.Module | None, g_optimizer: torch.optim.Optimizer,
                d_optimizer: torch.optim.Optimizer | None) -> None:
    """The net has trainable parameters; each optimizer owns exactly its net's; the nets share none."""
    if not any(p.requires_grad for p in model.parameters()):
        raise InvalidArgumentError(
            f"model: expected a module with trainable parameters, got {sum(1 for _ in model.parameters())} "
            "parameter(s), none with requires_grad=True"
        )
    check_owns(g_optimizer, model, "g_optimizer", "model", critic)
    if critic is not None:
        shared = {id(p) for p in model.parameters()} & {id(p) for p in critic.parameters() if p.requires_grad}
        if shared:
            raise InvalidArgumentError(
                f"loss.discriminator: expected parameters separate from the model's, got {len(shared)} shared "
                "(the critic's step would change the generator)"
            )
    if d_optimizer is not None:
        if critic is None:
            raise InvalidArgumentError("d_optimizer: expected None (the loss has no critic), got an optimizer")
        if not any(p.requires_grad for p in critic.parameters()):
            raise InvalidArgumentError("loss.discriminator: expected a critic with trainable parameters, got none with requires_grad=True")
        check_owns(d_optimizer, critic, "d_optimizer", "critic", model)


def check_scheduler(scheduler: Any, name: str, optimizer: torch.optim.Optimizer | None) -> Any:
    """A learning-rate scheduler bound to ``optimizer`` (or ``None``)."""
    if scheduler is None:
        return None
    if optimizer is None:
        raise InvalidArgumentError(f"{name}: expected None (its optimizer is None), got a {type(scheduler).__name__}")
    if not all(callable(getattr(scheduler, m, None)) for m in ("step", "state_dict", "load_state_dict")):
        raise TypeError(f"{name}: expected a learning-rate scheduler (step, state_dict, load_state_dict), got {type(scheduler).__name__}")
    bound = getattr(scheduler, "optimizer", optimizer)
    if bound is not optimizer:
        raise InvalidArgumentError(
            f"{name}: expected a scheduler of {'g' if name.startswith('g') else 'd'}_optimizer, got one bound to another optimizer"
        )
    return scheduler


def check_callbacks(callbacks: object) -> list[Callable[..., Any]]:
    """A list of callables ``(trainer, metrics)``."""
    if callbacks is None or isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks: expected an iterable of callables (trainer, metrics), got {type(callbacks).__name__}")
    out = list(callbacks)
    for i, cb in enumerate(out):
        if not callable(cb):
            raise TypeError(f"callbacks: expected callables (trainer, metrics), got {type(cb).__name__} at position {i}")
    return out


def fingerprint(tensors: Sequence[Tensor]) -> str:
    """A digest of the tensors' shapes, dtypes and bytes (to recognise a batch that comes back)."""
    h = hashlib.blake2b(digest_size=16)
    for t in tensors:
        h.update(f"{tuple(t.shape)}{t.dtype}".encode())
        t = t.detach().contiguous().cpu().reshape(-1)
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()
