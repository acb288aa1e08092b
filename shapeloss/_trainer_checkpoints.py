"""The trainer's checkpoints: its whole state as one dict, saved only when finite, loaded all or nothing.

A mixin of :class:`~shapeloss.AdversarialTrainer` (kept apart so the training
step and the state it saves stay two short modules). What a checkpoint holds:
both nets, both optimizers (and their types), schedulers, the AMP scaler, the
step and skip counters, every RNG state, the loss's and trainer's settings, and
the tracked predictions. :mod:`shapeloss._resume` checks a checkpoint against
the trainer before anything is loaded.
"""

from __future__ import annotations

import copy
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._guards import all_finite, nonfinite_names
from ._resume import check_state, trainer_settings
from .checkpoint import CHECKPOINT_FORMAT, check_checkpoint_path, load_checkpoint, save_atomic
from .errors import CheckpointError
from .seed import get_rng_state, set_rng_state

__all__ = ["TrainerCheckpoints"]


class TrainerCheckpoints:
    """state_dict / load_state_dict / save_checkpoint / load_checkpoint of the trainer."""

    def state_dict(self) -> dict[str, Any]:
        """The whole adversarial state: nets, optimizers, schedulers, scaler, counters, RNG, tracked history."""
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
            "g_optimizer_type": type(self.g_optimizer).__name__,
            "d_optimizer_type": type(self.d_optimizer).__name__ if self.d_optimizer is not None else None,
            "g_scheduler_type": type(self.g_scheduler).__name__ if self.g_scheduler is not None else None,
            "d_scheduler_type": type(self.d_scheduler).__name__ if self.d_scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "settings": trainer_settings(self),
            "track_every": self._track_every,
            "history": [(int(step), torch.from_numpy(np.ascontiguousarray(p))) for step, p in self.history],
            "rng": get_rng_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        All or nothing: every part is checked first (model and critic tensors
        by name, shape and dtype; optimizer types, parameter groups and state
        shapes; scheduler and scaler presence; counters; RNG states) and a
        mismatch raises :class:`CheckpointError` naming the part, with the
        trainer left exactly as it was. Settings that differ from the
        checkpoint's (learning rates, betas, weight decay; the loss's weight
        and objective; d_steps, d_every, grad_clip) are named in one
        ``UserWarning``: the optimizers' settings come from the checkpoint
        (as ``torch.optim`` restores them), the loss's and the trainer's
        from this trainer.
        """
        differences = check_state(self, state)
        backup = copy.deepcopy(self.state_dict())
        try:
            self._apply_state(state)
        except Exception as exc:  # a second line of defence: what the checks above did not foresee
            self._apply_state(backup)
            raise CheckpointError(
                f"checkpoint: expected weights and state matching this model and critic, got: "
                f"{type(exc).__name__}: {str(exc)[:300]}"
            ) from exc
        if differences:
            warnings.warn(
                "resuming with settings that differ from the checkpoint's: " + "; ".join(differences),
                UserWarning,
                stacklevel=2,
            )

    def _apply_state(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.loss.load_state_dict(state["loss"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        if self.d_optimizer is not None:
            self.d_optimizer.load_state_dict(state["d_optimizer"])
        if self.g_scheduler is not None:
            self.g_scheduler.load_state_dict(state["g_scheduler"])
        if self.d_scheduler is not None:
            self.d_scheduler.load_state_dict(state["d_scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.step_count = int(state["step"])
        self.skipped = int(state["skipped"])
        self._track_every = int(state.get("track_every") or 0)
        self.history = [(int(step), p.cpu().numpy()) for step, p in state.get("history") or []]
        set_rng_state(state["rng"])

    def _check_weights_finite(self, path: Path) -> None:
        params = list(self.model.parameters()) + list(self.loss.parameters())
        if all_finite(params):
            return
        names = nonfinite_names(
            [(f"model.{n}", p) for n, p in self.model.named_parameters()]
            + [(f"loss.{n}", p) for n, p in self.loss.named_parameters()]
        )
        kept = (f"it still holds step {self._last_checkpoint[1]}" if self._last_checkpoint and self._last_checkpoint[0] == path
                else "it is left as it was")
        raise CheckpointError(
            f"checkpoint: expected finite weights at step {self.step_count}, got NaN/Inf in {names}; "
            f"nothing was written to {path} ({kept})"
        )

    def save_checkpoint(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`state_dict` atomically (the previous file kept as ``.prev``).

        Refused (:class:`CheckpointError`, nothing written) when a weight of
        the net or the critic is not finite, or when ``path`` is not a regular
        file or a new name (see :func:`~shapeloss.save_atomic`). With the finiteness
        checks kept on the device (``log_every > 1``) they are read first: a failure
        since the last read raises :class:`~shapeloss.errors.NonFiniteLossError`.
        """
        target = check_checkpoint_path(path)
        self.read_checks()  # finiteness checks kept on the device (log_every > 1) are read first
        self._check_weights_finite(Path(path))
        if self.logger is not None:
            self.logger.flush()
        written = save_atomic(self.state_dict(), target)
        self._last_checkpoint = (Path(path), self.step_count)
        return written

    def load_checkpoint(self, path: str | os.PathLike[str]) -> int:
        """Resume from a checkpoint (read with ``weights_only=True``); returns the step.

        All or nothing, as :meth:`load_state_dict`. Rows of the metrics log of
        steps after the checkpoint's (written by the run that was killed) are
        dropped when this trainer writes its first row.
        """
        self.load_state_dict(load_checkpoint(path, map_location=self.device))
        self._resumed_from = self.step_count
        self._last_checkpoint = (Path(path), self.step_count)
        return self.step_count
