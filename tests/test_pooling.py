"""The critics' fast input pooling equals PyTorch's ``ceil_mode`` average pooling, values and gradients bit for bit."""

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss._pooling import avg_pool_by

DTYPES = [torch.float32, torch.float64, torch.bfloat16, torch.float16]


def _reference(x: torch.Tensor, k: int) -> torch.Tensor:
    pool = F.avg_pool1d if x.ndim == 3 else F.avg_pool2d
    return pool(x, k, k, ceil_mode=True)


def _same(a: torch.Tensor, b: torch.Tensor) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


@settings(max_examples=60, deadline=None)
@given(
    dims=st.sampled_from([1, 2]),
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    sizes=st.tuples(st.integers(1, 23), st.integers(1, 23)),
    k=st.integers(1, 6),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
    specials=st.booleans(),
)
def test_values_and_gradients_equal_pytorch(dims, batch, channels, sizes, k, dtype, seed, specials):
    g = torch.Generator().manual_seed(seed)
    shape = (batch, channels, *sizes[:dims])
    x = (torch.randn(shape, generator=g, dtype=torch.float64) * 10 ** torch.randint(-3, 4, shape, generator=g)).to(dtype)
    if specials:  # NaN and infinities propagate the same way
        flat = x.view(-1)
        idx = torch.randint(0, flat.numel(), (3,), generator=g)
        flat[idx] = torch.tensor([float("nan"), float("inf"), -float("inf")], dtype=dtype)
    a = x.clone().requires_grad_(True)
    b = x.clone().requires_grad_(True)
    ours, theirs = avg_pool_by(a, k), _reference(b, k)
    _same(ours, theirs)
    grad = torch.randn(theirs.shape, generator=g, dtype=torch.float64).to(dtype)
    ours.backward(grad)
    theirs.backward(grad)
    _same(a.grad, b.grad)


def test_factor_one_is_the_input_and_output_sizes_round_up():
    x = torch.randn(2, 3, 3001)
    assert avg_pool_by(x, 1) is x
    assert avg_pool_by(x, 4).shape == (2, 3, 751)
    assert avg_pool_by(torch.randn(1, 1, 5, 9), 4).shape == (1, 1, 2, 3)


def test_a_short_last_window_averages_only_what_it_covers():
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0, 10.0]]])
    assert avg_pool_by(x, 4).tolist() == [[[2.5, 10.0]]]
    img = torch.arange(9.0).reshape(1, 1, 3, 3)  # windows of 2: corner window is the single 8
    assert avg_pool_by(img, 2).tolist() == [[[[2.0, 3.5], [6.5, 8.0]]]]
