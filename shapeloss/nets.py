"""Generic U-Nets for 1D signals and 2D images, returning logits.

Both nets accept any length (or height and width): the input is padded at the
end up to a multiple of ``2 ** depth`` and the output is cropped back, so the
output always has the input's spatial sizes. They are the small segmentation
nets of the ECG and edge benchmarks, and a sane default for users who want to
try :class:`shapeloss.ShapeLoss` on a new problem before wiring in their own.

Shapes:
    - :class:`UNet1d`: input ``(B, C_in, L)`` -> logits ``(B, C_out, L)``.
    - :class:`UNet2d`: input ``(B, C_in, H, W)`` -> logits ``(B, C_out, H, W)``.

The outputs are logits (no activation): pair them with a loss that applies the
sigmoid or softmax itself (``BCEWithLogitsLoss``, ``ShapeLoss(activation=...)``).

Example:
    >>> import torch
    >>> from shapeloss.nets import UNet1d
    >>> net = UNet1d(3, 2, widths=(8, 16, 32))
    >>> net(torch.randn(4, 3, 1001)).shape
    torch.Size([4, 2, 1001])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ._validation import check_choice, check_positive_int, check_tensor, is_real
from .errors import InvalidArgumentError, ShapeMismatchError

__all__ = ["UNet1d", "UNet2d", "init_prior_bias", "label_prior"]

NORMS = ("batch", "instance", "group", "none")
PADDING_MODES = ("zeros", "reflect", "replicate")


def label_prior(labels: torch.Tensor) -> torch.Tensor:
    """Mean of each label channel over batch and positions: the class prior ``(C,)``.

    Args:
        labels: targets ``(B, C, L)`` or ``(B, C, H, W)`` in [0, 1].

    Returns:
        A float tensor ``(C,)``.
    """
    check_tensor(labels, "labels", ndim=(3, 4))
    if not torch.isfinite(labels).all() or labels.min() < 0 or labels.max() > 1:
        raise InvalidArgumentError(
            f"labels: expected finite values in [0, 1], got range [{float(labels.min())}, {float(labels.max())}]"
        )
    return labels.float().mean(dim=[d for d in range(labels.ndim) if d != 1])


@torch.no_grad()
def init_prior_bias(layer: nn.Module, prior: Sequence[float] | torch.Tensor) -> nn.Module:
    """Set an output layer's bias to ``logit(prior)``, so the untrained net predicts the prior.

    A segmentation head starting at logit 0 predicts 0.5 everywhere, against sparse targets
    (a Gaussian pick covers about 2 % of a window). Its first steps then go into pulling every
    output down, and some initialisations never recover: a PhaseNet trained with BCE on the
    synthetic seismic windows stayed without a single effective P or S pick for 2,000 steps
    from one of three seeds. Starting from the prior (the "prior initialisation" of Lin et al.,
    Focal Loss, 2017) removed that failure; see ``docs/seismic.md``.

    Args:
        layer: a convolution or linear layer with a bias of ``C`` elements.
        prior: ``C`` probabilities in (0, 1), one per output channel (e.g. :func:`label_prior`).

    Returns:
        ``layer``, modified in place.
    """
    bias = getattr(layer, "bias", None)
    if not isinstance(bias, torch.Tensor):
        raise InvalidArgumentError(f"layer: expected a layer with a bias, got {type(layer).__name__} without one")
    try:
        prior = torch.as_tensor(prior, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidArgumentError(f"prior: expected {bias.numel()} probabilities (one per output channel), got {prior!r}") from exc
    if prior.numel() != bias.numel():
        raise ShapeMismatchError(f"prior: expected {bias.numel()} values (one per output channel), got {prior.numel()}")
    if not torch.isfinite(prior).all() or (prior <= 0).any() or (prior >= 1).any():
        raise InvalidArgumentError(f"prior: expected probabilities strictly between 0 and 1, got {prior.tolist()}")
    bias.copy_(torch.log(prior / (1 - prior)).to(bias.dtype))
    return layer


def _norm(kind: str, channels: int, dims: int) -> nn.Module:
    if kind == "batch":
        return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(channels)
    if kind == "instance":
        return (nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d)(channels, affine=True)
    if kind == "group":
        # Up to 8 groups that divide the width: group norm works with batch size 1.
        groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
        return nn.GroupNorm(groups, channels)
    return nn.Identity()


class _ConvBlock(nn.Sequential):
    """Two (convolution, normalisation, activation) layers at constant size."""

    def __init__(self, cin: int, cout: int, dims: int, kernel_size: int, norm: str,
                 padding_mode: str, dropout: float) -> None:
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        layers: list[nn.Module] = []
        for i, c in enumerate((cin, cout)):
            layers += [
                conv(c, cout, kernel_size, padding=kernel_size // 2, padding_mode=padding_mode,
                     bias=norm == "none"),
                _norm(norm, cout, dims),
                nn.LeakyReLU(0.1, inplace=True),
            ]
            if dropout > 0 and i == 0:
                layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class _UNet(nn.Module):
    dims = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        widths: Sequence[int] = (16, 32, 64, 128),
        kernel_size: int = 7,
        norm: str = "batch",
        padding_mode: str = "zeros",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.out_channels = check_positive_int(out_channels, "out_channels")
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 1:
            raise InvalidArgumentError(f"widths: expected a non-empty sequence of positive ints, got {widths!r}")
        self.widths = tuple(check_positive_int(w, f"widths[{i}]") for i, w in enumerate(widths))
        kernel_size = check_positive_int(kernel_size, "kernel_size")
        if kernel_size % 2 == 0:
            raise InvalidArgumentError(f"kernel_size: expected an odd int (keeps the length), got {kernel_size}")
        self.kernel_size = kernel_size
        self.norm = check_choice(norm, "norm", NORMS)
        check_choice(padding_mode, "padding_mode", PADDING_MODES)
        if not is_real(dropout) or not 0 <= dropout < 1:
            raise InvalidArgumentError(f"dropout: expected a float in [0, 1), got {dropout!r}")

        dims = self.dims
        block = dict(dims=dims, kernel_size=kernel_size, norm=self.norm, padding_mode=padding_mode,
                     dropout=float(dropout))
        self.down = nn.ModuleList()
        cin = self.in_channels
        for w in self.widths:
            self.down.append(_ConvBlock(cin, w, **block))
            cin = w
        up_conv = nn.ConvTranspose1d if dims == 1 else nn.ConvTranspose2d
        self.upsample = nn.ModuleList()
        self.up = nn.ModuleList()
        for w in reversed(self.widths[:-1]):
            self.upsample.append(up_conv(cin, w, kernel_size=2, stride=2))
            self.up.append(_ConvBlock(2 * w, w, **block))
            cin = w
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.head = conv(cin, self.out_channels, kernel_size=1)

    @property
    def depth(self) -> int:
        """Number of down-sampling steps (``len(widths) - 1``)."""
        return len(self.widths) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x", ndim=self.dims + 2)
        if x.shape[1] != self.in_channels:
            raise ShapeMismatchError(
                f"x: expected {self.in_channels} channel(s) in dimension 1, got shape {tuple(x.shape)}"
            )
        sizes = x.shape[2:]
        multiple = 2 ** self.depth
        # F.pad lists (left, right) pairs from the last dimension backwards.
        pad: list[int] = []
        for s in reversed(sizes):
            pad += [0, (-s) % multiple]
        if any(pad):
            x = F.pad(x, pad, mode="replicate")
        skips = []
        for i, block in enumerate(self.down):
            if i > 0:
                x = (F.max_pool1d if self.dims == 1 else F.max_pool2d)(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for upsample, block in zip(self.upsample, self.up):
            x = block(torch.cat([upsample(x), skips.pop()], dim=1))
        x = self.head(x)
        index = (slice(None), slice(None)) + tuple(slice(0, s) for s in sizes)
        return x[index]


class UNet1d(_UNet):
    """A configurable 1D U-Net returning logits of the input's length.

    Args:
        in_channels: channels of the input signal (e.g. 3 components, 1 ECG lead).
        out_channels: channels of the logits (one per label class).
        widths: channels at each level, from the finest down; ``len(widths) - 1``
            max-pooling steps by 2, and as many transposed-convolution steps up.
        kernel_size: odd convolution kernel size.
        norm: ``"batch"``, ``"instance"``, ``"group"`` or ``"none"``.
        padding_mode: padding of the convolutions, ``"zeros"``, ``"reflect"`` or ``"replicate"``.
        dropout: dropout probability after the first convolution of each block.

    Shapes:
        input ``(B, in_channels, L)`` with any ``L >= 1``; output logits
        ``(B, out_channels, L)``.
    """

    dims = 1


class UNet2d(_UNet):
    """A configurable 2D U-Net returning logits of the input's height and width.

    Same arguments as :class:`UNet1d`, with square ``kernel_size`` kernels and
    2x2 pooling.

    Shapes:
        input ``(B, in_channels, H, W)`` with any ``H, W >= 1``; output logits
        ``(B, out_channels, H, W)``.
    """

    dims = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        widths: Sequence[int] = (16, 32, 64),
        kernel_size: int = 3,
        norm: str = "batch",
        padding_mode: str = "zeros",
        dropout: float = 0.0,
    ) -> None:
        super().__init__(in_channels, out_channels, widths, kernel_size, norm, padding_mode, dropout)
