"""Pure functions behind the modules of shapeloss.

Every module in the library calls these, so the functional and the module
forms cannot drift (tests check they agree). Score tensors are the raw,
unbounded outputs of a discriminator of any shape ``(B, *)``; every
objective averages over all their elements (one score per sample, or one per
patch for a PatchGAN critic).

Reduction: every loss takes ``reduction`` (``"mean"``, the default, ``"sum"`` or
``"none"``), as MONAI's and kornia's losses do. ``"none"`` gives one value per sample,
shape ``(B,)`` (the mean over that sample's scores or elements); ``"sum"`` is the sum of
those values and ``"mean"`` their mean, computed as in version 0.1 (same bits).

Adversarial objectives, with ``r`` the scores of real labels and ``f`` the
scores of the generator's predictions:

===============  =================================================  ==========================
name             discriminator loss                                 generator loss
===============  =================================================  ==========================
``vanilla``      ``(softplus(-r) + softplus(f)) / 2``               ``softplus(-f)``
``least_squares``  ``((r - 1)^2 + f^2) / 2``                          ``(f - 1)^2``
``hinge``        ``relu(1 - r) + relu(1 + f)``                      ``-f``
``wasserstein``  ``f - r`` (+ gradient penalty)                     ``-f``
===============  =================================================  ==========================

``softplus(-x)`` is binary cross-entropy with logits against 1 and
``softplus(x)`` against 0, so ``vanilla`` is the non-saturating GAN loss of
Goodfellow et al. (2014), used by pix2pix and by the reference study.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from einops import reduce
from torch import Tensor, nn

from .errors import InvalidArgumentError, ShapeMismatchError

__all__ = [
    "REDUCTIONS",
    "check_reduction",
    "per_sample",
    "reduce_per_sample",
    "combine_losses",
    "vanilla_discriminator_loss",
    "vanilla_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
    "gradient_penalty",
    "r1_penalty",
    "frozen",
    "check_base_loss",
    "activated",
    "critic_input",
    "critic_scores",
    "generator_adversarial_term",
    "shape_loss",
    "shape_discriminator_loss",
]


#: The reductions every loss accepts: per sample ``(B,)``, their mean, their sum.
REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction: object) -> str:
    """``reduction``, one of :data:`REDUCTIONS`; anything else raises naming the argument."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise InvalidArgumentError(f"reduction: expected one of {list(REDUCTIONS)}, got {reduction!r}")
    return reduction


def per_sample(values: Tensor) -> Tensor:
    """``(B, *) -> (B,)``: the mean of each sample's values (a ``(B,)`` tensor is returned as is)."""
    return values if values.ndim == 1 else values.reshape(values.shape[0], -1).mean(dim=1)


def reduce_per_sample(values: Tensor, reduction: str) -> Tensor:
    """Per-sample values ``(B,)`` reduced: ``"none"`` as is, ``"sum"`` summed, ``"mean"`` averaged."""
    if reduction == "none":
        return values
    return values.sum() if reduction == "sum" else values.mean()


def combine_losses(base: Tensor, adversarial: Tensor | None, weight: float) -> Tensor:
    """The shape-then-align mix ``(adversarial + weight * base) / (1 + weight)``.

    ``weight = inf`` (or ``adversarial is None``) returns ``base`` itself, exactly:
    the limit of the formula, without the round-off of dividing by a huge number.
    In float32 and float64 with ``weight <= 1e30`` it is computed exactly as written (the
    same bits as version 0.1, so committed runs reproduce); in half precision, or with a
    larger ``weight``, as ``adversarial / (1 + weight) + base * (weight / (1 + weight))``
    with both coefficients in double precision, so that ``weight * base`` cannot overflow
    to ``inf`` (1e5 with float16 losses, or 1e308). The choice depends only on the dtype
    and the weight: no host sync.
    """
    weight = float(weight)
    if adversarial is None or weight == float("inf"):
        return base
    if base.dtype in (torch.float32, torch.float64) and weight <= _DIRECT_MIX_MAX_WEIGHT:
        return (adversarial + weight * base) / (1.0 + weight)
    return adversarial * (1.0 / (1.0 + weight)) + base * (weight / (1.0 + weight))


#: Above this weight (or in half precision) :func:`combine_losses` uses its overflow-safe form.
_DIRECT_MIX_MAX_WEIGHT = 1e30


def check_base_loss(base: object, reduction: str = "mean", batch: int | None = None) -> Tensor:
    """The base loss's value: a scalar tensor for ``reduction="mean"``, per sample otherwise.

    With ``reduction="mean"`` (version 0.1's only mode) the base loss must reduce itself
    (``reduction="mean"`` or ``"sum"`` in torch's losses): a per-element value cannot be
    mixed with the critic's scalar term. With ``"none"`` or ``"sum"`` it must keep the
    batch, ``(B,)`` or per element ``(B, *)`` (torch's ``reduction="none"``), and is
    averaged per sample. A Python float carries no gradient and is always refused.
    """
    if not isinstance(base, Tensor):
        raise TypeError(
            f"base_loss: expected a scalar tensor (a torch loss of the logits), got {type(base).__name__} {base!r}"
        )
    if reduction == "mean":
        if base.numel() != 1:
            raise ShapeMismatchError(
                f"base_loss: expected a scalar tensor (use reduction='mean' or 'sum', or ShapeLoss(reduction='none') "
                f"for per-sample losses), got shape {tuple(base.shape)}"
            )
        return base
    if base.ndim == 0 or (batch is not None and base.shape[0] != batch):
        raise ShapeMismatchError(
            f"base_loss: expected per-sample or per-element values (B, *) with B={batch} for reduction={reduction!r} "
            f"(a torch loss with reduction='none'), got shape {tuple(base.shape)}"
        )
    return per_sample(base)


def activated(activation: Callable[[Tensor], Tensor], logits: Tensor) -> Tensor:
    """``activation(logits)``, checked: a floating tensor of the logits' shape."""
    out = activation(logits)
    if not isinstance(out, Tensor) or not out.is_floating_point():
        got = f"dtype {out.dtype}" if isinstance(out, Tensor) else type(out).__name__
        raise TypeError(f"activation: expected a floating-point tensor of the logits' shape, got {got}")
    if out.shape != logits.shape:
        raise ShapeMismatchError(
            f"activation: expected an output of the logits' shape {tuple(logits.shape)}, got {tuple(out.shape)}"
        )
    return out


def critic_input(x: Tensor, discriminator: nn.Module, name: str) -> Tensor:
    """``x`` in the dtype of the critic's parameters; a critic on another device is refused.

    Half-precision logits with a float32 critic (or float64 with float32) are cast to the
    critic's dtype, as autocast would: the critic's parameters decide its arithmetic.
    """
    param = next((p for p in discriminator.parameters() if p.is_floating_point()), None)
    if param is None:
        return x
    if param.device != x.device:
        raise InvalidArgumentError(
            f"discriminator: expected parameters on device {x.device} (that of {name}), got {param.device}"
        )
    return x if x.dtype == param.dtype else x.to(param.dtype)


def critic_scores(discriminator: nn.Module, label: Tensor, condition: Tensor) -> Tensor:
    """``discriminator(label, condition)``, checked: a floating tensor ``(B, *)``."""
    scores = discriminator(label, condition)
    if not isinstance(scores, Tensor):
        raise TypeError(
            f"discriminator: expected scores as one tensor (B, *), got {type(scores).__name__}"
            + (" (return only the scores, not extra features)" if isinstance(scores, (tuple, list)) else "")
        )
    if not scores.is_floating_point():
        raise TypeError(f"discriminator: expected floating-point scores (raw, unbounded), got dtype {scores.dtype}")
    if scores.ndim == 0 or scores.shape[0] != label.shape[0]:
        raise ShapeMismatchError(
            f"discriminator: expected scores (B, *) with B={label.shape[0]} (one or more per sample), "
            f"got shape {tuple(scores.shape)}"
        )
    return scores


# --- objectives -------------------------------------------------------------


def vanilla_discriminator_loss(real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Non-saturating GAN, discriminator side: ``(softplus(-r) + softplus(f)) / 2``."""
    if check_reduction(reduction) == "mean":
        return 0.5 * (F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean())
    return reduce_per_sample(0.5 * (per_sample(F.softplus(-real_scores)) + per_sample(F.softplus(fake_scores))), reduction)


def vanilla_generator_loss(fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Non-saturating GAN, generator side: ``softplus(-f)`` (BCE of ``f`` against 'real')."""
    if check_reduction(reduction) == "mean":
        return F.softplus(-fake_scores).mean()
    return reduce_per_sample(per_sample(F.softplus(-fake_scores)), reduction)


def least_squares_discriminator_loss(real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """LSGAN (Mao et al., 2017), discriminator side: ``((r - 1)^2 + f^2) / 2``."""
    if check_reduction(reduction) == "mean":
        return 0.5 * ((real_scores - 1.0).pow(2).mean() + fake_scores.pow(2).mean())
    return reduce_per_sample(0.5 * (per_sample((real_scores - 1.0).pow(2)) + per_sample(fake_scores.pow(2))), reduction)


def least_squares_generator_loss(fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """LSGAN, generator side: ``(f - 1)^2``."""
    if check_reduction(reduction) == "mean":
        return (fake_scores - 1.0).pow(2).mean()
    return reduce_per_sample(per_sample((fake_scores - 1.0).pow(2)), reduction)


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Hinge GAN (Lim & Ye, 2017; Miyato et al., 2018): ``relu(1 - r) + relu(1 + f)``."""
    if check_reduction(reduction) == "mean":
        return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()
    return reduce_per_sample(per_sample(F.relu(1.0 - real_scores)) + per_sample(F.relu(1.0 + fake_scores)), reduction)


def hinge_generator_loss(fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Hinge GAN, generator side: ``-f``."""
    if check_reduction(reduction) == "mean":
        return -fake_scores.mean()
    return reduce_per_sample(-per_sample(fake_scores), reduction)


def wasserstein_discriminator_loss(real_scores: Tensor, fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Wasserstein critic (Arjovsky et al., 2017): ``f - r``; add :func:`gradient_penalty`."""
    if check_reduction(reduction) == "mean":
        return fake_scores.mean() - real_scores.mean()
    return reduce_per_sample(per_sample(fake_scores) - per_sample(real_scores), reduction)


def wasserstein_generator_loss(fake_scores: Tensor, reduction: str = "mean") -> Tensor:
    """Wasserstein generator side: ``-f``."""
    if check_reduction(reduction) == "mean":
        return -fake_scores.mean()
    return reduce_per_sample(-per_sample(fake_scores), reduction)


def _per_sample_grad_norm_sq(grad: Tensor) -> Tensor:
    return reduce(grad.pow(2), "b ... -> b", "sum")


def gradient_penalty(
    discriminator: nn.Module,
    real: Tensor,
    fake: Tensor,
    condition: Tensor,
    generator: torch.Generator | None = None,
    reduction: str = "mean",
) -> Tensor:
    """WGAN-GP penalty (Gulrajani et al., 2017): ``E[(||grad_x D(x, c)||_2 - 1)^2]``.

    ``x`` is drawn uniformly on the segment between each real and fake label
    (one mixing coefficient per sample). Gradients are taken with respect to the
    label only, not the condition.
    """
    check_reduction(reduction)
    alpha_shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    alpha = torch.rand(alpha_shape, device=real.device, dtype=real.dtype, generator=generator)
    mixed = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic_scores(discriminator, mixed, condition)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    norm = _per_sample_grad_norm_sq(grad).add(1e-12).sqrt()
    return (norm - 1.0).pow(2).mean() if reduction == "mean" else reduce_per_sample((norm - 1.0).pow(2), reduction)


def r1_penalty(discriminator: nn.Module, real: Tensor, condition: Tensor, reduction: str = "mean") -> Tensor:
    """R1 penalty on real samples (Mescheder et al., 2018): ``E[||grad_x D(x_real, c)||^2] / 2``."""
    check_reduction(reduction)
    real = real.detach().requires_grad_(True)
    scores = critic_scores(discriminator, real, condition)
    (grad,) = torch.autograd.grad(scores.sum(), real, create_graph=True)
    if reduction == "mean":
        return 0.5 * _per_sample_grad_norm_sq(grad).mean()
    return reduce_per_sample(0.5 * _per_sample_grad_norm_sq(grad), reduction)


# --- the shape loss -----------------------------------------------------------


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Turn off ``requires_grad`` on every parameter of ``module`` for the block.

    A graph built inside the block carries gradients through the module to its
    inputs but never into its parameters: the generator's loss cannot train the
    discriminator. The previous flags are restored afterwards.
    """
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def generator_adversarial_term(
    probabilities: Tensor,
    condition: Tensor,
    discriminator: nn.Module,
    generator_loss: Callable[..., Tensor],
    reduction: str = "mean",
) -> tuple[Tensor, Tensor]:
    """The generator's adversarial loss on ``D(probabilities, condition)``, D frozen.

    ``generator_loss`` is called as ``generator_loss(scores)`` for ``reduction="mean"``
    and ``generator_loss(scores, reduction="none")`` otherwise (per-sample terms).

    Returns:
        ``(loss, fake_scores)``: the loss as a scalar (``"mean"``) or per sample ``(B,)``.
    """
    with frozen(discriminator):
        fake_scores = critic_scores(
            discriminator, critic_input(probabilities, discriminator, "logits"),
            critic_input(condition, discriminator, "logits"),
        )
    if reduction == "mean":
        return generator_loss(fake_scores), fake_scores
    return generator_loss(fake_scores, reduction="none"), fake_scores


def shape_loss(
    logits: Tensor,
    target: Tensor,
    condition: Tensor,
    *,
    base_loss: Callable[[Tensor, Tensor], Tensor],
    discriminator: nn.Module | None,
    weight: float,
    generator_loss: Callable[..., Tensor],
    activation: Callable[[Tensor], Tensor],
    reduction: str = "mean",
) -> tuple[Tensor, dict[str, Tensor]]:
    """The generator's shape loss ``(adv + weight * base) / (1 + weight)``.

    Args:
        logits: the segmentation net's raw output, ``(B, C, *)``.
        target: labels on the probability scale, same shape as ``logits``.
        condition: what the discriminator is conditioned on (usually the net's
            input), ``(B, C_cond, *)`` with the spatial sizes of ``logits``.
        base_loss: the point-wise loss, called as ``base_loss(logits, target)``.
        discriminator: ``D(label, condition) -> scores``; ``None`` or
            ``weight = inf`` give the base loss alone.
        weight: lambda, the weight of the base loss.
        generator_loss: the objective's generator term on fake scores.
        activation: maps logits to the label scale, e.g. ``torch.sigmoid``.
        reduction: ``"mean"`` (a scalar, as in version 0.1: the base loss reduces
            itself), ``"none"`` (per sample, ``(B,)``: the base loss must keep the batch,
            e.g. ``BCEWithLogitsLoss(reduction="none")``) or ``"sum"`` (of the per-sample values).

    Returns:
        ``(total, parts)`` with ``parts`` holding ``base``, ``adversarial`` (reduced as
        ``total``) and ``fake_score`` (mean raw score; per sample with ``"none"``),
        detached, where they were computed.

    Raises:
        TypeError, ShapeMismatchError, InvalidArgumentError: the base loss is not a scalar
            tensor or drops the logits' gradient; the activation changes the shape; the
            critic is on another device or returns something other than scores ``(B, *)``.
            What the critic sees is cast to the dtype of its parameters.
    """
    reduction = check_reduction(reduction)
    base = check_base_loss(base_loss(logits, target), reduction, logits.shape[0] if logits.ndim else None)
    if torch.is_grad_enabled() and logits.requires_grad and not base.requires_grad:
        # e.g. a loss of logits.detach() or a re-created tensor: the net would get no base gradient
        raise InvalidArgumentError(
            "base_loss: expected a loss that carries the logits' gradient, got a tensor without grad_fn "
            "(does it detach the logits or build a new tensor?)"
        )
    if discriminator is None or weight == float("inf"):
        base = base if reduction == "mean" else reduce_per_sample(base, reduction)
        return base, {"base": base.detach()}
    adversarial, fake_scores = generator_adversarial_term(
        activated(activation, logits), condition, discriminator, generator_loss, reduction
    )
    total = combine_losses(base, adversarial, weight)
    if reduction != "mean":
        base, adversarial, total = (reduce_per_sample(t, reduction) for t in (base, adversarial, total))
    scores = per_sample(fake_scores.detach()) if reduction == "none" else fake_scores.detach().mean()
    return total, {"base": base.detach(), "adversarial": adversarial.detach(), "fake_score": scores}


def shape_discriminator_loss(
    probabilities: Tensor,
    target: Tensor,
    condition: Tensor,
    *,
    discriminator: nn.Module,
    discriminator_loss: Callable[[Tensor, Tensor], Tensor],
    gp_weight: float = 0.0,
    r1_weight: float = 0.0,
    reduction: str = "mean",
) -> tuple[Tensor, dict[str, Tensor]]:
    """The discriminator's loss: real ``(target, condition)`` against fake
    ``(probabilities.detach(), condition)``, plus optional gradient penalties.

    ``reduction``: ``"mean"`` (a scalar, version 0.1), ``"none"`` (per sample ``(B,)``,
    penalties per sample too; ``discriminator_loss`` is then called with
    ``reduction="none"``) or ``"sum"``.

    Returns:
        ``(loss, parts)`` with ``discriminator``, ``real_score``, ``fake_score``
        (mean raw scores of this one pass, both before any update; per sample with
        ``"none"``) and, where used, ``gradient_penalty`` / ``r1``.
    """
    reduction = check_reduction(reduction)
    per = "mean" if reduction == "mean" else "none"
    fake = critic_input(probabilities.detach(), discriminator, "logits")
    target = critic_input(target, discriminator, "logits")
    condition = critic_input(condition, discriminator, "logits")
    real_scores = critic_scores(discriminator, target, condition)
    fake_scores = critic_scores(discriminator, fake, condition)
    loss = discriminator_loss(real_scores, fake_scores) if per == "mean" else discriminator_loss(
        real_scores, fake_scores, reduction="none")
    score = (lambda t: per_sample(t.detach())) if reduction == "none" else (lambda t: t.detach().mean())
    parts: dict[str, Tensor] = {"real_score": score(real_scores), "fake_score": score(fake_scores)}
    if gp_weight > 0:
        gp = gradient_penalty(discriminator, target, fake, condition, reduction=per)
        loss = loss + gp_weight * gp
        parts["gradient_penalty"] = reduce_per_sample(gp, reduction).detach() if per == "none" else gp.detach()
    if r1_weight > 0:
        r1 = r1_penalty(discriminator, target, condition, reduction=per)
        loss = loss + r1_weight * r1
        parts["r1"] = reduce_per_sample(r1, reduction).detach() if per == "none" else r1.detach()
    if per == "none":
        loss = reduce_per_sample(loss, reduction)
    parts["discriminator"] = loss.detach()
    return loss, parts

