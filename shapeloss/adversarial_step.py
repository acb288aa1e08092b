"""One adversarial training step, written once.

:class:`~shapeloss.AdversarialTrainer`, :class:`~shapeloss.lightning.ShapeLossModule` and the
throughput benchmark (``benchmarks/throughput.py``) all run :func:`adversarial_step`: one
generator forward pass, ``d_steps`` critic updates on its detached prediction (when due), one
generator update. They differ only in the :class:`StepOps` they pass: how to back-propagate,
clip and step an optimizer, and a :class:`StepGuard` deciding what a non-finite value does.

Nothing here reads a tensor back to the host. Finiteness is a device flag (one fused
reduction per check, :func:`finite_flag`) handed to the guard; a :class:`StepGuard` reads it
at once (a host sync per check: it can stop or skip a batch before the optimizer concerned
steps), a :class:`DeferredGuard` keeps it on the device until :meth:`DeferredGuard.read` (one
sync, at a log step). Metrics are detached tensors (:func:`step_metrics`), turned into floats
by :func:`metrics_to_floats` (one sync) only when the caller logs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from ._guards import finite_flag, nonfinite_names
from .losses import CriticResult, ShapeLoss, ShapeLossResult

__all__ = [
    "PHASES",
    "SkipBatch",
    "NonFinite",
    "StepGuard",
    "DeferredGuard",
    "StepOps",
    "StepOutput",
    "finite_flag",
    "unpack_batch",
    "check_batch",
    "generator_forward",
    "critic_update",
    "generator_update",
    "adversarial_step",
    "step_metrics",
    "metrics_to_floats",
]

#: Names of the phases :func:`adversarial_step` reports to ``StepOps.phase``, in order.
PHASES = ("generator_forward", "critic_forward_backward", "critic_optimizer",
          "generator_loss_forward", "generator_backward", "generator_optimizer")


class SkipBatch(Exception):
    """Raised by a guard's ``fail`` to abandon the batch (``on_nonfinite="skip"``); ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NonFinite:
    """A failed finiteness check: what, where, and how to describe it (the detail is computed lazily).

    Attributes:
        what: the term, e.g. ``"discriminator loss"``, ``"generator's gradient"``, ``"batch inputs"``.
        detail: a callable giving the offending value(s) in words (a host read: failure path only).
        reason: the short reason a skipped batch is reported with.
        critic_stepped: whether the critic's optimizer had stepped on this batch.
        step: the step counter when the check ran.
    """

    what: str
    detail: Callable[[], str]
    reason: str
    critic_stepped: bool
    step: int


class StepGuard:
    """Reads every check at once (a host sync per check) and calls ``fail`` on the first failure.

    ``fail`` raises (an error, or :class:`SkipBatch`); the step goes no further. Used for
    ``on_nonfinite="skip"`` and whenever a value must be known before the optimizer steps.
    """

    deferred = False

    def __init__(self, fail: Callable[[NonFinite], None]) -> None:
        self.fail = fail
        self.step = 0
        self.critic_stepped = False

    def begin(self, step: int) -> None:
        """A new step: ``step`` is the counter before it."""
        self.step, self.critic_stepped = step, False

    def check(self, what: str, ok: Tensor, detail: Callable[[], str], reason: str) -> None:
        """``ok`` is a device bool: False calls ``fail``."""
        if not bool(ok):
            self.fail(NonFinite(what, detail, reason, self.critic_stepped, self.step))


class DeferredGuard(StepGuard):
    """Keeps each check on the device; :meth:`read` (one host sync) reports the first failure since the last read.

    The optimizers step on regardless: a run whose values went non-finite is stopped at the
    next read, not before its optimizer step (checkpoints refuse non-finite weights anyway).
    """

    deferred = True

    def __init__(self, fail: Callable[[NonFinite], None]) -> None:
        super().__init__(fail)
        self._first: dict[str, Tensor] = {}  # term -> first step it failed since the last read (-1: never)
        self._reasons: dict[str, str] = {}

    def check(self, what: str, ok: Tensor, detail: Callable[[], str], reason: str) -> None:
        first = self._first.get(what)
        if first is None:
            first = torch.full((), -1, dtype=torch.int64, device=ok.device)
            self._reasons[what] = reason
        self._first[what] = torch.where(ok.to(first.device) | (first >= 0), first, self.step)

    def pending(self) -> bool:
        """Whether checks ran since the last read (no sync)."""
        return bool(self._first)

    def read(self) -> None:
        """One host sync: ``fail`` with the earliest failure since the last read, if any; then start afresh."""
        if not self._first:
            return
        names = list(self._first)
        home = self._first[names[0]].device
        steps = torch.stack([self._first[n].to(home) for n in names]).tolist()
        reasons, self._first, self._reasons = self._reasons, {}, {}
        failed = [(s, i) for i, s in enumerate(steps) if s >= 0]  # by step, then in the order of the checks
        if failed:
            step, index = min(failed)
            self.fail(NonFinite(names[index], lambda: "NaN/Inf (found at a deferred check: the values are gone)",
                                reasons[names[index]], self.critic_stepped, step))


def _no_phase(name: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass
class StepOps:
    """How an engine runs the parts of a step that differ between engines.

    Attributes:
        backward: ``loss -> None``, e.g. ``lambda l: scaler.scale(l).backward()`` or Lightning's
            ``manual_backward``.
        optimizer_step: ``optimizer -> None``, e.g. ``scaler.step`` or ``lambda o: o.step()``.
        guard: a :class:`StepGuard` (checks read at once) or :class:`DeferredGuard`.
        clip: ``(optimizer, params) -> None`` run after the gradient check, or ``None``.
        autocast: a context-manager factory around the forward passes (mixed precision).
        phase: a context-manager factory called with each phase's name (:data:`PHASES`):
            the throughput benchmark times the phases of the real step through it.
        check_gradients: check each gradient before its optimizer steps (``False`` when a
            float16 ``GradScaler`` handles Inf/NaN gradients itself).
    """

    backward: Callable[[Tensor], None]
    optimizer_step: Callable[[torch.optim.Optimizer], None]
    guard: StepGuard
    clip: Callable[[torch.optim.Optimizer, list[Tensor]], None] | None = None
    autocast: Callable[[], AbstractContextManager[object]] = nullcontext
    phase: Callable[[str], AbstractContextManager[object]] = field(default=_no_phase)
    check_gradients: bool = True


@dataclass(frozen=True)
class StepOutput:
    """What one step computed: the generator's terms, and the critic's (last update) when it was updated."""

    generator: ShapeLossResult
    critic: CriticResult | None = None


def unpack_batch(batch: object, device: torch.device | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """``(inputs, target)`` or ``(inputs, target, condition)`` -> ``(inputs, target, condition)``.

    The condition defaults to the inputs. With ``device``, each is moved there
    (``non_blocking`` on CUDA).
    """
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        got = f"{type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else type(batch).__name__
        raise TypeError(f"batch: expected (inputs, target) or (inputs, target, condition), got {got}")
    for name, t in zip(("inputs", "target", "condition"), batch):
        if not isinstance(t, Tensor):
            raise TypeError(f"batch {name}: expected a torch.Tensor, got {type(t).__name__}")
    inputs, target = batch[0], batch[1]
    condition = batch[2] if len(batch) == 3 else inputs
    if device is None:
        return inputs, target, condition
    nb = device.type == "cuda"
    return inputs.to(device, non_blocking=nb), target.to(device, non_blocking=nb), condition.to(device, non_blocking=nb)


def check_batch(inputs: Tensor, target: Tensor, condition: Tensor, guard: StepGuard) -> None:
    """Each part of the batch is finite (``what`` = ``"batch inputs"`` ...; the detail counts the NaN/Inf)."""
    for name, t in (("inputs", inputs), ("target", target), ("condition", condition)):
        guard.check(f"batch {name}", finite_flag([t]), lambda t=t: f"{int((~torch.isfinite(t)).sum())}",
                    f"non-finite batch {name}")


def generator_forward(model: nn.Module, inputs: Tensor, ops: StepOps, upcast: bool = False) -> Tensor:
    """The generator's one forward pass of the step (its logits, in float32 with ``upcast``), checked finite."""
    with ops.phase("generator_forward"), ops.autocast():
        logits = model(inputs)
    logits = logits.float() if upcast else logits
    ops.guard.check("generator output (logits)", finite_flag([logits]), lambda: "NaN/Inf in the network's output",
                    "non-finite logits")
    return logits


def _apply(optimizer: torch.optim.Optimizer, module: nn.Module, ops: StepOps, what: str, reason: str) -> None:
    """Check the gradients (one fused reduction), clip, step."""
    params = [p for p in module.parameters() if p.grad is not None]
    if ops.check_gradients:
        ops.guard.check(f"{what} gradient", finite_flag([p.grad for p in params]),
                        lambda: "NaN/Inf in the gradient of " + nonfinite_names((n, p.grad) for n, p in module.named_parameters()),
                        reason)
    if ops.clip is not None:
        ops.clip(optimizer, params)
    ops.optimizer_step(optimizer)


def critic_update(loss: ShapeLoss, logits: Tensor, target: Tensor, condition: Tensor,
                  optimizer: torch.optim.Optimizer, ops: StepOps, checked: bool = False) -> CriticResult:
    """One critic update on the detached prediction; returns its terms (scores from its pre-update pass).

    ``checked``: the loss's input checks already ran on these tensors this step (not repeated).
    """
    assert loss.discriminator is not None
    optimizer.zero_grad(set_to_none=True)
    with ops.phase("critic_forward_backward"):
        with ops.autocast():
            result = loss.discriminator_terms(logits.detach(), target, condition, checked=checked)
        ops.guard.check("discriminator loss", finite_flag([result.total]), lambda: f"{float(result.total.detach())}",
                        "non-finite discriminator loss")
        ops.backward(result.total)
    with ops.phase("critic_optimizer"):
        _apply(optimizer, loss.discriminator, ops, "critic's", "non-finite critic gradient")
    ops.guard.critic_stepped = True
    return result


def generator_update(loss: ShapeLoss, model: nn.Module, logits: Tensor, target: Tensor, condition: Tensor,
                     optimizer: torch.optim.Optimizer, ops: StepOps, checked: bool = False) -> ShapeLossResult:
    """The generator's update through the frozen critic; returns its terms.

    ``checked``: the loss's input checks already ran on these tensors this step (not repeated).
    """
    optimizer.zero_grad(set_to_none=True)
    with ops.phase("generator_loss_forward"), ops.autocast():
        result = loss.generator_terms(logits, target, condition, checked=checked)
    for term, value in (("base loss", result.base), ("adversarial loss", result.adversarial),
                        ("generator loss", result.total.detach())):
        if value is not None:
            ops.guard.check(term, finite_flag([value]), lambda v=value: f"{float(v)}", f"non-finite {term}")
    with ops.phase("generator_backward"):
        ops.backward(result.total)
    with ops.phase("generator_optimizer"):
        _apply(optimizer, model, ops, "generator's", "non-finite generator gradient")
    return result


def adversarial_step(model: nn.Module, loss: ShapeLoss, inputs: Tensor, target: Tensor, condition: Tensor,
                     g_optimizer: torch.optim.Optimizer, d_optimizer: torch.optim.Optimizer | None, ops: StepOps,
                     *, critic_due: bool, d_steps: int = 1, upcast: bool = False) -> StepOutput:
    """The step: check the batch, one generator forward, ``d_steps`` critic updates (if due), one generator update.

    The caller has called ``ops.guard.begin(step)``. A failed check calls the guard's ``fail``
    (which raises); schedulers and a ``GradScaler``'s ``update`` are the caller's. The loss's
    own input checks (``ShapeLoss(validate=True)``, a host read each) run once, in the step's
    first call of the loss; the later calls see the same tensors and skip them.
    """
    check_batch(inputs, target, condition, ops.guard)
    logits = generator_forward(model, inputs, ops, upcast)
    critic = None
    if critic_due:
        assert d_optimizer is not None
        for i in range(d_steps):
            critic = critic_update(loss, logits, target, condition, d_optimizer, ops, checked=i > 0)
    generator = generator_update(loss, model, logits, target, condition, g_optimizer, ops, checked=critic is not None)
    return StepOutput(generator, critic)


def step_metrics(output: StepOutput) -> dict[str, Tensor]:
    """The step's metrics as detached device tensors: ``base``, ``adversarial``, ``total``, and on
    critic steps ``discriminator``, ``real_score``, ``fake_score`` (both scores from the critic's
    last pass, before its update), ``gradient_penalty`` / ``r1`` where used."""
    metrics = output.generator.metrics()
    if output.critic is not None:
        metrics.update(output.critic.metrics())
    return metrics


def metrics_to_floats(metrics: dict[str, Tensor]) -> dict[str, float]:
    """Python floats of scalar metrics, in one host read (the values are exact: read as float64)."""
    if not metrics:
        return {}
    names = list(metrics)
    home = metrics[names[0]].device
    values = torch.stack([metrics[n].detach().reshape(()).to(home, torch.float64) for n in names]).tolist()
    return dict(zip(names, values))
