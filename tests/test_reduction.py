"""``reduction`` of ShapeLoss, the objectives and the penalties: "none" is per sample (B,),
its mean is "mean" and its sum is "sum"; a batch's order does not matter; bad values are named."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss import ShapeLoss, functional as Fn
from shapeloss.discriminators import GlobalCritic, PatchCritic
from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.objectives import OBJECTIVES, AdversarialObjective, get_objective

OBJECTIVE_FUNCTIONS = [
    (Fn.vanilla_discriminator_loss, Fn.vanilla_generator_loss),
    (Fn.least_squares_discriminator_loss, Fn.least_squares_generator_loss),
    (Fn.hinge_discriminator_loss, Fn.hinge_generator_loss),
    (Fn.wasserstein_discriminator_loss, Fn.wasserstein_generator_loss),
]


def _case(batch, length, seed, critic="global", dims=1):
    torch.manual_seed(seed)
    size = (length,) if dims == 1 else (4, length)
    if critic == "global":  # no batch statistics: each sample is scored on its own
        d = GlobalCritic(2, 1, dims=dims, width=8, depth=2, norm="none")
    else:
        d = PatchCritic(2, 1, dims=dims, width=8, depth=2, norm="none")
    logits = torch.randn(batch, 2, *size, dtype=torch.float64, requires_grad=True)
    target = torch.rand(batch, 2, *size, dtype=torch.float64)
    condition = torch.randn(batch, 1, *size, dtype=torch.float64)
    return d.double(), logits, target, condition


def _loss(critic, reduction, objective="vanilla", **kw):
    base = torch.nn.BCEWithLogitsLoss(reduction="mean" if reduction == "mean" else "none")
    return ShapeLoss(base, critic, weight=3.0, objective=objective, reduction=reduction, **kw)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 5), length=st.integers(8, 24), seed=st.integers(0, 2**16),
       objective=st.sampled_from(sorted(OBJECTIVES)), critic=st.sampled_from(["global", "patch"]))
def test_generator_mean_and_sum_of_none(batch, length, seed, objective, critic):
    d, logits, target, condition = _case(batch, length, seed, critic)
    none = _loss(d, "none", objective).generator_terms(logits, target, condition)
    mean = _loss(d, "mean", objective).generator_terms(logits, target, condition)
    total = _loss(d, "sum", objective).generator_terms(logits, target, condition)
    assert none.total.shape == none.base.shape == none.adversarial.shape == none.fake_score.shape == (batch,)
    torch.testing.assert_close(none.total.mean(), mean.total)
    torch.testing.assert_close(none.total.sum(), total.total)
    for name in ("base", "adversarial"):
        torch.testing.assert_close(getattr(none, name).mean(), getattr(mean, name))
        torch.testing.assert_close(getattr(none, name).sum(), getattr(total, name))
    # the gradient of the mean of "none" is the gradient of "mean"
    (g_none,) = torch.autograd.grad(none.total.mean(), logits)
    (g_mean,) = torch.autograd.grad(mean.total, logits)
    torch.testing.assert_close(g_none, g_mean)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 5), length=st.integers(8, 24), seed=st.integers(0, 2**16),
       objective=st.sampled_from(sorted(OBJECTIVES)), r1=st.sampled_from([0.0, 0.5]))
def test_critic_mean_and_sum_of_none(batch, length, seed, objective, r1):
    d, logits, target, condition = _case(batch, length, seed)
    results = {}
    for reduction in ("none", "mean", "sum"):
        torch.manual_seed(seed)  # the gradient penalty draws its mixing coefficients
        results[reduction] = _loss(d, reduction, objective, r1_weight=r1).discriminator_terms(logits, target, condition)
    none = results["none"]
    assert none.total.shape == none.real_score.shape == none.fake_score.shape == (batch,)
    assert set(none.metrics()) == set(results["mean"].metrics())
    for key, value in none.metrics().items():  # the loss, its penalties and the scores, each per sample
        assert value.shape == (batch,), key
        torch.testing.assert_close(value.mean(), results["mean"].metrics()[key])
    torch.testing.assert_close(none.total.mean(), results["mean"].total)
    torch.testing.assert_close(none.total.sum(), results["sum"].total)
    torch.testing.assert_close(none.real_score.mean(), results["mean"].real_score)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(2, 6), seed=st.integers(0, 2**16), objective=st.sampled_from(sorted(OBJECTIVES)),
       dims=st.sampled_from([1, 2]), data=st.data())
def test_batch_order_does_not_matter(batch, seed, objective, dims, data):
    d, logits, target, condition = _case(batch, 12, seed, dims=dims)
    order = torch.tensor(data.draw(st.permutations(range(batch))))
    for reduction in ("none", "mean", "sum"):
        loss = _loss(d, reduction, objective if objective != "wasserstein" else "hinge")  # GP draws per position
        a = loss.generator_terms(logits, target, condition).total
        b = loss.generator_terms(logits[order], target[order], condition[order]).total
        torch.testing.assert_close(b, a[order] if reduction == "none" else a)
        a = loss.discriminator_terms(logits, target, condition).total
        b = loss.discriminator_terms(logits[order], target[order], condition[order]).total
        torch.testing.assert_close(b, a[order] if reduction == "none" else a)


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 6), width=st.integers(1, 7), seed=st.integers(0, 2**16), pair=st.sampled_from(OBJECTIVE_FUNCTIONS))
def test_objective_functions_mean_and_sum_of_none(batch, width, seed, pair):
    g = torch.Generator().manual_seed(seed)
    real, fake = torch.randn(batch, width, generator=g, dtype=torch.float64), torch.randn(batch, width, generator=g, dtype=torch.float64)
    d_loss, g_loss = pair
    for fn, args in ((d_loss, (real, fake)), (g_loss, (fake,))):
        none = fn(*args, reduction="none")
        assert none.shape == (batch,)
        assert torch.equal(fn(*args), fn(*args, reduction="mean"))
        torch.testing.assert_close(none.mean(), fn(*args, reduction="mean"))
        torch.testing.assert_close(none.sum(), fn(*args, reduction="sum"))


def test_objective_objects_pass_reduction():
    real, fake = torch.randn(3, 2), torch.randn(3, 2)
    for name in OBJECTIVES:
        obj = get_objective(name)
        assert obj.generator_loss(fake, reduction="none").shape == (3,)
        assert obj.discriminator_loss(real, fake, reduction="none").shape == (3,)


def test_default_mean_is_version_01_exactly():
    """reduction='mean' keeps v0.1's arithmetic: the same bits as the formula written out."""
    d, logits, target, condition = _case(4, 16, 0)
    total = ShapeLoss(torch.nn.BCEWithLogitsLoss(), d, weight=3.0)(logits, target, condition)
    base = torch.nn.BCEWithLogitsLoss()(logits, target)
    adv = torch.nn.functional.softplus(-d(torch.sigmoid(logits), condition)).mean()
    assert torch.equal(total, (adv + 3.0 * base) / 4.0)


BAD = ["avg", "Mean", "", None, 1, ("mean",)]


@pytest.mark.parametrize("value", BAD, ids=repr)
@pytest.mark.parametrize("where", ["ShapeLoss", "functional", "objective", "gradient_penalty", "r1_penalty"])
def test_bad_reduction_is_named(where, value):
    d, logits, target, condition = _case(2, 8, 0)
    scores = torch.randn(2, 1)
    calls = {
        "ShapeLoss": lambda: ShapeLoss(torch.nn.BCEWithLogitsLoss(), d, reduction=value),
        "functional": lambda: Fn.vanilla_generator_loss(scores, reduction=value),
        "objective": lambda: get_objective("hinge").discriminator_loss(scores, scores, reduction=value),
        "gradient_penalty": lambda: Fn.gradient_penalty(d, target, target, condition, reduction=value),
        "r1_penalty": lambda: Fn.r1_penalty(d, target, condition, reduction=value),
    }
    with pytest.raises(InvalidArgumentError, match=r"^reduction: expected one of \['none', 'mean', 'sum'\], got " + repr(value).replace("(", r"\(").replace(")", r"\)")):
        calls[where]()


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_per_sample_reduction_needs_a_per_sample_base_loss(reduction):
    d, logits, target, condition = _case(3, 8, 0)
    with pytest.raises(ShapeMismatchError, match=r"base_loss: expected per-sample or per-element values \(B, \*\) with B=3 .*got shape \(\)"):
        ShapeLoss(torch.nn.BCEWithLogitsLoss(), d, reduction=reduction)(logits, target, condition)
    with pytest.raises(ShapeMismatchError, match=r"base_loss: .*B=3.*got shape \(2,\)"):
        ShapeLoss(lambda lo, t: torch.zeros(2, dtype=lo.dtype) + lo.sum(), d, reduction=reduction)(logits, target, condition)


def test_custom_objective_without_reduction_is_refused_for_none_only():
    class Legacy(AdversarialObjective):
        def discriminator_loss(self, real_scores, fake_scores):
            return fake_scores.mean() - real_scores.mean()

        def generator_loss(self, fake_scores):
            return -fake_scores.mean()

    d, logits, target, condition = _case(2, 8, 0)
    assert ShapeLoss(torch.nn.BCEWithLogitsLoss(), d, objective=Legacy())(logits, target, condition).ndim == 0
    with pytest.raises(InvalidArgumentError, match=r"objective: expected an objective whose discriminator_loss takes reduction=.*got Legacy"):
        ShapeLoss(torch.nn.BCEWithLogitsLoss(reduction="none"), d, objective=Legacy(), reduction="none")


def test_base_only_none_is_per_sample_base():
    d, logits, target, condition = _case(3, 8, 0)
    out = ShapeLoss(torch.nn.BCEWithLogitsLoss(reduction="none"), d, weight=float("inf"), reduction="none")(logits, target, condition)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(dim=(1, 2))
    torch.testing.assert_close(out, expected)
