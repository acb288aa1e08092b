"""PhaseNet: the U-Net seismic phase picker of Zhu & Beroza (2019), in the SeisBench layout.

The layout follows SeisBench's ``seisbench.models.PhaseNet`` (module names, kernel sizes,
strides, paddings and bias settings are the same, so a ``state_dict`` maps one to one), with two
differences that matter for shapeloss:

* the output is **logits**, one per channel, meant for an independent sigmoid per channel
  (as in the reference study of amplitude suppression), not a softmax;
* the channel order is ``(P, S, noise)`` (SeisBench's default is ``"NPS"``).

Reference: W. Zhu and G. C. Beroza, "PhaseNet: a deep-neural-network-based seismic arrival-time
picking method", Geophys. J. Int. 216:261-273 (2019).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .._validation import check_positive_int, check_tensor
from ..errors import ShapeMismatchError
from ..nets import init_prior_bias

__all__ = ["PhaseNet", "PHASES", "MIN_LENGTH"]

#: Output channel names, in order.
PHASES = ("P", "S", "noise")

# Manual (left, right) paddings before the strided convolutions of levels 1-3, as in SeisBench.
# They make a 3001-sample window shrink 3001 -> 751 -> 188 -> 47 -> 12 and keep every level's
# transposed convolution at least as long as its skip connection, for any input length.
_DOWN_PADDING = {1: (2, 3), 2: (1, 3), 3: (2, 3)}

#: Shortest window the default layout accepts (the deepest strided convolution needs 7 samples).
MIN_LENGTH = 101


class PhaseNet(nn.Module):
    """PhaseNet U-Net returning P, S and noise logits.

    Stem of ``filters_root`` filters, ``depth`` levels of ``filters_root * 2**i`` filters
    (8-16-32-64-128 by default) joined by strided convolutions (kernel 7, stride 4), mirrored
    transposed convolutions on the way up with skip concatenation. About 270k parameters with
    the defaults.

    Args:
        in_channels: input components (3: E, N, Z).
        classes: output channels (3: P, S, noise).
        filters_root: filters of the stem and of the first level.
        depth: number of levels (5 in PhaseNet).
        kernel_size: convolution kernel (7).
        stride: down/up-sampling factor between levels (4).
        output_prior: optional ``classes`` probabilities (e.g. the mean of the training labels,
            :func:`shapeloss.nets.label_prior`): the output bias starts at their logits, so the
            untrained net predicts the label prior instead of 0.5 (see
            :func:`shapeloss.nets.init_prior_bias`). ``None`` keeps PyTorch's default
            initialisation (as SeisBench).

    Shapes:
        input ``(B, in_channels, L)`` normalised waveforms (see
        :func:`shapeloss.seismic.labels.normalize_windows`), any ``L >= MIN_LENGTH`` (101)
        with the default depth, kernel and stride;
        output ``(B, classes, L)`` logits.

    Example:
        >>> net = PhaseNet()
        >>> net(torch.zeros(2, 3, 3001)).shape
        torch.Size([2, 3, 3001])
    """

    def __init__(
        self,
        in_channels: int = 3,
        classes: int = 3,
        filters_root: int = 8,
        depth: int = 5,
        kernel_size: int = 7,
        stride: int = 4,
        output_prior: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.classes = check_positive_int(classes, "classes")
        filters_root = check_positive_int(filters_root, "filters_root")
        self.depth = check_positive_int(depth, "depth", minimum=2)
        self.kernel_size = check_positive_int(kernel_size, "kernel_size")
        self.stride = check_positive_int(stride, "stride")

        self.inc = nn.Conv1d(in_channels, filters_root, kernel_size, padding="same")
        self.in_bn = nn.BatchNorm1d(filters_root, eps=1e-3)
        self.down_branch = nn.ModuleList()
        self.up_branch = nn.ModuleList()

        last = filters_root
        for i in range(self.depth):
            filters = filters_root * 2**i
            conv_same = nn.Conv1d(last, filters, kernel_size, padding="same", bias=False)
            last = filters
            bn1 = nn.BatchNorm1d(filters, eps=1e-3)
            if i == self.depth - 1:
                conv_down, bn2 = None, None
            else:
                padding = 0 if i in _DOWN_PADDING else kernel_size // 2
                conv_down = nn.Conv1d(filters, filters, kernel_size, stride, padding=padding, bias=False)
                bn2 = nn.BatchNorm1d(filters, eps=1e-3)
            self.down_branch.append(nn.ModuleList([conv_same, bn1, conv_down, bn2]))

        for i in range(self.depth - 1):
            filters = filters_root * 2 ** (self.depth - 2 - i)
            conv_up = nn.ConvTranspose1d(last, filters, kernel_size, stride, bias=False)
            last = filters
            bn1 = nn.BatchNorm1d(filters, eps=1e-3)
            conv_same = nn.Conv1d(2 * filters, filters, kernel_size, padding="same")
            bn2 = nn.BatchNorm1d(filters, eps=1e-3)
            self.up_branch.append(nn.ModuleList([conv_up, bn1, conv_same, bn2]))

        self.out = nn.Conv1d(last, classes, 1, padding="same")
        if output_prior is not None:
            init_prior_bias(self.out, output_prior)
        self.min_length = next(n for n in range(1, 100_000) if self._fits(n))

    def _fits(self, length: int) -> bool:
        """Whether every strided convolution of the down path gets at least ``kernel_size`` samples."""
        for i in range(self.depth - 1):
            left, right = _DOWN_PADDING.get(i, (self.kernel_size // 2,) * 2)
            padded = length + left + right
            if padded < self.kernel_size:
                return False
            length = (padded - self.kernel_size) // self.stride + 1
        return True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, classes, L)`` for normalised waveforms ``(B, in_channels, L)``."""
        check_tensor(x, "x", ndim=3)
        if x.shape[1] != self.in_channels:
            raise ShapeMismatchError(
                f"x: expected {self.in_channels} input channels (B, {self.in_channels}, L), got shape {tuple(x.shape)}"
            )
        if x.shape[-1] < self.min_length:
            raise ShapeMismatchError(
                f"x: expected a window of at least {self.min_length} samples "
                f"({self.depth} levels of stride {self.stride}), got length {x.shape[-1]}"
            )
        x = torch.relu(self.in_bn(self.inc(x)))
        skips = []
        for i, (conv_same, bn1, conv_down, bn2) in enumerate(self.down_branch):
            x = torch.relu(bn1(conv_same(x)))
            if conv_down is not None:
                skips.append(x)
                if i in _DOWN_PADDING:
                    x = F.pad(x, _DOWN_PADDING[i])
                x = torch.relu(bn2(conv_down(x)))
        for (conv_up, bn1, conv_same, bn2), skip in zip(self.up_branch, reversed(skips)):
            x = torch.relu(bn1(conv_up(x)))
            # The transposed convolution overshoots the skip's length by a few samples: centre-crop.
            offset = (x.shape[-1] - skip.shape[-1]) // 2
            x = torch.cat([skip, x[..., offset : offset + skip.shape[-1]]], dim=1)
            x = torch.relu(bn2(conv_same(x)))
        return self.out(x)
