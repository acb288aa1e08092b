"""The trainer's tracked predictions: probabilities on fixed inputs every N steps, bounded, kept across resumes.

A mixin of :class:`~shapeloss.AdversarialTrainer` (its ``model``, ``loss``, ``device``,
``step_count``, ``history``, ``max_history``, ``_tracked`` and ``_track_every``); the history
goes into its checkpoints (:mod:`shapeloss._trainer_checkpoints`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ._validation import check_positive_int

__all__ = ["TrackedPredictions"]


class TrackedPredictions:
    """track / predict of the trainer."""

    def track(self, inputs: Tensor, every: int = 100) -> None:
        """Record the predictions (after the loss's activation) on fixed ``inputs``.

        Every ``every`` steps, ``(step, probabilities as numpy (B, C, *))`` is
        appended to :attr:`history`, in eval mode and without gradients (no RNG
        is consumed, so tracking never changes a run). The history keeps at most
        ``max_history`` entries: when full, every other entry is dropped and
        the interval doubles, so it always spans the whole run. The history is
        saved in checkpoints: a resumed trainer continues it (call ``track``
        again after loading; the grown interval is kept).
        """
        if not isinstance(inputs, Tensor):
            raise TypeError(f"inputs: expected a torch.Tensor, got {type(inputs).__name__}")
        every = check_positive_int(every, "every")
        self._tracked = (inputs.detach().to(self.device), None)
        # a resumed trainer keeps the interval its history had grown to
        self._track_every = self._track_every if self.history and self._track_every else every
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
