"""A timing experiment, not a library option: the critic's update with real and fake labels
scored in one critic call (a batch of ``2B``), instead of the library's two calls of ``B``.

It is the usual first idea for a cheaper adversarial step. With a BatchNorm critic (the
``compact`` default) it also changes what the critic computes: the normalisation statistics
mix real and fake labels, so its numbers (and every result trained with it) differ. The
benchmark times it (``--presets compact_fused``) to say what it would buy on this machine.
"""

from __future__ import annotations

import torch
from torch import Tensor

from shapeloss import ShapeLoss
from shapeloss.errors import InvalidArgumentError
from shapeloss.losses import CriticResult

__all__ = ["SUFFIX", "fuse_critic_passes"]

#: ``--presets <critic>_fused`` times ``<critic>`` with :func:`fuse_critic_passes`.
SUFFIX = "_fused"


def fuse_critic_passes(loss: ShapeLoss) -> None:
    """Make ``loss.discriminator_terms`` score ``cat([target, fake])`` in one critic call (this instance only)."""
    if loss.discriminator is None or loss.objective.needs_gradient_penalty or loss.r1_weight > 0:
        raise InvalidArgumentError("loss: expected a critic without gradient or R1 penalties for the fused experiment, "
                         f"got objective {loss.objective.name!r}, r1_weight {loss.r1_weight}")
    critic = loss.discriminator

    def terms(logits: Tensor, target: Tensor, condition: Tensor, *, checked: bool = False) -> CriticResult:
        if not checked:
            loss.check_inputs(logits, target, condition)
        fake = loss.activation(logits.detach())
        scores = critic(torch.cat([target, fake]), torch.cat([condition, condition]))
        real_scores, fake_scores = scores.chunk(2)
        total = loss.objective.discriminator_loss(real_scores, fake_scores)
        return CriticResult(total, real_scores.detach().mean(), fake_scores.detach().mean(), None, None)

    loss.discriminator_terms = terms  # type: ignore[method-assign]
