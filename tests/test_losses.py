"""ShapeLoss: exact values, limits, gradient isolation, shapes, functional agreement."""

import math

import numpy as np

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss import AdversarialShapeLoss, ShapeLoss, functional as Fn
from shapeloss.discriminators import GlobalCritic, PatchCritic
from shapeloss.errors import NonFiniteInputError, OutOfDomainError, ShapeMismatchError, InvalidArgumentError


def _setup(dims=1, channels=2, cond=3, size=(40,), batch=4, seed=0, weight=10.0, **kw):
    torch.manual_seed(seed)
    critic = GlobalCritic(channels, cond, dims=dims, width=8, depth=2, norm="none")
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=weight, **kw)
    logits = torch.randn(batch, channels, *size, requires_grad=True)
    target = torch.rand(batch, channels, *size)
    condition = torch.randn(batch, cond, *size)
    return loss, critic, logits, target, condition


def test_alias():
    assert AdversarialShapeLoss is ShapeLoss


def test_value_matches_formula():
    loss, critic, logits, target, condition = _setup(weight=7.0)
    total = loss(logits, target, condition)
    base = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    adv = torch.nn.functional.softplus(-critic(torch.sigmoid(logits), condition)).mean()
    assert torch.allclose(total, (adv + 7.0 * base) / 8.0, atol=1e-6)
    parts = loss.last.as_floats()
    assert parts["base"] == pytest.approx(float(base), abs=1e-6)
    assert parts["adversarial"] == pytest.approx(float(adv), abs=1e-6)
    assert parts["total"] == pytest.approx(float(total), abs=1e-6)


def _base_only_routes():
    """Every way to ask for the base loss alone: an infinite weight (module, functional, mix), the critic off."""
    inf = float("inf")

    def module(**kw):
        def run(logits, target, condition):
            loss = _setup(**kw)[0]
            return loss(logits, target, condition), loss.last.adversarial
        return run

    def functional(logits, target, condition):
        _, critic, *_ = _setup()
        total, parts = Fn.shape_loss(logits, target, condition, base_loss=torch.nn.BCEWithLogitsLoss(), discriminator=critic,
                                     weight=inf, generator_loss=Fn.vanilla_generator_loss, activation=torch.sigmoid)
        return total, parts.get("adversarial")

    def mix(logits, target, condition):
        base = torch.nn.BCEWithLogitsLoss()(logits, target)
        return Fn.combine_losses(base, torch.tensor(123.0), inf), None

    return {"weight-inf": module(weight=inf), "weight-inf-numpy": module(weight=np.float64(inf)),
            "adversarial-false": module(adversarial=False), "functional-weight-inf": functional, "combine-weight-inf": mix}


@pytest.mark.parametrize("route", list(_base_only_routes()))
def test_base_only_routes_give_the_base_loss_exactly(route):
    """An infinite weight (or the critic off) is the base loss itself, to the bit, with no adversarial term."""
    _, _, logits, target, condition = _setup()
    total, adversarial = _base_only_routes()[route](logits, target, condition)
    assert torch.equal(total, torch.nn.BCEWithLogitsLoss()(logits, target))
    assert adversarial is None


def test_reference_weight_is_the_default():
    from shapeloss import REFERENCE_WEIGHT

    assert REFERENCE_WEIGHT == 4000.0 and ShapeLoss(torch.nn.BCEWithLogitsLoss(), GlobalCritic(1, 1)).weight == REFERENCE_WEIGHT


@settings(max_examples=20, deadline=None)
@given(weight=st.floats(1e6, 1e12))
def test_large_weight_approaches_base(weight):
    loss, _, logits, target, condition = _setup(weight=weight)
    base = float(torch.nn.BCEWithLogitsLoss()(logits, target))
    # |total - base| = |adv - base| / (1 + weight)
    assert abs(float(loss(logits, target, condition)) - base) <= 10.0 / (1 + weight) + 1e-6


def test_weight_zero_is_adversarial_only():
    loss, _, logits, target, condition = _setup(weight=0.0)
    total = loss(logits, target, condition)
    assert float(total) == pytest.approx(loss.last.as_floats()["adversarial"], abs=1e-6)


def test_generator_loss_puts_no_gradient_into_discriminator():
    loss, critic, logits, target, condition = _setup()
    loss(logits, target, condition).backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    assert all(p.grad is None for p in critic.parameters())
    assert all(p.requires_grad for p in critic.parameters())  # flags restored


def test_discriminator_loss_puts_no_gradient_into_generator():
    loss, critic, logits, target, condition = _setup()
    net = torch.nn.Conv1d(3, 2, 3, padding=1)
    out = net(condition)
    loss.discriminator_loss(out, target, condition).backward()
    assert all(p.grad is None for p in net.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in critic.parameters())


def test_discriminator_parts_survive_generator_call():
    loss, _, logits, target, condition = _setup()
    loss.discriminator_loss(logits, target, condition)
    loss(logits, target, condition)
    parts = loss.last.as_floats()
    assert {"discriminator", "real_score", "fake_score", "base", "adversarial", "total"} <= set(parts)


def test_functional_and_module_agree():
    loss, critic, logits, target, condition = _setup(weight=3.0)
    module_value = loss(logits, target, condition)
    total, _ = Fn.shape_loss(
        logits, target, condition, base_loss=torch.nn.BCEWithLogitsLoss(), discriminator=critic,
        weight=3.0, generator_loss=Fn.vanilla_generator_loss, activation=torch.sigmoid,
    )
    assert torch.equal(module_value, total)
    d_module = loss.discriminator_loss(logits, target, condition)
    d_fn, _ = Fn.shape_discriminator_loss(
        torch.sigmoid(logits), target, condition, discriminator=critic,
        discriminator_loss=Fn.vanilla_discriminator_loss,
    )
    assert torch.equal(d_module, d_fn)


@settings(max_examples=15, deadline=None)
@given(
    dims=st.sampled_from([1, 2]),
    batch=st.integers(1, 3),
    size=st.integers(3, 19),
    objective=st.sampled_from(["vanilla", "least_squares", "hinge", "wasserstein"]),
    activation=st.sampled_from(["sigmoid", "softmax"]),
)
def test_shapes_and_objectives(dims, batch, size, objective, activation):
    spatial = (size,) if dims == 1 else (size, size + 2)
    torch.manual_seed(0)
    critic = PatchCritic(2, 1, dims=dims, width=4, depth=2, norm="none")
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, objective=objective, activation=activation)
    logits = torch.randn(batch, 2, *spatial, requires_grad=True)
    target = torch.rand(batch, 2, *spatial)
    cond = torch.randn(batch, 1, *spatial)
    g = loss(logits, target, cond)
    d = loss.discriminator_loss(logits, target, cond)
    assert g.ndim == 0 and d.ndim == 0 and math.isfinite(float(g)) and math.isfinite(float(d))
    g.backward()
    assert logits.grad.shape == logits.shape


def test_softmax_activation_sums_to_one():
    loss, _, logits, _, _ = _setup(activation="softmax")
    assert torch.allclose(loss.activation(logits).sum(1), torch.ones(4, 40))


def test_callable_activation():
    loss, _, logits, target, condition = _setup(activation=lambda z: torch.sigmoid(2 * z))
    assert math.isfinite(float(loss(logits, target, condition)))


def test_two_d_with_height_one_equals_one_d():
    torch.manual_seed(0)
    c1 = GlobalCritic(1, 1, dims=1, width=4, depth=2, kernel_size=3, norm="none")
    c2 = GlobalCritic(1, 1, dims=2, width=4, depth=2, kernel_size=3, norm="none")
    # copy 1D kernels into the middle row of the 2D kernels: a height-1 image then sees the same
    with torch.no_grad():
        for a, b in zip(c1.modules(), c2.modules()):
            if isinstance(a, torch.nn.Conv1d):
                b.weight.zero_()
                b.weight[:, :, b.weight.shape[2] // 2, :] = a.weight
                b.bias.copy_(a.bias)
            elif isinstance(a, torch.nn.Linear):
                b.weight.copy_(a.weight)
                b.bias.copy_(a.bias)
    l1 = ShapeLoss(torch.nn.BCEWithLogitsLoss(), c1, weight=2.0)
    l2 = ShapeLoss(torch.nn.BCEWithLogitsLoss(), c2, weight=2.0)
    logits, target, cond = torch.randn(3, 1, 33), torch.rand(3, 1, 33), torch.randn(3, 1, 33)
    v1 = l1(logits, target, cond)
    v2 = l2(logits[:, :, None], target[:, :, None], cond[:, :, None])
    assert torch.allclose(v1, v2, atol=1e-6)


@pytest.mark.parametrize(
    "mutate, error, words",
    [
        (lambda l, t, c: (l[0], t[0], c[0]), ShapeMismatchError, ["logits", "(B, C, L)"]),
        (lambda l, t, c: (l, t[:, :1], c), ShapeMismatchError, ["target", "logits"]),
        (lambda l, t, c: (l, t, c[:, :, :10]), ShapeMismatchError, ["condition", "logits"]),
        (lambda l, t, c: (l, t, c[:2]), ShapeMismatchError, ["condition", "batch"]),
        (lambda l, t, c: (l * float("nan"), t, c), NonFiniteInputError, ["logits", "NaN"]),
        (lambda l, t, c: (l, t * float("inf"), c), NonFiniteInputError, ["target"]),
        (lambda l, t, c: (l, t + 1.5, c), OutOfDomainError, ["target", "[0.0, 1.0]"]),
        (lambda l, t, c: (l, t.double(), c), TypeError, ["target", "dtype"]),
    ],
)
def test_bad_inputs_are_named(mutate, error, words):
    loss, _, logits, target, condition = _setup()
    args = mutate(logits.detach(), target, condition)
    with pytest.raises(error) as info:
        loss(*args)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"weight": -1.0}, InvalidArgumentError, "weight"),
        ({"weight": float("nan")}, InvalidArgumentError, "weight"),
        ({"objective": "wgan"}, InvalidArgumentError, "objective"),
        ({"activation": "relu"}, InvalidArgumentError, "activation"),
        ({"r1_weight": -0.1}, InvalidArgumentError, "r1_weight"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, word):
    with pytest.raises(error, match=word):
        ShapeLoss(torch.nn.BCEWithLogitsLoss(), GlobalCritic(1, 1), **kwargs)


def test_discriminator_required_when_adversarial():
    with pytest.raises(TypeError, match="discriminator"):
        ShapeLoss(torch.nn.BCEWithLogitsLoss(), None)
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), None, adversarial=False)
    x, t = torch.randn(2, 1, 8), torch.rand(2, 1, 8)
    assert torch.equal(loss(x, t), torch.nn.BCEWithLogitsLoss()(x, t))


def test_state_dict_holds_discriminator():
    loss, critic, *_ = _setup()
    keys = loss.state_dict().keys()
    assert any(k.startswith("discriminator.") for k in keys)


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 1e6), st.floats(0.0, 50.0), st.floats(0.0, 50.0))
def test_combine_losses_matches_the_formula_and_never_overflows(weight, base, adv):
    b, a = torch.tensor(base, dtype=torch.float64), torch.tensor(adv, dtype=torch.float64)
    mixed = float(Fn.combine_losses(b, a, weight))
    assert mixed == pytest.approx((adv + weight * base) / (1.0 + weight), rel=1e-12, abs=1e-12)
    # a convex mix: between the two terms, whatever the weight (float16 included)
    assert min(base, adv) - 1e-9 <= mixed <= max(base, adv) + 1e-9
    half = Fn.combine_losses(b.half(), a.half(), weight)
    assert torch.isfinite(half)


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 1e6), st.floats(0.0, 50.0, width=32), st.floats(0.0, 50.0, width=32))
def test_combine_losses_keeps_the_v01_bits_in_float32(weight, base, adv):
    """In float32 the mix is bit-for-bit version 0.1's ``(adv + weight * base) / (1 + weight)``:
    committed benchmark runs retrain to the same weights at the same seed."""
    b, a = torch.tensor(base, dtype=torch.float32), torch.tensor(adv, dtype=torch.float32)
    assert torch.equal(Fn.combine_losses(b, a, weight), (a + weight * b) / (1.0 + weight))


def test_terms_are_returned_as_values_and_last_stays_a_compatibility_path():
    loss, _, logits, target, condition = _setup(weight=7.0)
    g = loss.generator_terms(logits, target, condition)
    d = loss.discriminator_terms(logits, target, condition)
    assert loss.last.total is None and loss.last.discriminator is None  # the value-returning calls store nothing
    assert torch.equal(g.total, loss(logits, target, condition))
    assert torch.equal(d.total, loss.discriminator_loss(logits, target, condition))
    assert set(g.metrics()) == {"base", "adversarial", "total"} and not g.metrics()["total"].requires_grad
    assert set(d.metrics()) == {"discriminator", "real_score", "fake_score"}
    floats = loss.last.as_floats()  # what v0.1's users read, still filled by loss(...) and discriminator_loss(...)
    for key, value in g.metrics().items():
        assert floats[key] == float(value)
    assert floats["discriminator"] == float(d.total) and floats["real_score"] == float(d.real_score)
    assert floats["d_fake_score"] == float(d.fake_score) and floats["fake_score"] == float(g.fake_score)
