"""Discriminators accept every length they claim to, and refuse others by name."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.discriminators import PRESETS, GlobalCritic, PatchCritic, ReferenceCritic1d, build_discriminator
from shapeloss.errors import InvalidArgumentError, ShapeMismatchError


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
    d = cls(1, 3, dims=2, width=4, depth=3)
    out = d(torch.rand(2, 1, h, w), torch.randn(2, 3, h, w))
    assert out.shape[:2] == (2, 1)


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("length", [257, 3001])
def test_presets(name, length):
    d = build_discriminator(name, 3, 3, length=length)
    assert d(torch.rand(2, 3, length), torch.randn(2, 3, length)).shape[:2] == (2, 1)


@pytest.mark.parametrize("norm", ["batch", "instance", "group", "none"])
@pytest.mark.parametrize("spectral", [False, True])
def test_options(norm, spectral):
    d = GlobalCritic(1, 1, width=4, depth=2, norm=norm, spectral_norm=spectral)
    assert d(torch.rand(2, 1, 50), torch.rand(2, 1, 50)).shape == (2, 1)


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
