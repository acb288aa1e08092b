"""``ShapeLoss``: wrap any point-wise loss with a conditional shape critic.

Point-wise losses (BCE, MSE, Dice...) push each sample up or down and have no
sideways force: when a label's timing is uncertain, the cheapest answer is a
low, smeared peak ("amplitude suppression"). ``ShapeLoss`` adds an adversarial
term from a discriminator ``D(label curve, input)`` that has learnt what a real
label looks like, and trains the net on

    (adv + weight * base) / (1 + weight)

("shape-then-align": the critic shapes the peak, the base loss aligns it).
Reference: arXiv:2511.06731, where ``weight = 4000`` (:data:`REFERENCE_WEIGHT`) with BCE on PhaseNet raised
effective S-wave detections by 64%.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from . import functional as Fn
from ._validation import (
    check_bool,
    check_choice,
    check_finite,
    check_range,
    check_same_batch_and_spatial,
    check_same_shape,
    check_tensor,
    check_weight,
)
from .activations import ACTIVATIONS, _softmax_over_channels, resolve_activation  # noqa: F401 (re-exported)
from .errors import DtypeMismatchError, InvalidArgumentError, ShapeMismatchError
from .objectives import AdversarialObjective, get_objective

__all__ = ["ShapeLoss", "AdversarialShapeLoss", "ShapeLossResult", "CriticResult", "ShapeLossParts",
           "resolve_activation", "REFERENCE_WEIGHT"]

#: lambda of the reference study (arXiv:2511.06731, BCE on PhaseNet): the default ``weight``.
REFERENCE_WEIGHT = 4000.0


@dataclass(frozen=True)
class ShapeLossResult:
    """The generator's side of one :class:`ShapeLoss` call, as a value.

    Returned by :meth:`ShapeLoss.generator_terms`. Every tensor stays on its device: reading
    one (``float()``, ``.item()``) is a host sync, left to whoever logs it.

    Attributes:
        total: the generator loss ``(adv + weight * base) / (1 + weight)``, carrying the
            gradient; a scalar, or ``(B,)`` with ``reduction="none"``.
        base: the base loss, detached, reduced as ``total``.
        adversarial: the adversarial term, detached (``None`` when the critic is off).
        fake_score: the frozen critic's mean raw score of the prediction in this pass
            (``None`` when the critic is off).
    """

    total: Tensor
    base: Tensor
    adversarial: Tensor | None = None
    fake_score: Tensor | None = None

    def metrics(self) -> dict[str, Tensor]:
        """``base``, ``adversarial``, ``total``: detached tensors, by the names the trainer logs."""
        out = {"base": self.base}
        if self.adversarial is not None:
            out["adversarial"] = self.adversarial
        out["total"] = self.total.detach()
        return out


@dataclass(frozen=True)
class CriticResult:
    """The critic's side of one :class:`ShapeLoss` call, as a value.

    Returned by :meth:`ShapeLoss.discriminator_terms`. ``real_score`` and ``fake_score``
    come from the same pass (the critic's, before its update): mean raw scores of the
    labels and of the detached prediction.

    Attributes:
        total: the critic's loss (penalties included), carrying the critic's gradient.
        real_score, fake_score: mean raw scores of this pass, detached.
        gradient_penalty, r1: the penalties, detached, where used (else ``None``).
    """

    total: Tensor
    real_score: Tensor
    fake_score: Tensor
    gradient_penalty: Tensor | None = None
    r1: Tensor | None = None

    def metrics(self) -> dict[str, Tensor]:
        """``discriminator``, ``real_score``, ``fake_score`` (and the penalties used): detached tensors."""
        out = {"discriminator": self.total.detach(), "real_score": self.real_score, "fake_score": self.fake_score}
        if self.gradient_penalty is not None:
            out["gradient_penalty"] = self.gradient_penalty
        if self.r1 is not None:
            out["r1"] = self.r1
        return out


@dataclass
class ShapeLossParts:
    """The terms of the last ``loss(...)`` / ``loss.discriminator_loss(...)`` call, detached.

    Kept for compatibility (``loss.last``): new code reads the values returned by
    :meth:`ShapeLoss.generator_terms` and :meth:`ShapeLoss.discriminator_terms`. Tensors stay
    on their device until :meth:`as_floats` is called (one host read per term).
    """

    base: Tensor | None = None
    adversarial: Tensor | None = None
    total: Tensor | None = None
    discriminator: Tensor | None = None
    real_score: Tensor | None = None
    fake_score: Tensor | None = None
    extra: dict[str, Tensor] = field(default_factory=dict)

    def as_floats(self) -> dict[str, float]:
        """The terms that were computed, as Python floats."""
        out = {
            k: float(v)
            for k, v in (
                ("base", self.base), ("adversarial", self.adversarial), ("total", self.total),
                ("discriminator", self.discriminator), ("real_score", self.real_score),
                ("fake_score", self.fake_score),
            )
            if v is not None
        }
        out.update({k: float(v) for k, v in self.extra.items()})
        return out

    def remember_generator(self, result: ShapeLossResult) -> None:
        """Hold the generator's terms (the critic's, computed first, stay next to them)."""
        self.base, self.adversarial, self.total = result.base, result.adversarial, result.total.detach()
        self.fake_score = result.fake_score

    def remember_critic(self, result: CriticResult) -> None:
        """Hold the critic's terms; its fake score is kept apart as ``extra["d_fake_score"]``."""
        self.discriminator, self.real_score = result.total.detach(), result.real_score
        self.extra = {k: v for k, v in (("gradient_penalty", result.gradient_penalty), ("r1", result.r1)) if v is not None}
        self.extra["d_fake_score"] = result.fake_score


class ShapeLoss(nn.Module):
    """Adversarial shape loss around any base loss, for 1D or 2D segmentation nets.

    Args:
        base_loss: any callable ``(logits, target) -> scalar``, e.g.
            ``torch.nn.BCEWithLogitsLoss()``. It receives the raw logits.
        discriminator: a conditional critic ``D(label, condition) -> scores``
            (see :mod:`shapeloss.discriminators`); registered as a submodule, so
            it moves with ``.to()`` and is saved in ``state_dict()``.
        weight: lambda, the weight of the base loss in
            ``(adv + weight * base) / (1 + weight)``. ``float('inf')`` gives the
            base loss exactly. Default :data:`REFERENCE_WEIGHT` (4000), the reference study's value.
        objective: ``"vanilla"`` (non-saturating, default), ``"least_squares"``,
            ``"hinge"``, ``"wasserstein"`` or an :class:`AdversarialObjective`.
        activation: maps logits to the labels' scale before the critic sees
            them: ``"sigmoid"`` (independent channels, the reference setting),
            ``"softmax"`` (over channels) or a callable.
        adversarial: ``False`` switches the critic off (base loss only), e.g. for
            a warm-up or a BCE control arm.
        gp_weight: weight of the WGAN-GP gradient penalty; used only with
            objectives that need it (``"wasserstein"``).
        r1_weight: weight of the R1 penalty on real samples (0 = off).
        validate: check shapes, finiteness and target range on every call.
            The finiteness and range checks read values back to the host (a sync each);
            turn off once a pipeline is trusted.
        reduction: ``"mean"`` (default: a scalar, the base loss reducing itself as in
            version 0.1), ``"none"`` (one loss per sample, shape ``(B,)``) or ``"sum"``
            (of the per-sample losses). With ``"none"``/``"sum"`` the base loss must keep
            the batch (e.g. ``BCEWithLogitsLoss(reduction="none")``: per element, averaged
            per sample) and the objective's losses take ``reduction`` (the built-in ones do).
            The mean of ``"none"`` equals ``"mean"`` (the property tests check it).

    Numbers may be Python or numpy scalars (``np.float32(100.0)``). What the critic sees
    (probabilities, labels, condition) is cast to the dtype of the critic's parameters, so
    half-precision logits work with a float32 critic; a critic on another device than the
    logits raises :class:`~shapeloss.errors.InvalidArgumentError` naming both. The base loss
    must return a scalar tensor (``reduction="mean"`` or ``"sum"``; per sample or per element
    with ``ShapeLoss(reduction="none")``/``"sum"``) that carries the logits'
    gradient when one is wanted, and the critic one
    floating-point tensor of scores ``(B, *)`` (not a tuple with features). With
    ``activation="softmax"`` the logits need at least two channels.

    Shapes:
        logits: ``(B, C, L)`` or ``(B, C, H, W)``, raw network outputs.
        target: same shape as ``logits``, labels on the probability scale
            (in [0, 1] with ``"sigmoid"``/``"softmax"``).
        condition: ``(B, C_cond, L)`` or ``(B, C_cond, H, W)``, what the critic
            is conditioned on (usually the network's input).

    Example:
        >>> import torch
        >>> from shapeloss import ShapeLoss
        >>> from shapeloss.discriminators import GlobalCritic
        >>> loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), GlobalCritic(1, 1), weight=10.0)
        >>> logits, target, x = torch.randn(4, 1, 64), torch.rand(4, 1, 64), torch.randn(4, 1, 64)
        >>> g = loss(logits, target, x)                      # generator loss, no grad into D
        >>> d = loss.discriminator_loss(logits, target, x)   # critic loss, no grad into the net
        >>> parts = loss.generator_terms(logits, target, x)  # the same, with its terms as a value
        >>> sorted(parts.metrics())
        ['adversarial', 'base', 'total']
    """

    def __init__(
        self,
        base_loss: Callable[[Tensor, Tensor], Tensor],
        discriminator: nn.Module | None,
        weight: float = REFERENCE_WEIGHT,
        objective: str | AdversarialObjective = "vanilla",
        activation: str | Callable[[Tensor], Tensor] = "sigmoid",
        adversarial: bool = True,
        gp_weight: float = 10.0,
        r1_weight: float = 0.0,
        validate: bool = True,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        if not callable(base_loss):
            raise TypeError(f"base_loss: expected a callable (logits, target) -> loss, got {type(base_loss).__name__}")
        if discriminator is not None and not isinstance(discriminator, nn.Module):
            raise TypeError(f"discriminator: expected an nn.Module or None, got {type(discriminator).__name__}")
        if adversarial and discriminator is None:
            raise TypeError("discriminator: expected an nn.Module when adversarial=True, got None")
        self.base_loss = base_loss
        self.discriminator = discriminator
        self.weight = check_weight(weight, "weight")
        self.objective = get_objective(objective)
        self.activation_name = activation if isinstance(activation, str) else getattr(activation, "__name__", "callable")
        self._activation = resolve_activation(activation)
        self.adversarial = check_bool(adversarial, "adversarial")
        self.gp_weight = check_weight(gp_weight, "gp_weight", allow_inf=False)
        self.r1_weight = check_weight(r1_weight, "r1_weight", allow_inf=False)
        self.validate = check_bool(validate, "validate")
        self.reduction = Fn.check_reduction(reduction)
        if self.reduction != "mean":
            for method in ("discriminator_loss", "generator_loss"):
                if "reduction" not in inspect.signature(getattr(self.objective, method)).parameters:
                    raise InvalidArgumentError(
                        f"objective: expected an objective whose {method} takes reduction= (for "
                        f"reduction={self.reduction!r}), got {type(self.objective).__name__} without it"
                    )
        self.last = ShapeLossParts()

    @property
    def uses_discriminator(self) -> bool:
        """Whether the generator loss has an adversarial term (False: base loss only)."""
        return self.adversarial and self.discriminator is not None and self.weight != float("inf")

    def activation(self, logits: Tensor) -> Tensor:
        """Map logits to the labels' scale (what the critic sees)."""
        return self._activation(logits)

    def _check_softmax(self, logits: object, critic_used: bool) -> None:
        # a softmax over one channel is 1.0 everywhere: the critic would see a constant
        # and give no gradient, silently; cheap (no host sync), so checked even without validate
        if (critic_used and self.activation_name == "softmax" and isinstance(logits, Tensor)
                and logits.ndim >= 2 and logits.shape[1] == 1):
            raise ShapeMismatchError(
                "logits: expected at least 2 channels with activation='softmax' (a softmax over one channel "
                "is 1.0 everywhere, so the critic would see a constant), got 1 channel; use activation='sigmoid'"
            )

    def _check_against_critic(self, logits: object, condition: object) -> None:
        # the critic would blame its own 'label' for what the caller passed as logits;
        # cheap shape checks against what our critics declare (dims, channels)
        critic = self.discriminator
        if not isinstance(logits, Tensor) or critic is None:
            return
        dims = getattr(critic, "dims", None)
        if isinstance(dims, int) and logits.ndim != dims + 2:
            raise ShapeMismatchError(
                f"logits: expected a {dims + 2}-D tensor for the {dims}-D critic {type(critic).__name__}, "
                f"got shape {tuple(logits.shape)} ({logits.ndim}-D)"
            )
        channels = getattr(critic, "label_channels", None)
        if isinstance(channels, int) and logits.ndim >= 2 and logits.shape[1] != channels:
            raise ShapeMismatchError(
                f"logits: expected {channels} channel(s) (the critic's label_channels), got shape {tuple(logits.shape)}"
            )
        channels = getattr(critic, "condition_channels", None)
        if isinstance(channels, int) and isinstance(condition, Tensor) and condition.ndim >= 2 and condition.shape[1] != channels:
            raise ShapeMismatchError(
                f"condition: expected {channels} channel(s) (the critic's condition_channels), got shape {tuple(condition.shape)}"
            )

    def _check(self, logits: Tensor, target: Tensor, condition: Tensor | None) -> None:
        if not self.validate:
            return
        check_tensor(logits, "logits")
        check_tensor(target, "target")
        check_same_shape(logits, "logits", target, "target")
        if target.dtype != logits.dtype:
            raise DtypeMismatchError(f"target: expected dtype {logits.dtype} (that of logits), got {target.dtype}")
        if target.device != logits.device:
            raise InvalidArgumentError(f"target: expected device {logits.device} (that of logits), got {target.device}")
        check_finite(logits, "logits")
        check_finite(target, "target")
        if isinstance(self.activation_name, str) and self.activation_name in ACTIVATIONS:
            check_range(target, "target", 0.0, 1.0)
        if self.uses_discriminator:
            if condition is None:
                raise TypeError("condition: expected a tensor (the critic's conditioning input), got None")
            check_tensor(condition, "condition", ndim=logits.ndim)
            check_same_batch_and_spatial(logits, "logits", condition, "condition")
            check_finite(condition, "condition")

    def forward(self, logits: Tensor, target: Tensor, condition: Tensor | None = None) -> Tensor:
        """The generator loss ``(adv + weight * base) / (1 + weight)``.

        No gradient reaches the discriminator's parameters from this call.
        ``condition`` may be omitted when the critic is off. The terms go to
        :attr:`last` (compatibility); :meth:`generator_terms` returns them instead.
        """
        result = self.generator_terms(logits, target, condition)
        # update in place: the critic's terms of this step (computed first) stay next to the generator's
        self.last.remember_generator(result)
        return result.total

    def generator_terms(self, logits: Tensor, target: Tensor, condition: Tensor | None = None, *,
                        checked: bool = False) -> ShapeLossResult:
        """The generator loss and its terms, as a :class:`ShapeLossResult` (nothing is stored).

        Same checks, value and gradient as calling the loss; no gradient reaches the
        discriminator's parameters. ``checked=True`` says these very tensors already passed
        this loss's input checks (as in :func:`~shapeloss.adversarial_step.adversarial_step`,
        whose first call of a step checks them): the ``validate`` checks, a host read each,
        are not repeated; the cheap shape checks against the critic still run.
        """
        self._check_softmax(logits, self.uses_discriminator)
        if not checked:
            self._check(logits, target, condition)
        if self.uses_discriminator:
            self._check_against_critic(logits, condition)
        total, parts = Fn.shape_loss(
            logits, target, condition,  # type: ignore[arg-type]
            base_loss=self.base_loss,
            discriminator=self.discriminator if self.uses_discriminator else None,
            weight=self.weight,
            generator_loss=self.objective.generator_loss,
            activation=self._activation,
            reduction=self.reduction,
        )
        return ShapeLossResult(total, parts["base"], parts.get("adversarial"), parts.get("fake_score"))

    def discriminator_loss(self, logits: Tensor, target: Tensor, condition: Tensor) -> Tensor:
        """The critic's loss: real ``(target, condition)`` vs fake ``(activation(logits).detach(), condition)``.

        No gradient reaches the generator from this call. Adds the gradient
        penalty (objectives that need it) and the R1 penalty (``r1_weight > 0``).
        The terms go to :attr:`last` (compatibility); :meth:`discriminator_terms` returns them.
        """
        result = self.discriminator_terms(logits, target, condition)
        self.last.remember_critic(result)
        return result.total

    def discriminator_terms(self, logits: Tensor, target: Tensor, condition: Tensor, *,
                            checked: bool = False) -> CriticResult:
        """The critic's loss and its terms, as a :class:`CriticResult` (nothing is stored).

        ``checked=True``: the inputs already passed this loss's checks (see :meth:`generator_terms`).
        """
        if self.discriminator is None:
            raise TypeError("discriminator: expected an nn.Module to compute discriminator_loss, got None")
        self._check_softmax(logits, True)
        if not checked:
            self._check(logits, target, condition)
        self._check_against_critic(logits, condition)
        if condition is None:
            raise TypeError("condition: expected a tensor (the critic's conditioning input), got None")
        loss, parts = Fn.shape_discriminator_loss(
            Fn.activated(self._activation, logits.detach()), target, condition,
            discriminator=self.discriminator,
            discriminator_loss=self.objective.discriminator_loss,
            gp_weight=self.gp_weight if self.objective.needs_gradient_penalty else 0.0,
            r1_weight=self.r1_weight,
            reduction=self.reduction,
        )
        return CriticResult(loss, parts["real_score"], parts["fake_score"], parts.get("gradient_penalty"), parts.get("r1"))

    def extra_repr(self) -> str:
        return (
            f"weight={self.weight}, objective={self.objective.name!r}, "
            f"activation={self.activation_name!r}, adversarial={self.adversarial}"
            + ("" if self.reduction == "mean" else f", reduction={self.reduction!r}")
        )


AdversarialShapeLoss = ShapeLoss
