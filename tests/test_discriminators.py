"""Discriminators accept every length they claim to, and refuse others by name."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.discriminators import PRESETS, GlobalCritic, PatchCritic, ReferenceCritic1d, build_discriminator
from shapeloss.errors import InvalidArgumentError, ShapeMismatchError


def assert_sees_both_inputs(d: torch.nn.Module, label: torch.Tensor, cond: torch.Tensor) -> None:
    """A conditional critic's score changes when either the label curve or the input changes."""
    d.eval()
    with torch.no_grad():
        out = d(label, cond)
        assert not torch.allclose(d(1.0 - label, cond), out), "the score ignores the label curve"
        assert not torch.allclose(d(label, -3.0 * cond + 1.0), out), "the score ignores the condition"
    d.train()


def assert_every_parameter_learns(d: torch.nn.Module, label: torch.Tensor, cond: torch.Tensor) -> None:
    """One backward pass reaches every parameter with a finite, non-zero gradient."""
    d.zero_grad()
    d(label, cond).square().sum().backward()
    for name, p in d.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: no finite gradient"
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient"


def test_reference_critic_layout():
    d = ReferenceCritic1d(3, 3, 3001)
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [(64, 11, 2), (64, 11, 2), (128, 5, 2)]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in d.modules()) == 3
    assert d.score.in_features == 128 * 376
    assert d(torch.rand(2, 3, 3001), torch.randn(2, 3, 3001)).shape == (2, 1)


def test_reference_critic_refuses_other_lengths():
    d = ReferenceCritic1d(1, 1, 100)
    with pytest.raises(ShapeMismatchError, match="length 100"):
        d(torch.rand(2, 1, 99), torch.rand(2, 1, 99))


@settings(max_examples=20, deadline=None)
@given(length=st.integers(2, 400), batch=st.integers(2, 3), cls=st.sampled_from([GlobalCritic, PatchCritic]))
def test_1d_critics_any_length(length, batch, cls):
    d = cls(2, 3, dims=1, width=4, depth=3)
    out = d(torch.rand(batch, 2, length), torch.randn(batch, 3, length))
    assert out.shape[:2] == (batch, 1) and torch.isfinite(out).all()


@settings(max_examples=10, deadline=None)
@given(h=st.integers(2, 40), w=st.integers(2, 40), cls=st.sampled_from([GlobalCritic, PatchCritic]))
def test_2d_critics_any_size(h, w, cls):
    torch.manual_seed(0)
    d = cls(1, 3, dims=2, width=4, depth=3)
    label, cond = torch.rand(2, 1, h, w), torch.randn(2, 3, h, w)
    out = d(label, cond)
    assert out.shape[:2] == (2, 1) and torch.isfinite(out).all()
    assert_sees_both_inputs(d, label, cond)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("length", [257, 3001])
def test_presets(name, length):
    torch.manual_seed(0)
    d = build_discriminator(name, 3, 3, length=length)
    label, cond = torch.rand(2, 3, length), torch.randn(2, 3, length)
    out = d(label, cond)
    assert out.shape[:2] == (2, 1) and torch.isfinite(out).all()
    assert_sees_both_inputs(d, label, cond)
    assert_every_parameter_learns(d, label, cond)


@pytest.mark.parametrize("norm", ["batch", "instance", "group", "none"])
@pytest.mark.parametrize("spectral", [False, True])
def test_options(norm, spectral):
    torch.manual_seed(0)
    d = GlobalCritic(1, 1, width=4, depth=2, norm=norm, spectral_norm=spectral)
    label, cond = torch.rand(2, 1, 50), torch.rand(2, 1, 50)
    assert d(label, cond).shape == (2, 1)
    norms = {"batch": torch.nn.BatchNorm1d, "instance": torch.nn.InstanceNorm1d, "group": torch.nn.GroupNorm}
    found = {type(m) for m in d.modules()} & {torch.nn.BatchNorm1d, torch.nn.InstanceNorm1d, torch.nn.GroupNorm}
    assert found == ({norms[norm]} if norm in norms else set()), f"norm={norm!r} built {found}"
    parametrized = [m for m in d.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear))]
    assert parametrized and all(torch.nn.utils.parametrize.is_parametrized(m) == spectral for m in parametrized)
    if spectral:  # every layer's largest singular value is held near 1 (a few power iterations in)
        d.train()
        for _ in range(20):
            d(label, cond)
        for m in parametrized:
            weight = m.weight.detach().flatten(1)
            assert torch.linalg.matrix_norm(weight, ord=2) < 1.1
    assert_sees_both_inputs(d, label, cond)
    assert_every_parameter_learns(d, label, cond)


def test_bad_arguments_named():
    with pytest.raises(InvalidArgumentError, match="name"):
        build_discriminator("huge", 1, 1)
    with pytest.raises(InvalidArgumentError, match="norm"):
        GlobalCritic(1, 1, norm="layer")
    with pytest.raises(InvalidArgumentError, match="dims"):
        GlobalCritic(1, 1, dims=3)
    with pytest.raises(InvalidArgumentError, match="length"):
        build_discriminator("reference", 1, 1)
    d = GlobalCritic(2, 1)
    with pytest.raises(ShapeMismatchError, match="label: expected 2 channel"):
        d(torch.rand(2, 3, 20), torch.rand(2, 1, 20))
    with pytest.raises(ShapeMismatchError, match="condition"):
        d(torch.rand(2, 2, 20), torch.rand(2, 1, 21))


@pytest.mark.parametrize("dims, size", [(1, (3001,)), (1, (7,)), (2, (33, 17))])
def test_downsample_option(dims, size):
    d = GlobalCritic(1, 2, dims=dims, width=4, depth=2, downsample=4)
    p = PatchCritic(1, 2, dims=dims, width=4, depth=2, downsample=4)
    label, cond = torch.rand(2, 1, *size), torch.randn(2, 2, *size)
    assert d(label, cond).shape == (2, 1)
    assert p(label, cond).shape[:2] == (2, 1)


def test_light_preset_is_small():
    light = build_discriminator("light", 3, 3)
    reference = build_discriminator("reference", 3, 3, length=3001)
    count = lambda m: sum(q.numel() for q in m.parameters())  # noqa: E731
    assert count(light) < count(reference) / 5


# Parameter counts of the presets for 3 label and 3 condition channels at length 3001. The
# reference is recomputed from the study's layout below; the others pin today's presets.
PRESET_PARAMETERS = {"compact": 9633, "global": 304033, "light": 13649, "patch": 74529, "reference": 139137}


def test_preset_parameter_counts():
    count = lambda m: sum(q.numel() for q in m.parameters())  # noqa: E731
    got = {name: count(build_discriminator(name, 3, 3, length=3001)) for name in PRESETS}
    assert got == PRESET_PARAMETERS
    # the study's critic, by hand: three convolutions with BatchNorm, one linear score over 376 positions
    convs = (6 * 11 + 1) * 64 + (64 * 11 + 1) * 64 + (64 * 5 + 1) * 128
    assert PRESET_PARAMETERS["reference"] == convs + 2 * (64 + 64 + 128) + 128 * 376 + 1


@pytest.mark.parametrize("depth, kernel, stride", [(2, 7, 2), (3, 5, 2), (1, 9, 3)])
def test_patch_critic_receptive_field(depth, kernel, stride):
    """One patch score depends on exactly its receptive field: 1 + (k - 1) * (1 + s + ... + s^(depth - 1)) + (k - 1) * s^depth."""
    torch.manual_seed(0)
    d = PatchCritic(1, 1, width=4, depth=depth, kernel_size=kernel, stride=stride, norm="none").double().eval()
    length = 600
    label = torch.rand(1, 1, length, dtype=torch.float64, requires_grad=True)
    cond = torch.randn(1, 1, length, dtype=torch.float64)
    out = d(label, cond)
    centre = out.shape[-1] // 2
    out[0, 0, centre].backward()
    support = torch.nonzero(label.grad[0, 0]).flatten()
    expected = 1 + (kernel - 1) * sum(stride**i for i in range(depth)) + (kernel - 1) * stride**depth
    assert support.numel() == expected and int(support[-1] - support[0]) + 1 == expected


def test_global_critic_sees_the_whole_input():
    torch.manual_seed(0)
    d = GlobalCritic(1, 1, width=4, depth=2, norm="none").double().eval()
    label = torch.rand(1, 1, 300, dtype=torch.float64, requires_grad=True)
    d(label, torch.randn(1, 1, 300, dtype=torch.float64)).sum().backward()
    assert bool((label.grad != 0).all())


@pytest.mark.parametrize("cls", [GlobalCritic, PatchCritic])
def test_downsample_is_average_pooling_first(cls):
    """downsample=k scores exactly what the same critic scores on inputs average-pooled by k."""
    torch.manual_seed(0)
    pooled = cls(1, 2, width=4, depth=2, downsample=4, norm="none").eval()
    plain = cls(1, 2, width=4, depth=2, norm="none").eval()
    plain.load_state_dict(pooled.state_dict())
    label, cond = torch.rand(2, 1, 403), torch.randn(2, 2, 403)
    pool = lambda x: torch.nn.functional.avg_pool1d(x, 4, 4, ceil_mode=True)  # noqa: E731
    torch.testing.assert_close(pooled(label, cond), plain(pool(label), pool(cond)))
    assert not torch.allclose(pooled(label, cond), plain(label, cond)[..., : pooled(label, cond).shape[-1]])


def test_reference_critic_checks_its_inputs_once():
    with pytest.raises(InvalidArgumentError, match="label_channels"):
        ReferenceCritic1d(0, 1, 100)
    with pytest.raises(InvalidArgumentError, match="downsample"):
        ReferenceCritic1d(1, 1, 100, downsample=0)
    d = ReferenceCritic1d(2, 3, 100, downsample=2)
    assert (d.label_channels, d.condition_channels, d.downsample, d.length) == (2, 3, 2, 100)
