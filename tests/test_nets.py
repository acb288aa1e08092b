"""Generic U-Nets: shapes at any size, logits, gradients, checks at the door."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.nets import UNet1d, UNet2d

torch.set_num_threads(1)


@settings(max_examples=15, deadline=None)
@given(length=st.integers(1, 300), depth=st.integers(1, 4), batch=st.integers(1, 3))
def test_unet1d_keeps_any_length(length, depth, batch):
    net = UNet1d(2, 3, widths=tuple(4 * 2**i for i in range(depth)), kernel_size=3).eval()
    out = net(torch.randn(batch, 2, length))
    assert out.shape == (batch, 3, length)
    assert torch.isfinite(out).all()


@settings(max_examples=10, deadline=None)
@given(h=st.integers(1, 41), w=st.integers(1, 41))
def test_unet2d_keeps_odd_sizes(h, w):
    net = UNet2d(1, 2, widths=(4, 8, 16)).eval()
    out = net(torch.randn(2, 1, h, w))
    assert out.shape == (2, 2, h, w)


@pytest.mark.parametrize("norm", ["batch", "instance", "group", "none"])
def test_norms_and_gradients(norm):
    torch.manual_seed(0)
    net = UNet1d(1, 1, widths=(4, 8), norm=norm, dropout=0.1)
    kinds = {"batch": torch.nn.BatchNorm1d, "instance": torch.nn.InstanceNorm1d, "group": torch.nn.GroupNorm}
    found = {type(m) for m in net.modules()} & set(kinds.values())
    assert found == ({kinds[norm]} if norm in kinds else set()), f"norm={norm!r} built {found}"
    x = torch.randn(2, 1, 37, requires_grad=True)
    net(x).square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: no finite gradient"
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient"
    # the input gradient is the true derivative (float64, eval mode: dropout off, norms frozen)
    net = net.double().eval()
    x64 = torch.randn(1, 1, 12, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: net(t).square().sum(), (x64,), eps=1e-6, atol=1e-5)


def test_outputs_are_logits_not_probabilities():
    torch.manual_seed(0)
    net = UNet1d(1, 1, widths=(4, 8), norm="none")
    with torch.no_grad():
        net.head.bias.fill_(-5.0)
    out = net(torch.randn(1, 1, 50))
    assert (out < 0).any()


def test_padding_does_not_leak_across_samples():
    # Each sample's output depends only on that sample (eval mode, batch norm frozen).
    torch.manual_seed(0)
    net = UNet1d(1, 1, widths=(4, 8, 16)).eval()
    x = torch.randn(3, 1, 45)
    full = net(x)
    single = torch.cat([net(x[i : i + 1]) for i in range(3)])
    torch.testing.assert_close(full, single, rtol=1e-5, atol=1e-5)


def test_one_row_2d_matches_shapes():
    out = UNet2d(1, 1, widths=(4, 8)).eval()(torch.randn(1, 1, 1, 17))
    assert out.shape == (1, 1, 1, 17)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(widths=()), InvalidArgumentError),
        (dict(widths=(4, 0)), InvalidArgumentError),
        (dict(kernel_size=4), InvalidArgumentError),
        (dict(norm="layer"), InvalidArgumentError),
        (dict(dropout=1.0), InvalidArgumentError),
        (dict(padding_mode="circle"), InvalidArgumentError),
    ],
)
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        UNet1d(1, 1, **kwargs)


def test_bad_inputs():
    net = UNet1d(2, 1, widths=(4, 8))
    with pytest.raises(ShapeMismatchError, match="x: expected 2 channel"):
        net(torch.randn(1, 3, 20))
    with pytest.raises(ShapeMismatchError, match="x: expected a 3-D"):
        net(torch.randn(2, 20))
    with pytest.raises(ShapeMismatchError):
        UNet2d(1, 1)(torch.randn(1, 1, 20))
    with pytest.raises(TypeError):
        UNet1d(1.5, 1)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1e-4, 1 - 1e-4), min_size=1, max_size=4))
def test_prior_bias_makes_the_untrained_head_predict_the_prior(prior):
    from shapeloss import init_prior_bias

    head = torch.nn.Conv1d(5, len(prior), 1)
    with torch.no_grad():
        head.weight.zero_()
    init_prior_bias(head, prior)
    out = torch.sigmoid(head(torch.randn(2, 5, 7)))
    assert torch.allclose(out, torch.tensor(prior).view(1, -1, 1).expand_as(out), atol=1e-6)


def test_label_prior_is_the_mean_label_per_channel():
    from shapeloss import label_prior

    labels = torch.zeros(2, 3, 10)
    labels[:, 0, :5] = 1.0
    labels[:, 2] = 0.25
    assert torch.allclose(label_prior(labels), torch.tensor([0.5, 0.0, 0.25]))
    assert label_prior(torch.ones(1, 2, 3, 4)).shape == (2,)


@pytest.mark.parametrize("prior, error", [
    ([0.5], "ShapeMismatchError"),  # the head has two channels
    ([0.0, 0.5], "InvalidArgumentError"),
    ([0.5, 1.0], "InvalidArgumentError"),
    ([float("nan"), 0.5], "InvalidArgumentError"),
])
def test_prior_bias_rejects_bad_priors(prior, error):
    from shapeloss import errors, init_prior_bias

    with pytest.raises(getattr(errors, error), match="prior"):
        init_prior_bias(torch.nn.Conv1d(3, 2, 1), prior)


def test_prior_bias_needs_a_bias_and_labels_in_range():
    from shapeloss import init_prior_bias, label_prior
    from shapeloss.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="layer: expected a layer with a bias"):
        init_prior_bias(torch.nn.Conv1d(3, 2, 1, bias=False), [0.5, 0.5])
    with pytest.raises(InvalidArgumentError, match=r"labels: expected finite values in \[0, 1\]"):
        label_prior(torch.full((1, 1, 4), 2.0))


def _unet_parameters(cin: int, cout: int, widths: tuple[int, ...], k: int, dims: int, norm: str) -> int:
    """The U-Net's weight count from its layout: two convolutions per block (bias only without a
    norm; a norm with 2 affine parameters per channel), transposed convolutions of kernel 2, a 1x1 head."""
    kk = k**dims
    affine = 0 if norm in ("none", "instance") else 2  # InstanceNorm is built without affine weights

    def block(c_in: int, c_out: int) -> int:
        bias = c_out if norm == "none" else 0
        return (c_in * c_out * kk + bias + affine * c_out) + (c_out * c_out * kk + bias + affine * c_out)

    total, c = 0, cin
    for w in widths:
        total += block(c, w)
        c = w
    for w in reversed(widths[:-1]):
        total += c * w * 2**dims + w + block(2 * w, w)
        c = w
    return total + c * cout + cout


@pytest.mark.parametrize("norm", ["batch", "group", "none"])
@pytest.mark.parametrize("cls, dims", [(UNet1d, 1), (UNet2d, 2)])
def test_parameter_counts_follow_the_layout(cls, dims, norm):
    net = cls(2, 3, widths=(4, 8, 16), kernel_size=3, norm=norm)
    assert sum(p.numel() for p in net.parameters()) == _unet_parameters(2, 3, (4, 8, 16), 3, dims, norm)


def test_unet2d_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = UNet2d(1, 2, widths=(4, 8), norm="group")
    x = torch.randn(2, 1, 9, 13, requires_grad=True)
    net(x).square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: no finite gradient"
        assert p.grad.abs().sum() > 0, f"{name}: zero gradient"


def test_one_row_2d_output_depends_on_its_input():
    torch.manual_seed(0)
    net = UNet2d(1, 1, widths=(4, 8)).eval()
    x = torch.randn(1, 1, 1, 17)
    out = net(x)
    assert torch.isfinite(out).all()
    assert not torch.allclose(net(x.flip(-1)), out)
    x2 = x.clone()
    x2[..., 16] += 1.0  # the last sample (right edge, padded) still reaches the output
    assert not torch.allclose(net(x2)[..., 16], out[..., 16])
