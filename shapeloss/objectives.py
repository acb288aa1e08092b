"""Adversarial objectives, by name or as objects.

An objective pairs a discriminator loss with a generator loss (formulas in
:mod:`shapeloss.functional`) and says whether it wants a gradient penalty.
Pass one to :class:`shapeloss.ShapeLoss` by name (``"vanilla"``,
``"least_squares"``, ``"hinge"``, ``"wasserstein"``) or as an instance; a
custom objective subclasses :class:`AdversarialObjective`.

Both losses take ``reduction`` (``"mean"``, the default, ``"sum"`` or ``"none"``: one
value per sample, shape ``(B,)``), as :mod:`shapeloss.functional` documents. A custom
objective whose methods lack ``reduction`` still works with ``ShapeLoss(reduction="mean")``.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from . import functional as Fn
from ._validation import check_choice

__all__ = [
    "AdversarialObjective",
    "Vanilla",
    "LeastSquares",
    "Hinge",
    "Wasserstein",
    "OBJECTIVES",
    "get_objective",
]


@dataclass(frozen=True)
class AdversarialObjective:
    """Base class: override :meth:`discriminator_loss` and :meth:`generator_loss`
    (each with a ``reduction="mean"`` keyword, to serve ``ShapeLoss(reduction="none")``).

    Attributes:
        name: the registry name.
        needs_gradient_penalty: the objective is only well posed with a
            gradient penalty (Wasserstein); :class:`~shapeloss.ShapeLoss`
            then applies ``gp_weight``.
        bounded_scores: scores are read as logits of 'real' (``vanilla``) or as
            targets 0/1 (``least_squares``), so the divergence watch can tell
            a discriminator that wins outright; ``False`` for margin objectives.
    """

    name: str = "custom"
    needs_gradient_penalty: bool = False
    bounded_scores: bool = False

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        """The critic's loss on raw scores ``(B, *)``: a scalar, or per sample ``(B,)`` with ``"none"``."""
        raise NotImplementedError

    def generator_loss(self, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        """The generator's adversarial loss on the critic's scores of its prediction ``(B, *)``."""
        raise NotImplementedError


@dataclass(frozen=True)
class Vanilla(AdversarialObjective):
    """Non-saturating GAN loss with logits (the reference study's choice)."""

    name: str = "vanilla"
    bounded_scores: bool = True

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.vanilla_discriminator_loss(real_scores, fake_scores, reduction)

    def generator_loss(self, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.vanilla_generator_loss(fake_scores, reduction)


@dataclass(frozen=True)
class LeastSquares(AdversarialObjective):
    """Least-squares GAN: scores regressed to 1 (real) and 0 (fake)."""

    name: str = "least_squares"
    bounded_scores: bool = True

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.least_squares_discriminator_loss(real_scores, fake_scores, reduction)

    def generator_loss(self, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.least_squares_generator_loss(fake_scores, reduction)


@dataclass(frozen=True)
class Hinge(AdversarialObjective):
    """Hinge loss with margin 1."""

    name: str = "hinge"

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.hinge_discriminator_loss(real_scores, fake_scores, reduction)

    def generator_loss(self, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.hinge_generator_loss(fake_scores, reduction)


@dataclass(frozen=True)
class Wasserstein(AdversarialObjective):
    """Wasserstein critic; use with a gradient penalty (``gp_weight``, default 10)."""

    name: str = "wasserstein"
    needs_gradient_penalty: bool = True

    def discriminator_loss(self, real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.wasserstein_discriminator_loss(real_scores, fake_scores, reduction)

    def generator_loss(self, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
        return Fn.wasserstein_generator_loss(fake_scores, reduction)


OBJECTIVES: dict[str, type[AdversarialObjective]] = {
    "vanilla": Vanilla,
    "least_squares": LeastSquares,
    "hinge": Hinge,
    "wasserstein": Wasserstein,
}


def get_objective(objective: str | AdversarialObjective) -> AdversarialObjective:
    """An objective instance from a name or an instance (returned as is)."""
    if isinstance(objective, AdversarialObjective):
        return objective
    check_choice(objective, "objective", OBJECTIVES)
    return OBJECTIVES[objective]()
