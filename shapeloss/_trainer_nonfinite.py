"""What a non-finite value does to the trainer: stop with a message saying what is intact, or skip the batch.

A mixin of :class:`~shapeloss.AdversarialTrainer`: :meth:`NonFinitePolicy._fail` is the
``fail`` of its step guard (:mod:`shapeloss.adversarial_step`), called with the failed
check; under ``on_nonfinite="skip"`` it abandons the batch (:class:`SkipBatch`) and
:meth:`NonFinitePolicy._finish_skipped` counts it, stopping a run of too many skips in a row.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from torch import Tensor

from ._guards import all_finite, fingerprint
from .adversarial_step import NonFinite, SkipBatch
from .errors import NonFiniteInputError, NonFiniteLossError

__all__ = ["NonFinitePolicy"]


class NonFinitePolicy:
    """_fail / read_checks / _finish_skipped / _intact of the trainer."""

    def _intact(self, this_batch: bool = True) -> str:
        """What a stop at this point leaves intact, in words (failure path only: it checks the weights)."""
        words = []
        if this_batch and getattr(self, "_critic_stepped", False):
            words = ["the critic has already taken its step(s) on this batch"]
        elif this_batch:
            words = ["no optimizer has stepped on this batch"]
        net_ok = all_finite(list(self.model.parameters()))
        words.append(f"the net's weights are those after step {self.step_count}"
                     + ("" if net_ok else " and are NOT finite (an optimizer step made them so: check the learning rate)"))
        critic = self.loss.discriminator
        if critic is not None and self.d_optimizer is not None:
            critic_ok = all_finite(list(critic.parameters()))
            words.append("the critic's weights are " + ("finite" if critic_ok else "NOT finite (check its learning rate)"))
        if self._last_checkpoint is None:
            words.append("no checkpoint has been written by this trainer yet")
        else:
            words.append(f"the last checkpoint ({self._last_checkpoint[0]}, step {self._last_checkpoint[1]}) is intact")
        return "; ".join(words)

    def _fail(self, bad: NonFinite) -> None:
        """A failed finiteness check: skip the batch (:class:`SkipBatch`) or raise, naming the term and what is intact."""
        self._critic_stepped = bad.critic_stepped
        if self._guard.deferred:
            error = NonFiniteInputError if bad.what.startswith("batch ") else NonFiniteLossError
            raise error(
                f"step {bad.step}: the {bad.what} is not finite (expected finite values, got NaN/Inf); found at the "
                f"check after step {self.step_count} (with log_every={self.log_every} the checks are read at log steps and "
                f"before checkpoints, and the optimizers stepped on in between): {self._intact(this_batch=False)}. "
                "Pass log_every=1 or on_nonfinite='skip' to stop or skip before the optimizer step."
            )
        if self.on_nonfinite == "skip":
            raise SkipBatch(bad.reason)
        if bad.what.startswith("batch "):
            raise NonFiniteInputError(
                f"{bad.what} at step {self.step_count}: expected finite values, got "
                f"{bad.detail()} NaN/Inf value(s); pass on_nonfinite='skip' to skip such batches"
            )
        raise NonFiniteLossError(
            f"step {self.step_count}: the {bad.what} is not finite (expected finite values, got {bad.detail()}); stopped before "
            + ("the generator's optimizer step" if bad.critic_stepped else "any optimizer step")
            + f": {self._intact()}. Pass on_nonfinite='skip' to skip such batches."
        )

    def read_checks(self) -> None:
        """Read the finiteness checks kept on the device since the last read (one host sync), raising on a failure.

        Runs by itself at log steps and before each checkpoint; nothing to do when the
        checks are read at every step (``log_every=1`` or ``on_nonfinite="skip"``).
        """
        if self._guard.deferred:
            self._guard.read()

    def _finish_skipped(self, reason: str, batch: Sequence[Tensor]) -> dict[str, float]:
        self.skipped += 1
        self._consecutive_skips += 1
        self._skip_prints.append(fingerprint(batch))
        warnings.warn(f"step {self.step_count}: skipped a batch ({reason}); {self.skipped} skipped so far", RuntimeWarning, stacklevel=3)
        for opt in (self.g_optimizer, self.d_optimizer):
            if opt is not None:
                opt.zero_grad(set_to_none=True)
        if self._consecutive_skips > self.max_consecutive_skips:
            n = self._consecutive_skips
            same = len(set(self._skip_prints)) == 1
            source = (
                f"the data source returned the same bad batch all {n} times (a data source that repeats "
                "a batch it cannot move past: check how it advances)" if same and n > 1
                else f"{len(set(self._skip_prints))} different bad batches"
            )
            raise NonFiniteLossError(
                f"max_consecutive_skips: expected at most {self.max_consecutive_skips} batch(es) in a row to be "
                f"skipped, got {n} in a row at step {self.step_count} ({source}; last reason: {reason}). "
                f"Training stopped: {self._intact()}."
            )
        return {"step": float(self.step_count), "skipped": 1.0}
