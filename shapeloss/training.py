"""The two-optimizer training helper.

One :meth:`AdversarialTrainer.step` = one discriminator update, then one
generator update, with the generator's forward pass computed ONCE and reused
(detached) for the critic. This is where optimizer steps happen: the loss
itself never steps anything, so mixed precision, gradient accumulation and
other engines (Lightning, DDP) stay possible.

Reliability built in:

* every loss is checked; a NaN/Inf stops training with :class:`NonFiniteLossError`
  naming the step and the term (or, with ``on_nonfinite="skip"``, the batch is
  skipped and counted) before any optimizer sees it;
* checkpoints hold both nets, both optimizers, schedulers, scaler, counters and
  every RNG state, are written atomically, and resume bit for bit on CPU;
* a divergence watch warns once when the critic wins outright or collapses.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import sys
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._validation import check_choice, check_positive_int, check_weight
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_atomic
from .errors import CheckpointError, InvalidArgumentError, NonFiniteInputError, NonFiniteLossError
from .losses import ShapeLoss
from .seed import get_rng_state, set_rng_state

__all__ = ["AdversarialTrainer", "DivergenceWatch", "MetricsLogger"]

Batch = Sequence[Tensor]
Callback = Callable[["AdversarialTrainer", dict[str, float]], None]


class MetricsLogger:
    """Appends one row of metrics per step to a ``.csv`` or ``.jsonl`` file.

    The file is opened in append mode (a resumed run continues it) and flushed
    every ``flush_every`` rows and on :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], flush_every: int = 50) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in (".csv", ".jsonl", ".json"):
            raise InvalidArgumentError(f"log_path: expected a .csv or .jsonl file name, got {str(path)!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.kind = "csv" if suffix == ".csv" else "jsonl"
        self.flush_every = flush_every
        self._file: io.TextIOBase | None = None
        self._fields: list[str] | None = None
        self._rows = 0

    def write(self, row: dict[str, float]) -> None:
        if self._file is None:
            fresh = not self.path.exists() or self.path.stat().st_size == 0
            self._file = open(self.path, "a", newline="")  # noqa: SIM115 - kept open across steps
            if self.kind == "csv":
                if fresh:
                    self._fields = list(row)
                    self._file.write(",".join(self._fields) + "\n")
                else:
                    with open(self.path) as f:
                        self._fields = f.readline().strip().split(",")
        if self.kind == "csv":
            assert self._fields is not None
            csv.writer(self._file).writerow([row.get(k, "") for k in self._fields])
        else:
            self._file.write(json.dumps(row) + "\n")
        self._rows += 1
        if self._rows % self.flush_every == 0:
            self._file.flush()

    def flush(self) -> None:
        """Write buffered rows to disk (before a checkpoint, so log and checkpoint agree)."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._file.close()
            self._file = None


class DivergenceWatch:
    """Warns once when the critic wins outright or collapses.

    * wins outright: over ``window`` consecutive critic steps, the real score
      stays near 1 and the fake score near 0 (probabilities, for objectives
      with bounded scores), or the critic's loss stays near 0 (others). The
      generator's adversarial gradient then vanishes (non-saturating loss
      saturates in the critic's favour) and the shape term stops helping.
    * collapses: the real and fake scores stay equal to within ``1e-3`` for the
      window: the critic tells nothing apart and the adversarial term is noise.
    """

    def __init__(self, window: int = 200, margin: float = 0.02) -> None:
        self.window = window
        self.margin = margin
        self._real: deque[float] = deque(maxlen=window)
        self._fake: deque[float] = deque(maxlen=window)
        self._dloss: deque[float] = deque(maxlen=window)
        self.warned: set[str] = set()

    def update(self, real: float, fake: float, d_loss: float, bounded: bool, step: int) -> None:
        self._real.append(real)
        self._fake.append(fake)
        self._dloss.append(d_loss)
        if len(self._real) < self.window:
            return
        if bounded:
            wins = min(self._real) > 1 - self.margin and max(self._fake) < self.margin
        else:
            wins = max(self._dloss) < self.margin
        if wins and "wins" not in self.warned:
            self.warned.add("wins")
            warnings.warn(
                f"step {step}: the discriminator has won outright for {self.window} steps "
                f"(real score ~{np.mean(self._real):.3f}, fake ~{np.mean(self._fake):.3f}); the generator's "
                "adversarial gradient is vanishing. Likely causes: a critic much stronger than the generator, "
                "or labels the generator cannot reach. Knobs: a lower critic learning rate, d_every > 1, a "
                "smaller critic (width/depth), spectral_norm=True, an r1_weight > 0, or objective='hinge'.",
                RuntimeWarning,
                stacklevel=3,
            )
        gap = max(abs(r - f) for r, f in zip(self._real, self._fake))
        if gap < 1e-3 and "collapse" not in self.warned:
            self.warned.add("collapse")
            warnings.warn(
                f"step {step}: the discriminator has scored real and fake labels alike for {self.window} steps "
                f"(|real - fake| < 1e-3); it has collapsed and the adversarial term carries no shape information. "
                "Likely causes: a critic learning rate too low or zero, a frozen critic, a condition that does not "
                "vary. Knobs: a higher critic learning rate, d_steps > 1, a wider critic, check that d_optimizer "
                "holds the critic's parameters.",
                RuntimeWarning,
                stacklevel=3,
            )


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


class AdversarialTrainer:
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
        g_scheduler / d_scheduler: learning-rate schedulers, stepped every step.
        device: where to train; the model and loss are moved there.
        log_path: ``.csv`` or ``.jsonl`` file receiving one row per step.
        callbacks: callables ``(trainer, metrics)`` run after every step.
        checkpoint_path: where :meth:`fit` writes checkpoints.
        checkpoint_every: write a checkpoint every N steps (and at the end of fit).
        on_nonfinite: ``"raise"`` (default) or ``"skip"``: skip a batch whose
            inputs, outputs or losses are not finite, counting it in
            ``trainer.skipped``.
        progress: show a tqdm progress bar (``None``: only on a terminal).
        divergence_window: steps the divergence watch looks at (0 = off).
        max_metrics: how many per-step metric rows stay in memory.

    Batches are ``(inputs, target)`` (the condition is the input) or
    ``(inputs, target, condition)``, with ``target`` shaped like the logits.
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
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
        if not isinstance(loss, ShapeLoss):
            raise TypeError(f"loss: expected a shapeloss.ShapeLoss, got {type(loss).__name__}")
        if not isinstance(g_optimizer, torch.optim.Optimizer):
            raise TypeError(f"g_optimizer: expected a torch.optim.Optimizer, got {type(g_optimizer).__name__}")
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
        self.model = model.to(self.device)
        self.loss = loss.to(self.device)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.d_steps = check_positive_int(d_steps, "d_steps")
        self.d_every = check_positive_int(d_every, "d_every")
        self.grad_clip = None if grad_clip is None else check_weight(grad_clip, "grad_clip", allow_inf=False)
        self.g_scheduler = g_scheduler
        self.d_scheduler = d_scheduler
        self.on_nonfinite = check_choice(on_nonfinite, "on_nonfinite", ("raise", "skip"))
        self.callbacks = list(callbacks)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.checkpoint_every = None if checkpoint_every is None else check_positive_int(checkpoint_every, "checkpoint_every")
        self.progress = progress
        self.logger = MetricsLogger(log_path) if log_path is not None else None
        divergence_window = check_positive_int(divergence_window, "divergence_window", minimum=0)
        self.watch = DivergenceWatch(divergence_window) if divergence_window else None

        self.amp = bool(amp)
        self._amp_dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp and self.device.type == "cuda")

        self.step_count = 0
        self.skipped = 0
        self.generator_forwards = 0
        self.metrics: deque[dict[str, float]] = deque(maxlen=check_positive_int(max_metrics, "max_metrics", minimum=0))
        self.history: list[tuple[int, np.ndarray]] = []
        self._tracked: tuple[Tensor, Tensor | None] | None = None
        self._track_every = 0
        self.max_history = 200

    # ----------------------------------------------------------------- batches
    def _unpack(self, batch: Batch) -> tuple[Tensor, Tensor, Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            got = f"{type(batch).__name__} of length {len(batch)}" if isinstance(batch, (tuple, list)) else type(batch).__name__
            raise TypeError(f"batch: expected (inputs, target) or (inputs, target, condition), got {got}")
        for name, t in zip(("inputs", "target", "condition"), batch):
            if not isinstance(t, Tensor):
                raise TypeError(f"batch {name}: expected a torch.Tensor, got {type(t).__name__}")
        inputs, target = batch[0], batch[1]
        condition = batch[2] if len(batch) == 3 else inputs
        nb = self.device.type == "cuda"
        return (
            inputs.to(self.device, non_blocking=nb),
            target.to(self.device, non_blocking=nb),
            condition.to(self.device, non_blocking=nb),
        )

    def _autocast(self) -> Any:
        if not self.amp:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self._amp_dtype)

    def _nonfinite(self, what: str, detail: str) -> bool:
        """Raise, or return True (skip) under on_nonfinite='skip'."""
        if self.on_nonfinite == "skip":
            return True
        raise NonFiniteLossError(
            f"step {self.step_count}: the {what} is not finite ({detail}); stopped before "
            + ("the generator's optimizer step (the critic had already stepped on this batch), so the net's weights"
               if getattr(self, "_critic_stepped", False) else "any optimizer step, so the weights")
            + " and the last checkpoint are intact. Pass on_nonfinite='skip' to skip such batches."
        )

    def _backward_step(self, loss: Tensor, optimizer: torch.optim.Optimizer, params: Iterable[Tensor]) -> None:
        self.scaler.scale(loss).backward()
        if self.grad_clip is not None:
            self.scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(list(params), self.grad_clip)
        self.scaler.step(optimizer)

    # -------------------------------------------------------------------- step
    def step(self, batch: Batch) -> dict[str, float]:
        """One critic update (if due), then one generator update.

        Returns:
            The step's metrics (``step``, ``base``, ``adversarial``, ``total``,
            ``discriminator``, ``real_score``, ``fake_score`` where computed,
            ``skipped`` = 1.0 when the batch was skipped).
        """
        self._critic_stepped = False
        inputs, target, condition = self._unpack(batch)
        for name, t in (("inputs", inputs), ("target", target), ("condition", condition)):
            if not bool(torch.isfinite(t).all()):
                if self.on_nonfinite == "skip":
                    return self._finish_skipped(f"non-finite batch {name}")
                raise NonFiniteInputError(
                    f"batch {name} at step {self.step_count}: expected finite values, got "
                    f"{int((~torch.isfinite(t)).sum())} NaN/Inf value(s); pass on_nonfinite='skip' to skip such batches"
                )
        self.model.train()
        self.loss.train()
        with self._autocast():
            logits = self.model(inputs)
        self.generator_forwards += 1
        logits = logits.float() if self.amp else logits
        if not bool(torch.isfinite(logits).all()):
            if self._nonfinite("generator output (logits)", "NaN/Inf in the network's output"):
                return self._finish_skipped("non-finite logits")

        adversarial = self.loss.uses_discriminator
        d_due = adversarial and self.step_count % self.d_every == 0
        if d_due:
            assert self.d_optimizer is not None and self.loss.discriminator is not None
            for _ in range(self.d_steps):
                self.d_optimizer.zero_grad(set_to_none=True)
                with self._autocast():
                    d_loss = self.loss.discriminator_loss(logits.detach(), target, condition)
                if not math.isfinite(float(d_loss.detach())):
                    if self._nonfinite("discriminator loss", f"value {float(d_loss.detach())}"):
                        return self._finish_skipped("non-finite discriminator loss")
                self._backward_step(d_loss, self.d_optimizer, self.loss.discriminator.parameters())
                self._critic_stepped = True

        self.g_optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            g_loss = self.loss(logits, target, condition)
        parts = self.loss.last
        for term, value in (("base loss", parts.base), ("adversarial loss", parts.adversarial), ("generator loss", g_loss.detach())):
            if value is not None and not math.isfinite(float(value)):
                if self._nonfinite(term, f"value {float(value)}"):
                    return self._finish_skipped(f"non-finite {term}")
        self._backward_step(g_loss, self.g_optimizer, self.model.parameters())
        self.scaler.update()
        for sched in (self.g_scheduler, self.d_scheduler if d_due else None):
            if sched is not None:
                sched.step()

        self.step_count += 1
        metrics = {"step": float(self.step_count)}
        values = parts.as_floats()
        for key in ("base", "adversarial", "total"):
            if key in values:
                metrics[key] = values[key]
        if d_due:
            for key in ("discriminator", "real_score", "fake_score"):
                if key in values:
                    metrics[key] = values[key]
            metrics.update({k: values[k] for k in ("gradient_penalty", "r1") if k in values})
            if self.watch is not None:
                self._watch(values)
        return self._finish(metrics)

    def _watch(self, values: dict[str, float]) -> None:
        bounded = self.loss.objective.bounded_scores
        real, fake = values.get("real_score", 0.0), values.get("d_fake_score", 0.0)
        if bounded and self.loss.objective.name == "vanilla":
            real, fake = 1 / (1 + math.exp(-max(min(real, 50), -50))), 1 / (1 + math.exp(-max(min(fake, 50), -50)))
        assert self.watch is not None
        self.watch.update(real, fake, values.get("discriminator", 0.0), bounded, self.step_count)

    def _finish_skipped(self, reason: str) -> dict[str, float]:
        self.skipped += 1
        warnings.warn(f"step {self.step_count}: skipped a batch ({reason}); {self.skipped} skipped so far", RuntimeWarning, stacklevel=3)
        for opt in (self.g_optimizer, self.d_optimizer):
            if opt is not None:
                opt.zero_grad(set_to_none=True)
        return {"step": float(self.step_count), "skipped": 1.0}

    def _finish(self, metrics: dict[str, float]) -> dict[str, float]:
        self.metrics.append(metrics)
        if self.logger is not None:
            self.logger.write(metrics)
        if self._tracked is not None and self.step_count % self._track_every == 0:
            self._record_tracked()
        for callback in self.callbacks:
            callback(self, metrics)
        return metrics

    # ---------------------------------------------------------------- tracking
    def track(self, inputs: Tensor, every: int = 100) -> None:
        """Record the predictions (after the loss's activation) on fixed ``inputs``.

        Every ``every`` steps, ``(step, probabilities as numpy (B, C, *))`` is
        appended to :attr:`history`, in eval mode and without gradients (no RNG
        is consumed, so tracking never changes a run). The history keeps at most
        ``max_history`` entries: when full, every other entry is dropped and
        the interval doubles, so it always spans the whole run.
        """
        if not isinstance(inputs, Tensor):
            raise TypeError(f"inputs: expected a torch.Tensor, got {type(inputs).__name__}")
        self._tracked = (inputs.detach().to(self.device), None)
        self._track_every = check_positive_int(every, "every")
        if self.step_count == 0:
            self._record_tracked()

    @torch.no_grad()
    def predict(self, inputs: Tensor) -> Tensor:
        """Probabilities for ``inputs`` in eval mode (the model's mode is restored)."""
        was_training = self.model.training
        self.model.eval()
        try:
            return self.loss.activation(self.model(inputs.to(self.device)).float())
        finally:
            self.model.train(was_training)

    def _record_tracked(self) -> None:
        assert self._tracked is not None
        self.history.append((self.step_count, self.predict(self._tracked[0]).cpu().numpy()))
        if len(self.history) > self.max_history:
            self.history = self.history[::2]
            self._track_every *= 2

    # --------------------------------------------------------------------- fit
    def _batches(self, data: Iterable[Batch] | Callable[[int], Batch]) -> Iterator[Batch]:
        if callable(data) and not hasattr(data, "__iter__"):
            while True:
                yield data(self.step_count)
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
                callable ``step -> batch``. A step-indexed callable makes a
                resumed run identical to an uninterrupted one.
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
            if self.checkpoint_path is not None:
                self.save_checkpoint(self.checkpoint_path)
        finally:
            if bar is not None:
                bar.close()
            if self.logger is not None:
                self.logger.close()
        return rows

    # ------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The whole adversarial state: nets, optimizers, schedulers, scaler, counters, RNG."""
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step_count,
            "skipped": self.skipped,
            "model": self.model.state_dict(),
            "loss": self.loss.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer is not None else None,
            "g_scheduler": self.g_scheduler.state_dict() if self.g_scheduler is not None else None,
            "d_scheduler": self.d_scheduler.state_dict() if self.d_scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "track_every": self._track_every,
            "rng": get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        All or nothing: when the state does not fit (a missing field, weights of
        another model, a damaged value), :class:`CheckpointError` is raised and
        the trainer is left exactly as it was (``nn.Module.load_state_dict``
        copies the matching tensors before it complains about the others).
        """
        backup = copy.deepcopy(self.state_dict())
        try:
            self._apply_state(state)
        except Exception as exc:  # torch, numpy and random raise many types for a damaged state
            self._apply_state(backup)
            if isinstance(exc, KeyError):
                raise CheckpointError(f"checkpoint: expected field {exc.args[0]!r}, got a checkpoint without it") from exc
            raise CheckpointError(
                f"checkpoint: expected weights and state matching this model and critic, got: "
                f"{type(exc).__name__}: {str(exc)[:300]}"
            ) from exc

    def _apply_state(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.loss.load_state_dict(state["loss"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        if self.d_optimizer is not None and state["d_optimizer"] is not None:
            self.d_optimizer.load_state_dict(state["d_optimizer"])
        if self.g_scheduler is not None and state["g_scheduler"] is not None:
            self.g_scheduler.load_state_dict(state["g_scheduler"])
        if self.d_scheduler is not None and state["d_scheduler"] is not None:
            self.d_scheduler.load_state_dict(state["d_scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.step_count = int(state["step"])
        self.skipped = int(state["skipped"])
        if state.get("track_every"):
            self._track_every = int(state["track_every"])
        set_rng_state(state["rng"])

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` atomically (the previous file kept as ``.prev``)."""
        if self.logger is not None:
            self.logger.flush()
        return save_atomic(self.state_dict(), path)

    def load_checkpoint(self, path: str | os.PathLike[str]) -> int:
        """Resume from a checkpoint (read with ``weights_only=True``); returns the step."""
        self.load_state_dict(load_checkpoint(path, map_location=self.device))
        return self.step_count
