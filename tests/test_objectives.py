"""Objectives: exact values on tiny tensors, behavioural ordering, penalties, gradcheck."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss import functional as Fn
from shapeloss.discriminators import GlobalCritic
from shapeloss.objectives import OBJECTIVES, Hinge, get_objective

R = torch.tensor([2.0, 0.0])
F_ = torch.tensor([-1.0, 1.0])


def sp(x):
    return math.log1p(math.exp(x))


def test_exact_values():
    assert float(Fn.vanilla_discriminator_loss(R, F_)) == pytest.approx(0.5 * ((sp(-2) + sp(0)) / 2 + (sp(-1) + sp(1)) / 2))
    assert float(Fn.vanilla_generator_loss(F_)) == pytest.approx((sp(1) + sp(-1)) / 2)
    assert float(Fn.least_squares_discriminator_loss(R, F_)) == pytest.approx(0.5 * ((1 + 1) / 2 + (1 + 1) / 2))
    assert float(Fn.least_squares_generator_loss(F_)) == pytest.approx((4 + 0) / 2)
    assert float(Fn.hinge_discriminator_loss(R, F_)) == pytest.approx((0 + 1) / 2 + (0 + 2) / 2)
    assert float(Fn.hinge_generator_loss(F_)) == pytest.approx(0.0)
    assert float(Fn.wasserstein_discriminator_loss(R, F_)) == pytest.approx(0.0 - 1.0)
    assert float(Fn.wasserstein_generator_loss(F_)) == pytest.approx(0.0)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
@settings(max_examples=25, deadline=None)
@given(gap=st.floats(0.5, 3.0), centre=st.floats(-0.5, 0.5))
def test_discriminator_loss_lower_when_real_scored_above_fake(name, gap, centre):
    obj = get_objective(name)
    good = obj.discriminator_loss(torch.full((4,), centre + gap), torch.full((4,), centre - gap))
    bad = obj.discriminator_loss(torch.full((4,), centre - gap), torch.full((4,), centre + gap))
    assert float(good) < float(bad)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_generator_loss_falls_as_fake_looks_real(name):
    obj = get_objective(name)
    assert float(obj.generator_loss(torch.full((3,), 0.9))) < float(obj.generator_loss(torch.full((3,), -0.9)))


def test_objective_instance_passes_through():
    h = Hinge()
    assert get_objective(h) is h


@pytest.mark.parametrize("fn", [Fn.vanilla_discriminator_loss, Fn.least_squares_discriminator_loss, Fn.hinge_discriminator_loss])
def test_gradcheck_float64(fn):
    r = torch.randn(5, dtype=torch.float64, requires_grad=True)
    f = torch.randn(5, dtype=torch.float64, requires_grad=True) + 0.3  # keep hinge away from its kinks
    assert torch.autograd.gradcheck(fn, (r, f))


def test_stable_at_extreme_logits():
    big = torch.tensor([1e4, -1e4])
    assert torch.isfinite(Fn.vanilla_discriminator_loss(big, -big))
    assert torch.isfinite(Fn.vanilla_generator_loss(big))


def test_gradient_penalty_zero_for_unit_slope_critic():
    class Linear(torch.nn.Module):
        def forward(self, label, condition):
            # gradient wrt label has norm exactly 1 per sample
            return (label * (1.0 / math.sqrt(label[0].numel()))).flatten(1).sum(1)

    real, fake = torch.rand(3, 1, 16), torch.rand(3, 1, 16)
    assert float(Fn.gradient_penalty(Linear(), real, fake, torch.zeros(3, 1, 16))) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("slope", [0.0, 0.5, 3.0])
def test_gradient_penalty_known_value(slope):
    """A critic linear in the label with gradient norm ``slope`` everywhere gives (slope - 1)^2,
    whatever the mixing draws; a quadratic critic's penalty follows the mixed point."""

    class Linear(torch.nn.Module):
        def forward(self, label, condition):
            return (label * (slope / math.sqrt(label[0].numel()))).flatten(1).sum(1)

    real, fake = torch.rand(4, 2, 9), torch.rand(4, 2, 9)
    value = Fn.gradient_penalty(Linear(), real, fake, torch.zeros(4, 2, 9))
    assert float(value) == pytest.approx((slope - 1.0) ** 2, abs=1e-5)

    class Quadratic(torch.nn.Module):
        def forward(self, label, condition):
            return 0.5 * label.square().flatten(1).sum(1)  # gradient = the label itself

    gen = torch.Generator().manual_seed(3)
    alpha = torch.rand((4, 1, 1), generator=torch.Generator().manual_seed(3))
    mixed = alpha * real + (1 - alpha) * fake
    expected = (mixed.flatten(1).norm(dim=1) - 1.0).pow(2).mean()
    got = Fn.gradient_penalty(Quadratic(), real, fake, torch.zeros(4, 2, 9), generator=gen)
    assert got.item() == pytest.approx(float(expected), rel=1e-5)


def test_r1_penalty_known_value():
    class Scale(torch.nn.Module):
        def forward(self, label, condition):
            return 2.0 * label.flatten(1).sum(1)

    real = torch.rand(2, 1, 5)
    # grad = 2 everywhere, |grad|^2 = 4 * 5 per sample, halved
    assert float(Fn.r1_penalty(Scale(), real, torch.zeros(2, 1, 5))) == pytest.approx(10.0)


def test_penalties_have_gradients_for_critic():
    critic = GlobalCritic(1, 1, width=4, depth=2, norm="none")
    real, fake, cond = torch.rand(2, 1, 20), torch.rand(2, 1, 20), torch.randn(2, 1, 20)
    (Fn.gradient_penalty(critic, real, fake, cond) + Fn.r1_penalty(critic, real, cond)).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.parameters())
    # the R1 gradient for the critic is the true derivative of the penalty (float64 gradcheck)
    critic = critic.double()
    params = tuple(critic.parameters())

    def r1(*weights):
        state = dict(zip([n for n, _ in critic.named_parameters()], weights))
        return Fn.r1_penalty(lambda lab, c: torch.func.functional_call(critic, state, (lab, c)), real.double(), cond.double())

    assert torch.autograd.gradcheck(r1, tuple(p.detach().clone().requires_grad_(True) for p in params), eps=1e-6, atol=1e-4)
