"""Average pooling by a whole factor, as the critics' input pooling does it, fast on the CPU.

``avg_pool_by(x, k)`` gives exactly ``F.avg_pool1d(x, k, k, ceil_mode=True)`` (``avg_pool2d`` for
``(B, C, H, W)``): every value and every gradient bit for bit. PyTorch's CPU kernel pools a 1D
signal as an image one pixel high and walks each window element by element, which makes it a
quarter of the compact critic's forward pass on a 3001-sample window; here the window's
elements are added as ``k`` (or ``k * k``) strided views instead, a few vectorised additions.

Why it is the same number: the kernel sums a window's elements in row-major order into an
accumulator that starts at zero (float32 for float16/bfloat16 inputs), then divides by the
count of elements inside the input (``ceil_mode`` windows that run past the edge count only
what they cover). The views are added in that same order; a window past the edge adds zeros
from the padding, and adding ``+0.0`` changes no sum. The division is the same IEEE division.
Off the CPU PyTorch's kernel is used as it is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["avg_pool_by"]


def _window_counts(size: int, k: int, device: torch.device) -> Tensor:
    """How many of each window's ``k`` positions lie inside ``size`` (the last may be short)."""
    counts = torch.full((-(-size // k),), float(k), device=device)
    counts[-1] = float(size - k * (counts.numel() - 1))
    return counts


def avg_pool_by(x: Tensor, k: int) -> Tensor:
    """``F.avg_pool{1,2}d(x, k, k, ceil_mode=True)`` for ``(B, C, L)`` or ``(B, C, H, W)``, bit for bit.

    Args:
        x: ``(B, C, L)`` or ``(B, C, H, W)``, floating point.
        k: the window and stride, ``>= 1`` (``1`` returns ``x``).

    Returns:
        ``(B, C, ceil(L / k))`` or ``(B, C, ceil(H / k), ceil(W / k))``.
    """
    if k == 1:
        return x
    dims = x.ndim - 2
    if x.device.type != "cpu" or dims not in (1, 2):
        pool = F.avg_pool1d if dims == 1 else F.avg_pool2d
        return pool(x, k, k, ceil_mode=True)
    sizes = x.shape[2:]
    work = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x  # the kernel's accumulator type
    pad: list[int] = []
    for size in reversed(sizes):  # F.pad lists the last dimension first
        pad += [0, -size % k]
    if any(pad):
        work = F.pad(work, pad)
    offsets = [(0, dw) for dw in range(k)] if dims == 1 else [(dh, dw) for dh in range(k) for dw in range(k)]
    total: Tensor | None = None
    for dh, dw in offsets:  # the kernel's row-major order within a window
        view = work[..., dw::k] if dims == 1 else work[..., dh::k, dw::k]
        total = view if total is None else total + view
    assert total is not None
    if not any(pad):
        out = total / (k ** dims)
    elif dims == 1:
        out = total / _window_counts(sizes[0], k, x.device).to(total.dtype)
    else:
        rows = _window_counts(sizes[0], k, x.device).to(total.dtype)
        cols = _window_counts(sizes[1], k, x.device).to(total.dtype)
        out = total / (rows[:, None] * cols[None, :])
    return out.to(x.dtype)
