"""Baseline losses: exact values, behaviour, gradients, agreement of functions and modules."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.edges import losses as L
from shapeloss.edges.synthetic import gaussian_peaks
from shapeloss.errors import InvalidArgumentError, OutOfDomainError, ShapeMismatchError

torch.set_num_threads(1)


def peaks(positions, length=64, width=3.0):
    import numpy as np

    return torch.from_numpy(gaussian_peaks(np.array(positions), length, width)).float()[:, None, :]


def test_weighted_bce_with_weight_one_is_bce():
    x, y = torch.randn(3, 2, 20), torch.rand(3, 2, 20)
    torch.testing.assert_close(L.weighted_bce(x, y, pos_weight=1.0), F.binary_cross_entropy_with_logits(x, y))


def test_weighted_bce_exact_value():
    x = torch.zeros(1, 1, 2)
    y = torch.tensor([[[1.0, 0.0]]])
    # log 2 for each element, the positive one weighted 3: (3 + 1) / 2 * log 2.
    torch.testing.assert_close(L.weighted_bce(x, y, pos_weight=3.0), torch.tensor(2 * 0.6931472))


def test_cdf_l1_is_zero_extra_on_a_perfect_shape_and_grows_with_offset():
    y = peaks([30])
    logits_at = torch.logit(peaks([30]).clamp(1e-4, 1 - 1e-4))
    near = torch.logit(peaks([33]).clamp(1e-4, 1 - 1e-4))
    far = torch.logit(peaks([45]).clamp(1e-4, 1 - 1e-4))
    w = lambda z: L.cdf_l1_loss(z, y, weight=1.0) - L.cdf_l1_loss(z, y, weight=0.0)  # noqa: E731
    assert w(logits_at) < 1e-3
    assert w(logits_at) < w(near) < w(far)


def test_cdf_l1_ignores_empty_labels():
    x, y = torch.randn(2, 1, 30), torch.zeros(2, 1, 30)
    torch.testing.assert_close(L.cdf_l1_loss(x, y, weight=5.0), L.cdf_l1_loss(x, y, weight=0.0))


def test_soft_argmax_pulls_the_position():
    y = peaks([20])
    x = torch.full((1, 1, 64), -5.0)
    x[0, 0, 40] = 10.0  # a sharp peak 20 samples late
    extra = L.soft_argmax_loss(x, y, weight=1.0) - L.soft_argmax_loss(x, y, weight=0.0)
    assert abs(extra.item() - 20 / 64) < 0.01
    x.requires_grad_(True)
    L.soft_argmax_loss(x, y, weight=1.0, temperature=1.0).backward()
    # Raising the logit before the label lowers the loss more than one after it.
    assert x.grad[0, 0, 10] < x.grad[0, 0, 50]


def test_distance_to_labels_1d_and_2d():
    y = torch.zeros(1, 1, 10)
    y[0, 0, 3] = 1.0
    torch.testing.assert_close(L.distance_to_labels(y)[0, 0], (torch.arange(10.0) - 3).abs())
    img = torch.zeros(1, 2, 5, 7)
    img[0, 0, 2, 3] = 1.0
    d = L.distance_to_labels(img)
    assert d[0, 0, 2, 3] == 0 and torch.isclose(d[0, 0, 0, 0], torch.tensor(13.0).sqrt())
    assert (d[0, 1] == 0).all()  # no label: no distance


def test_boundary_loss_penalises_far_mass():
    y = peaks([20])
    near = torch.logit(peaks([22]).clamp(1e-4, 1 - 1e-4))
    far = torch.logit(peaks([50]).clamp(1e-4, 1 - 1e-4))
    extra = lambda z: L.boundary_distance_loss(z, y, 1.0) - L.boundary_distance_loss(z, y, 0.0)  # noqa: E731
    assert extra(near) < extra(far)
    d = L.distance_to_labels(y)
    torch.testing.assert_close(L.boundary_distance_loss(far, y, 1.0, distance=d), L.boundary_distance_loss(far, y, 1.0))


@pytest.mark.parametrize("shape", [(2, 1, 9, 11), (3, 2, 7, 5)])
def test_losses_on_odd_2d_sizes(shape):
    x, y = torch.randn(shape, requires_grad=True), torch.rand(shape)
    for loss in (L.weighted_bce(x, y), L.boundary_distance_loss(x, y), L.masked_bce(x, y, torch.ones(shape))):
        assert loss.ndim == 0 and torch.isfinite(loss)
    L.boundary_distance_loss(x, y).backward()
    assert torch.isfinite(x.grad).all()


def test_masked_bce_ignores_masked_elements():
    x, y = torch.randn(2, 3, 40), torch.rand(2, 3, 40)
    mask = torch.zeros(2, 1, 40, dtype=torch.bool)
    mask[:, :, 10:30] = True
    x2 = x.clone()
    x2[:, :, :10] = 50.0  # garbage where unannotated
    torch.testing.assert_close(L.masked_bce(x, y, mask), L.masked_bce(x2, y, mask))
    torch.testing.assert_close(
        L.masked_bce(x, y, mask), F.binary_cross_entropy_with_logits(x[..., 10:30], y[..., 10:30])
    )
    with pytest.raises(ShapeMismatchError):
        L.masked_bce(x, y, torch.ones(2, 1, 39))


CASES = [
    (lambda x, y, r: L.weighted_bce(x, y, 5.0, reduction=r), L.WeightedBCELoss(5.0)),
    (lambda x, y, r: L.cdf_l1_loss(x, y, 2.0, reduction=r), L.CDFL1Loss(2.0)),
    (lambda x, y, r: L.soft_argmax_loss(x, y, 2.0, 0.5, reduction=r), L.SoftArgmaxLoss(2.0, 0.5)),
    (lambda x, y, r: L.boundary_distance_loss(x, y, 2.0, reduction=r), L.BoundaryDistanceLoss(2.0)),
]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), b=st.integers(1, 4), length=st.integers(8, 40))
def test_mean_is_mean_of_none_modules_agree_and_batch_order(seed, b, length):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, 2, length, generator=g) * 3
    y = torch.rand(b, 2, length, generator=g)
    perm = torch.randperm(b, generator=g)
    for fn, module in CASES:
        none = fn(x, y, "none")
        assert none.shape == (b,)
        torch.testing.assert_close(fn(x, y, "mean"), none.mean())
        torch.testing.assert_close(fn(x, y, "sum"), none.sum())
        torch.testing.assert_close(module(x, y), none.mean())
        torch.testing.assert_close(fn(x[perm], y[perm], "none"), none[perm])


@pytest.mark.parametrize("fn", [c[0] for c in CASES])
def test_gradcheck_float64(fn):
    x = torch.randn(2, 1, 12, dtype=torch.float64, requires_grad=True)
    y = torch.rand(2, 1, 12, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda z: fn(z, y, "mean"), (x,))


@pytest.mark.parametrize("fn", [c[0] for c in CASES])
def test_extreme_logits_are_stable(fn):
    x = torch.tensor([[[-1e4, 1e4, 0.0, 80.0, -80.0, 3.0]]])
    y = torch.tensor([[[0.0, 1.0, 0.5, 1.0, 0.0, 1.0]]])
    assert torch.isfinite(fn(x, y, "mean"))


def test_bad_inputs():
    x = torch.randn(2, 1, 10)
    with pytest.raises(OutOfDomainError):
        L.weighted_bce(x, torch.full_like(x, 2.0))
    with pytest.raises(ShapeMismatchError):
        L.weighted_bce(x, torch.rand(2, 1, 11))
    with pytest.raises(ShapeMismatchError):
        L.cdf_l1_loss(torch.randn(1, 1, 4, 4), torch.rand(1, 1, 4, 4))
    with pytest.raises(InvalidArgumentError):
        L.weighted_bce(x, torch.rand_like(x), pos_weight=0.0)
    with pytest.raises(InvalidArgumentError):
        L.soft_argmax_loss(x, torch.rand_like(x), temperature=0.0)
    with pytest.raises(InvalidArgumentError):
        L.cdf_l1_loss(x, torch.rand_like(x), reduction="avg")


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), length=st.integers(2, 30))
def test_1d_equals_2d_with_height_one(seed, length):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 2, length, generator=g) * 2
    y = (torch.rand(2, 2, length, generator=g) > 0.7).float()
    m = torch.rand(2, 1, length, generator=g) > 0.3
    pairs = [
        (L.weighted_bce(x, y, 4.0, reduction="none"), L.weighted_bce(x[:, :, None], y[:, :, None], 4.0, reduction="none")),
        (L.boundary_distance_loss(x, y, 2.0, reduction="none"),
         L.boundary_distance_loss(x[:, :, None], y[:, :, None], 2.0, reduction="none")),
        (L.masked_bce(x, y, m, reduction="none"), L.masked_bce(x[:, :, None], y[:, :, None], m[:, :, None], reduction="none")),
    ]
    for one, two in pairs:
        torch.testing.assert_close(one, two)
