"""The two-optimizer training helper.

One :meth:`AdversarialTrainer.step` = one discriminator update, then one
generator update, with the generator's forward pass computed ONCE and reused
(detached) for the critic: :func:`shapeloss.adversarial_step.adversarial_step`, the
step the Lightning module and the throughput benchmark run too. This is where
optimizer steps happen: the loss itself never steps anything, so mixed precision,
gradient accumulation and other engines (Lightning, DDP) stay possible.

Reliability built in:

* every batch, loss and gradient is checked; a NaN/Inf stops training with a
  message naming the step, the term and what is intact (or, with
  ``on_nonfinite="skip"``, the batch is skipped and counted, and a run of
  ``max_consecutive_skips`` skips in a row stops it) before the optimizer
  concerned steps. With ``log_every > 1`` and ``on_nonfinite="raise"`` the checks
  stay on the device and are read at log steps (and before every checkpoint): no
  host sync between log steps, and a NaN stops the run at the next read;
* the optimizers must own exactly the net's and the critic's trainable parameters;
* checkpoints hold both nets, both optimizers, schedulers, scaler, counters,
  every RNG state and the tracked predictions, are written atomically, only
  from finite weights, and resume bit for bit on CPU; loading one checks every
  part before changing anything;
* a divergence watch warns once when the critic wins outright or collapses.
"""

from __future__ import annotations

import math
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._guards import check_callbacks, check_parts, check_scheduler
from ._tracking import TrackedPredictions
from ._trainer_nonfinite import NonFinitePolicy
from ._trainer_checkpoints import TrainerCheckpoints
from ._validation import check_choice, check_positive_int, check_weight
from .adversarial_step import (
    DeferredGuard,
    SkipBatch,
    StepGuard,
    StepOps,
    adversarial_step,
    metrics_to_floats,
    step_metrics,
    unpack_batch,
)
from .checkpoint import check_checkpoint_path
from .errors import InvalidArgumentError
from .losses import ShapeLoss
from .monitoring import DivergenceWatch, MetricsLogger

__all__ = ["AdversarialTrainer", "DivergenceWatch", "MetricsLogger"]

Batch = Sequence[Tensor]
Callback = Callable[["AdversarialTrainer", dict[str, float]], None]


def _progress(total: int, initial: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, dynamic_ncols=True, leave=False, unit="step")


class AdversarialTrainer(NonFinitePolicy, TrackedPredictions, TrainerCheckpoints):
    """Trains a segmentation net with a :class:`~shapeloss.ShapeLoss` and two optimizers.

    Args:
        model: the generator, ``inputs -> logits``.
        loss: the :class:`~shapeloss.ShapeLoss` (holding the critic).
        g_optimizer: the generator's optimizer.
        d_optimizer: the critic's optimizer (``None`` when the critic is off).
        d_steps: critic updates per generator update (each on the same
            detached prediction: the generator runs once per step).
        d_every: update the critic on every k-th step only (cheaper).
        grad_clip: clip each net's gradient norm to this value (``None``: off).
        amp: mixed precision: float16 + ``GradScaler`` on CUDA, bfloat16 on CPU.
        g_scheduler: learning-rate scheduler of the generator, stepped after every
            generator update (every step that is not skipped).
        d_scheduler: the critic's, stepped once after each step on which the critic
            was updated (every ``d_every``-th step, once whatever ``d_steps``).
        device: where to train; the model and loss are moved there.
        log_path: ``.csv`` or ``.jsonl`` file receiving one row per log step.
        log_every: metrics are read back to the host (floats), logged, kept in
            :attr:`metrics` and returned by :meth:`step` every ``log_every`` steps; on
            the steps between, :meth:`step` returns ``{"step": ...}`` only and reads
            nothing from the device. With ``on_nonfinite="raise"`` the finiteness checks
            are then read at log steps too (see below); ``1`` (default): every step.
        callbacks: callables ``(trainer, metrics)`` run after every step (with the
            short ``{"step": ...}`` between log steps).
        checkpoint_path: where :meth:`fit` writes checkpoints.
        checkpoint_every: write a checkpoint every N steps (and at the end of fit).
        on_nonfinite: ``"raise"`` (default) or ``"skip"``: skip a batch whose
            inputs, outputs, losses or gradients are not finite, counting it in
            ``trainer.skipped``. Skipping needs each check read before its optimizer
            steps (a host sync per check), so ``"skip"`` checks every step whatever
            ``log_every``; ``"raise"`` with ``log_every > 1`` keeps the checks on the
            device and reads them at log steps and before each checkpoint (no
            checkpoint is ever written from non-finite weights).
        max_consecutive_skips: under ``"skip"``, stop with
            :class:`NonFiniteLossError` when more than this many batches in a
            row have been skipped (the message says whether the data source returned
            the same bad batch each time). ``fit`` can therefore never loop for ever.
        progress: show a tqdm progress bar (``None``: only on a terminal).
        divergence_window: steps the divergence watch looks at (0 = off); it sees the
            critic steps that are log steps.
        max_metrics: how many per-step metric rows stay in memory.

    Batches are ``(inputs, target)`` (the condition is the input) or
    ``(inputs, target, condition)``, with ``target`` shaped like the logits.

    :attr:`step_ops` is the :class:`~shapeloss.adversarial_step.StepOps` the step runs
    with; its ``phase`` hook (a context-manager factory called with each phase's name)
    lets a profiler time the phases of the real step.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: ShapeLoss,
        g_optimizer: torch.optim.Optimizer,
        d_optimizer: torch.optim.Optimizer | None = None,
        *,
        d_steps: int = 1,
        d_every: int = 1,
        grad_clip: float | None = None,
        amp: bool = False,
        g_scheduler: Any = None,
        d_scheduler: Any = None,
        device: str | torch.device | None = None,
        log_path: str | os.PathLike[str] | None = None,
        callbacks: Iterable[Callback] = (),
        checkpoint_path: str | os.PathLike[str] | None = None,
        checkpoint_every: int | None = None,
        on_nonfinite: str = "raise",
        progress: bool | None = None,
        divergence_window: int = 200,
        max_metrics: int = 100_000,
        max_consecutive_skips: int = 50,
        log_every: int = 1,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
        if not isinstance(loss, ShapeLoss):
            raise TypeError(f"loss: expected a shapeloss.ShapeLoss, got {type(loss).__name__}")
        if not isinstance(g_optimizer, torch.optim.Optimizer):
            raise TypeError(f"g_optimizer: expected a torch.optim.Optimizer, got {type(g_optimizer).__name__}")
        if loss.reduction == "none":
            raise InvalidArgumentError(
                "loss.reduction: expected 'mean' or 'sum' (the trainer back-propagates one scalar per step), got 'none'"
            )
        if loss.uses_discriminator and not isinstance(d_optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"d_optimizer: expected a torch.optim.Optimizer for the critic (the loss is adversarial), "
                f"got {type(d_optimizer).__name__}"
            )
        if device is None:
            self.device = next(model.parameters(), torch.empty(0)).device
        else:
            try:
                self.device = torch.device(device)
            except (RuntimeError, TypeError) as exc:
                raise InvalidArgumentError(f"device: expected a torch device such as 'cpu' or 'cuda:0', got {device!r}") from exc
        if d_optimizer is not None and not isinstance(d_optimizer, torch.optim.Optimizer):
            raise TypeError(f"d_optimizer: expected a torch.optim.Optimizer or None, got {type(d_optimizer).__name__}")
        check_parts(model, loss.discriminator, g_optimizer, d_optimizer)
        if not isinstance(amp, bool):
            raise TypeError(f"amp: expected a bool, got {type(amp).__name__} {amp!r}")
        if grad_clip is not None:
            grad_clip = check_weight(grad_clip, "grad_clip", allow_inf=False)
            if grad_clip == 0:
                raise InvalidArgumentError("grad_clip: expected a positive float (0 would zero every gradient), got 0.0")
        if checkpoint_every is not None and checkpoint_path is None:
            raise InvalidArgumentError(f"checkpoint_path: expected a path when checkpoint_every={checkpoint_every!r} is set, got None")
        self.model = model.to(self.device)
        self.loss = loss.to(self.device)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.d_steps = check_positive_int(d_steps, "d_steps")
        self.d_every = check_positive_int(d_every, "d_every")
        self.grad_clip = grad_clip
        self.g_scheduler = check_scheduler(g_scheduler, "g_scheduler", g_optimizer)
        self.d_scheduler = check_scheduler(d_scheduler, "d_scheduler", d_optimizer)
        self.on_nonfinite = check_choice(on_nonfinite, "on_nonfinite", ("raise", "skip"))
        self.max_consecutive_skips = check_positive_int(max_consecutive_skips, "max_consecutive_skips")
        self.callbacks = check_callbacks(callbacks)
        if checkpoint_path is not None:
            check_checkpoint_path(checkpoint_path)  # a directory, a device, a FIFO: refused now, not at step 5000
        self.checkpoint_path = None if checkpoint_path is None else Path(checkpoint_path)
        self.checkpoint_every = None if checkpoint_every is None else check_positive_int(checkpoint_every, "checkpoint_every")
        self.progress = progress
        self.logger = MetricsLogger(log_path) if log_path is not None else None
        if self.logger is not None and self.checkpoint_path is not None and (
            os.path.abspath(self.logger.path) == os.path.abspath(self.checkpoint_path)
        ):
            raise InvalidArgumentError(f"log_path: expected a file other than checkpoint_path, got the same {str(log_path)!r}")
        divergence_window = check_positive_int(divergence_window, "divergence_window", minimum=0)
        self.watch = DivergenceWatch(divergence_window) if divergence_window else None

        self.amp = amp
        self._amp_dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.device.type == "cuda")
        self.log_every = check_positive_int(log_every, "log_every")
        deferred = self.log_every > 1 and self.on_nonfinite == "raise"
        self._guard = DeferredGuard(self._fail) if deferred else StepGuard(self._fail)
        self.step_ops = StepOps(
            backward=lambda value: self.scaler.scale(value).backward(),
            optimizer_step=self.scaler.step,
            guard=self._guard,
            clip=self._clip if self.grad_clip is not None else None,
            autocast=self._autocast,
            # with the float16 GradScaler (CUDA + amp) an Inf/NaN gradient is the scaler's
            # business: it skips that optimizer step and lowers the scale
            check_gradients=not self.scaler.is_enabled(),
        )

        self.step_count = 0
        self.skipped = 0
        self.generator_forwards = 0
        self.metrics: deque[dict[str, float]] = deque(maxlen=check_positive_int(max_metrics, "max_metrics", minimum=0))
        self.history: list[tuple[int, np.ndarray]] = []
        self._tracked: tuple[Tensor, Tensor | None] | None = None
        self._track_every = 0
        self.max_history = 200
        self._consecutive_skips = 0
        self._skip_prints: list[str] = []  # fingerprints of the batches skipped in a row
        self._last_checkpoint: tuple[Path, int] | None = None
        self._resumed_from: int | None = None

    # ----------------------------------------------------------------- batches
    def _autocast(self) -> Any:
        if not self.amp:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self._amp_dtype)

    def _clip(self, optimizer: torch.optim.Optimizer, params: list[Tensor]) -> None:
        self.scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, self.grad_clip)

    # -------------------------------------------------------------------- step
    def step(self, batch: Batch) -> dict[str, float]:
        """One critic update (if due), then one generator update.

        Returns:
            On log steps (every ``log_every``-th), the step's metrics as floats: ``step``,
            ``base``, ``adversarial``, ``total``, and on critic steps ``discriminator``,
            ``real_score`` and ``fake_score`` (both from the critic's pass on this batch,
            before its update; with ``d_steps > 1``, its last pass), ``gradient_penalty``
            / ``r1`` where used; ``{"step", "skipped": 1.0}`` when the batch was skipped;
            ``{"step"}`` alone on the steps between log steps (nothing read from the device).
        """
        self._critic_stepped = False
        inputs, target, condition = unpack_batch(batch, self.device)
        self._guard.begin(self.step_count)
        self.model.train()
        self.loss.train()
        d_due = self.loss.uses_discriminator and self.step_count % self.d_every == 0
        try:
            output = adversarial_step(
                self.model, self.loss, inputs, target, condition, self.g_optimizer, self.d_optimizer, self.step_ops,
                critic_due=d_due, d_steps=self.d_steps, upcast=self.amp,
            )
        except SkipBatch as skip:
            if not skip.reason.startswith("non-finite batch"):
                self.generator_forwards += 1  # the generator ran before the check that failed
            return self._finish_skipped(skip.reason, (inputs, target, condition))
        self.generator_forwards += 1
        self.scaler.update()
        for sched in (self.g_scheduler, self.d_scheduler if d_due else None):
            if sched is not None:
                sched.step()

        self.step_count += 1
        if self.step_count % self.log_every:
            return self._finish({"step": float(self.step_count)}, logged=False)
        self.read_checks()
        metrics = {"step": float(self.step_count), **metrics_to_floats(step_metrics(output))}
        if d_due and self.watch is not None:
            self._watch(metrics)
        return self._finish(metrics)

    def _watch(self, values: dict[str, float]) -> None:
        bounded = self.loss.objective.bounded_scores
        real, fake = values.get("real_score", 0.0), values.get("fake_score", 0.0)  # the critic's pass
        if bounded and self.loss.objective.name == "vanilla":
            real, fake = 1 / (1 + math.exp(-max(min(real, 50), -50))), 1 / (1 + math.exp(-max(min(fake, 50), -50)))
        assert self.watch is not None
        self.watch.update(real, fake, values.get("discriminator", 0.0), bounded, self.step_count)

    def _finish(self, metrics: dict[str, float], logged: bool = True) -> dict[str, float]:
        self._consecutive_skips = 0
        self._skip_prints.clear()
        if logged:
            self.metrics.append(metrics)
        if logged and self.logger is not None:
            if self._resumed_from is not None:  # drop the log rows of steps the checkpoint does not hold
                self.logger.open(after_step=self._resumed_from)
                self._resumed_from = None
            self.logger.write(metrics)
        if self._tracked is not None and self.step_count % self._track_every == 0:
            self._record_tracked()
        for callback in self.callbacks:
            callback(self, metrics)
        return metrics

    # --------------------------------------------------------------------- fit
    def _batches(self, data: Iterable[Batch] | Callable[[int], Batch]) -> Iterator[Batch]:
        if callable(data) and not hasattr(data, "__iter__"):
            while True:
                # the draw index: steps plus skipped batches, so a skipped batch is not drawn again
                yield data(self.step_count + self.skipped)
        elif not isinstance(data, Iterable) or isinstance(data, (str, bytes, Tensor)):
            raise TypeError(
                f"data: expected an iterable of batches or a callable draw -> batch, got {type(data).__name__}"
            )
        else:
            while True:
                empty = True
                for batch in data:  # type: ignore[union-attr]
                    empty = False
                    yield batch
                if empty:
                    raise InvalidArgumentError("data: expected an iterable that yields batches, got an empty one")

    def fit(self, data: Iterable[Batch] | Callable[[int], Batch], steps: int) -> list[dict[str, float]]:
        """Train until the step counter reaches ``steps`` (a resumed trainer continues).

        Args:
            data: an iterable of batches (restarted when exhausted) or a
                callable ``draw -> batch``, where ``draw`` counts the batches
                drawn so far (``step_count + skipped``: equal to the step when
                nothing was skipped, and never the index of a batch already
                skipped). Such a callable makes a resumed run identical to an
                uninterrupted one, skipped batches included.
            steps: the total number of steps to reach (skipped batches do not count).

        Returns:
            The metrics of the steps run by this call.
        """
        check_positive_int(steps, "steps", minimum=0)
        rows: list[dict[str, float]] = []
        bar = _progress(steps, self.step_count, self.progress)
        batches = self._batches(data)
        try:
            while self.step_count < steps:
                before = self.step_count
                metrics = self.step(next(batches))
                rows.append(metrics)
                if self.step_count == before:
                    continue
                if bar is not None:
                    bar.update(1)
                    shown = {"loss": metrics.get("total", metrics.get("base")), "critic": metrics.get("discriminator")}
                    bar.set_postfix({k: f"{v:.3g}" for k, v in shown.items() if v is not None}, refresh=False)
                if (
                    self.checkpoint_path is not None
                    and self.checkpoint_every is not None
                    and self.step_count % self.checkpoint_every == 0
                ):
                    self.save_checkpoint(self.checkpoint_path)
            self.read_checks()  # the steps after the last log step are checked too
            if self.checkpoint_path is not None:
                self.save_checkpoint(self.checkpoint_path)
        finally:
            if bar is not None:
                bar.close()
            if self.logger is not None:
                self.logger.close()
        return rows
