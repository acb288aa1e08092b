"""Conditional discriminators ("shape critics") ``D(label, condition) -> scores``.

Every critic concatenates the label curve (the generator's probabilities, or a
real label) with the condition (usually the generator's input) along the
channel axis, as pix2pix does, and scores how real the label looks *for that
input*. Any ``nn.Module`` with ``forward(label, condition)`` plugs into
:class:`shapeloss.ShapeLoss`; these are the ones shipped:

* :class:`ReferenceCritic1d`: the critic of the reference study
  (arXiv:2511.06731), with its input length as an argument (3001 there).
* :class:`GlobalCritic`: strided convolutions then global average pooling:
  one score per sample, any length or image size.
* :class:`PatchCritic`: PatchGAN-style, one score per receptive field
  ``(B, 1, L')`` or ``(B, 1, H', W')``, any size.

Shapes: ``label`` is ``(B, C_label, L)`` or ``(B, C_label, H, W)``;
``condition`` has the same batch and spatial sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from einops import rearrange
from torch import Tensor, nn

from ._pooling import avg_pool_by
from ._validation import check_choice, check_positive_int, check_same_batch_and_spatial, check_tensor, is_integer
from .errors import DtypeMismatchError, InvalidArgumentError, ShapeMismatchError

__all__ = [
    "ReferenceCritic1d",
    "GlobalCritic",
    "PatchCritic",
    "build_discriminator",
    "PRESETS",
    "NORMS",
]

NORMS = ("batch", "instance", "group", "none")


def _autocast_enabled(device_type: str) -> bool:
    try:
        return bool(torch.is_autocast_enabled(device_type))
    except TypeError:  # torch < 2.4 takes no argument
        return bool(torch.is_autocast_enabled() or torch.is_autocast_cpu_enabled())


def _conv(dims: int) -> type[nn.Module]:
    return nn.Conv1d if dims == 1 else nn.Conv2d


def _norm(kind: str, channels: int, dims: int) -> nn.Module:
    if kind == "batch":
        return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(channels)
    if kind == "instance":
        return (nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d)(channels, affine=True)
    if kind == "group":
        # one group = layer norm over channels and positions; independent of batch size
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def _maybe_spectral(layer: nn.Module, spectral_norm: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(layer) if spectral_norm else layer


class _ConditionalCritic(nn.Module):
    """Shared input handling: check, then concatenate label and condition."""

    label_channels: int
    condition_channels: int
    dims: int
    downsample: int = 1

    def _check_against_parameters(self, x: Tensor, name: str) -> None:
        # a raw "Input type (Half) and bias type (float)" error otherwise; ShapeLoss casts
        # for the critic, direct callers get this message (autocast does its own casting)
        param = next(self.parameters(), None)
        if param is None:
            return
        if x.device != param.device:
            raise InvalidArgumentError(
                f"{name}: expected device {param.device} (that of the critic's parameters), got {x.device}"
            )
        if x.dtype != param.dtype and not _autocast_enabled(x.device.type):
            raise DtypeMismatchError(
                f"{name}: expected dtype {param.dtype} (that of the critic's parameters), got {x.dtype}; "
                "cast the inputs, or the critic with .to(dtype)"
            )

    def _join(self, label: Tensor, condition: Tensor) -> Tensor:
        check_tensor(label, "label", ndim=self.dims + 2)
        check_tensor(condition, "condition", ndim=self.dims + 2)
        check_same_batch_and_spatial(label, "label", condition, "condition")
        if label.shape[1] != self.label_channels:
            raise ShapeMismatchError(
                f"label: expected {self.label_channels} channel(s), got shape {tuple(label.shape)}"
            )
        if condition.shape[1] != self.condition_channels:
            raise ShapeMismatchError(
                f"condition: expected {self.condition_channels} channel(s), got shape {tuple(condition.shape)}"
            )
        self._check_against_parameters(label, "label")
        joined = torch.cat([label, condition], dim=1)
        if self.downsample > 1:
            # average pooling keeps a peak's height and width (in coarser units) at a
            # fraction of the cost: the critic judges shape, the base loss aligns
            # (``F.avg_pool{1,2}d(..., ceil_mode=True)``, bit for bit, faster on the CPU)
            joined = avg_pool_by(joined, self.downsample)
        return joined

    def _set_inputs(self, label_channels: int, condition_channels: int, downsample: int) -> None:
        """Check and keep what every critic's input side needs: the two channel counts and the pooling."""
        self.label_channels = check_positive_int(label_channels, "label_channels")
        self.condition_channels = check_positive_int(condition_channels, "condition_channels")
        self.downsample = check_positive_int(downsample, "downsample")


def _trunk(
    in_channels: int,
    dims: int,
    width: int,
    depth: int,
    kernel_size: int,
    stride: int,
    norm: str,
    spectral_norm: bool,
    max_width: int,
    first_stride: int | None = None,
) -> tuple[nn.Sequential, int]:
    """``depth`` strided conv blocks, doubling the width up to ``max_width``."""
    if first_stride is not None:
        first_stride = check_positive_int(first_stride, "first_stride")
    conv = _conv(dims)
    layers: list[nn.Module] = []
    channels = in_channels
    for i in range(depth):
        out = min(width * 2**i, max_width)
        s = first_stride if (i == 0 and first_stride is not None) else stride
        k = max(kernel_size, s)
        layers.append(_maybe_spectral(conv(channels, out, k, stride=s, padding=k // 2), spectral_norm))
        # the first block has no norm, as in pix2pix: the raw label scale carries information
        if i > 0:
            layers.append(_norm(norm, out, dims))
        layers.append(nn.LeakyReLU(0.2))
        channels = out
    return nn.Sequential(*layers), channels


class ReferenceCritic1d(_ConditionalCritic):
    """The conditional critic of the reference study, for fixed-length 1D windows.

    ``cat([label, condition])`` -> Conv1d(64, k=11, s=2) -> Conv1d(64, k=11, s=2)
    -> Conv1d(128, k=5, s=2), each followed by BatchNorm and LeakyReLU(0.1),
    then flatten and one linear score. Padding is ``k // 2`` (3001 samples ->
    376 positions after the three convolutions). The linear score over every
    position lets the critic judge each peak where it stands.

    Args:
        label_channels: channels of the label curve (3 for P, S, noise).
        condition_channels: channels of the condition (3 seismogram components).
        length: the window length the linear layer is sized for (3001 in the study).
        width: channels of the first two convolutions (the third has twice as
            many); 64 is the study's critic.
        downsample: average-pool label and condition by this factor first
            (1 = the study's critic). ``width=16, downsample=4`` is the
            ``"compact"`` preset: the same layout at a small fraction of the cost.

    Shapes:
        label ``(B, label_channels, length)``, condition ``(B, condition_channels, length)``
        -> scores ``(B, 1)`` (raw logits).
    """

    dims = 1

    def __init__(
        self, label_channels: int, condition_channels: int, length: int, width: int = 64, downsample: int = 1
    ) -> None:
        super().__init__()
        self._set_inputs(label_channels, condition_channels, downsample)
        self.length = check_positive_int(length, "length", minimum=8)
        w = check_positive_int(width, "width")
        c = label_channels + condition_channels
        self.features = nn.Sequential(
            nn.Conv1d(c, w, 11, stride=2, padding=5), nn.BatchNorm1d(w), nn.LeakyReLU(0.1),
            nn.Conv1d(w, w, 11, stride=2, padding=5), nn.BatchNorm1d(w), nn.LeakyReLU(0.1),
            nn.Conv1d(w, 2 * w, 5, stride=2, padding=2), nn.BatchNorm1d(2 * w), nn.LeakyReLU(0.1),
        )
        reduced = -(-length // self.downsample)  # ceil, as the pooling's ceil_mode
        for k, p in ((11, 5), (11, 5), (5, 2)):
            reduced = (reduced + 2 * p - k) // 2 + 1
        self.score = nn.Linear(2 * w * reduced, 1)

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        if isinstance(label, Tensor) and label.ndim == 3 and label.shape[-1] != self.length:
            raise ShapeMismatchError(
                f"label: expected length {self.length} (ReferenceCritic1d is sized for it; "
                f"use GlobalCritic or PatchCritic for other lengths), got shape {tuple(label.shape)}"
            )
        x = self._join(label, condition)
        return self.score(rearrange(self.features(x), "b c l -> b (c l)"))


class _TrunkCritic(_ConditionalCritic):
    """``depth`` strided blocks (``self.features``) then a score head; the options of both critics.

    The arguments are :class:`GlobalCritic`'s (documented there). A subclass supplies the head
    (:meth:`_head`) and its default depth (``default_depth``, used for ``depth=None``).
    """

    default_depth: int = 4

    def __init__(
        self,
        label_channels: int,
        condition_channels: int,
        dims: int = 1,
        width: int = 32,
        depth: int | None = None,
        kernel_size: int = 7,
        stride: int = 2,
        first_stride: int | None = None,
        norm: str = "batch",
        spectral_norm: bool = False,
        max_width: int = 256,
        downsample: int = 1,
    ) -> None:
        super().__init__()
        depth = self.default_depth if depth is None else depth
        self._set_inputs(label_channels, condition_channels, downsample)
        self.dims = _check_dims(dims)
        check_choice(norm, "norm", NORMS)
        self.features, channels = _trunk(
            label_channels + condition_channels, dims,
            check_positive_int(width, "width"), check_positive_int(depth, "depth"),
            check_positive_int(kernel_size, "kernel_size"), check_positive_int(stride, "stride"),
            norm, spectral_norm, check_positive_int(max_width, "max_width"), first_stride,
        )
        # built after the trunk: the same parameters, in the same order, for the same seed
        self.score = self._head(channels, kernel_size, spectral_norm)

    def _head(self, channels: int, kernel_size: int, spectral_norm: bool) -> nn.Module:
        """The score layer on the trunk's ``channels`` output channels."""
        raise NotImplementedError


class GlobalCritic(_TrunkCritic):
    """Strided convolutions, global average pooling, one linear score per sample.

    Args:
        label_channels: channels of the label curve.
        condition_channels: channels of the condition.
        dims: 1 for ``(B, C, L)``, 2 for ``(B, C, H, W)``.
        width: channels of the first block (doubled per block up to ``max_width``).
        depth: number of strided blocks (``None``: the class's ``default_depth``, 4;
            :class:`PatchCritic`'s is 3).
        kernel_size: convolution kernel size.
        stride: stride of every block after the first.
        first_stride: stride of the first block (a large one makes the critic cheap).
        norm: ``"batch"``, ``"instance"``, ``"group"`` or ``"none"`` (use
            ``"group"``/``"none"`` with gradient penalties).
        spectral_norm: wrap every convolution and the score in spectral normalisation.
        max_width: cap on the channel count.
        downsample: average-pool label and condition by this factor before the
            first convolution (1 = off); the cheapest way to a cheap critic for
            long windows whose labels are wide peaks.

    Shapes:
        ``(B, C_label, *)`` and ``(B, C_cond, *)`` -> scores ``(B, 1)``; any length >= 1.
    """

    default_depth = 4

    def _head(self, channels: int, kernel_size: int, spectral_norm: bool) -> nn.Module:
        return _maybe_spectral(nn.Linear(channels, 1), spectral_norm)

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        h = self.features(self._join(label, condition))
        return self.score(rearrange(h, "b c ... -> b c (...)").mean(dim=-1))


class PatchCritic(_TrunkCritic):
    """PatchGAN-style critic: one score per receptive field (Isola et al., 2017).

    Same arguments as :class:`GlobalCritic` (``downsample`` included; ``depth=None`` means 3 here); the last block is a convolution to a
    single channel instead of pooling, so the scores keep a spatial layout and
    each judges only the stretch of label its receptive field covers.

    Shapes:
        ``(B, C_label, *)`` and ``(B, C_cond, *)`` -> scores ``(B, 1, *')``.
    """

    default_depth = 3

    def _head(self, channels: int, kernel_size: int, spectral_norm: bool) -> nn.Module:
        k = kernel_size
        return _maybe_spectral(_conv(self.dims)(channels, 1, k, padding=k // 2), spectral_norm)

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        return self.score(self.features(self._join(label, condition)))


def _check_dims(dims: object) -> int:
    if not is_integer(dims) or int(dims) not in (1, 2):  # 1.0 and True are not dims
        raise InvalidArgumentError(f"dims: expected 1 or 2, got {dims!r}")
    return int(dims)  # type: ignore[arg-type]


def _reference(label_channels: int, condition_channels: int, dims: int = 1, length: int | None = None, **options: object) -> nn.Module:
    if dims != 1:
        raise InvalidArgumentError(f"dims: expected 1 for the 'reference' critic (it is 1D only), got {dims!r}")
    if length is None:
        raise InvalidArgumentError("length: expected the window length for the 'reference' critic, got None")
    if options:
        raise InvalidArgumentError(f"options: expected none for the 'reference' critic, got {sorted(options)}")
    return ReferenceCritic1d(label_channels, condition_channels, length)


def _compact(label_channels: int, condition_channels: int, dims: int = 1, length: int | None = None, **options: object) -> nn.Module:
    # the study's layout (a score per position through one linear layer) on
    # label and input pooled by 4, with a quarter of the channels
    if dims != 1:
        raise InvalidArgumentError(f"dims: expected 1 for the 'compact' critic (it is 1D only), got {dims!r}")
    if length is None:
        raise InvalidArgumentError("length: expected the window length for the 'compact' critic, got None")
    settings: dict[str, object] = {"width": 16, "downsample": 4}
    settings.update(options)
    return ReferenceCritic1d(label_channels, condition_channels, length, **settings)  # type: ignore[arg-type]


def _global(label_channels: int, condition_channels: int, dims: int = 1, length: int | None = None, **options: object) -> nn.Module:
    return GlobalCritic(label_channels, condition_channels, dims=dims, **options)  # type: ignore[arg-type]


def _patch(label_channels: int, condition_channels: int, dims: int = 1, length: int | None = None, **options: object) -> nn.Module:
    return PatchCritic(label_channels, condition_channels, dims=dims, **options)  # type: ignore[arg-type]


def _light(label_channels: int, condition_channels: int, dims: int = 1, length: int | None = None, **options: object) -> nn.Module:
    # label and input pooled by 4, few channels: a small fraction of the reference
    # critic's cost (see docs/performance.md for the measured trade-off)
    settings: dict[str, object] = {"width": 16, "depth": 3, "kernel_size": 5, "max_width": 64, "downsample": 4}
    settings.update(options)
    return GlobalCritic(label_channels, condition_channels, dims=dims, **settings)  # type: ignore[arg-type]


PRESETS: dict[str, Callable[..., nn.Module]] = {
    "reference": _reference,
    "compact": _compact,
    "global": _global,
    "patch": _patch,
    "light": _light,
}


def build_discriminator(
    name: str,
    label_channels: int,
    condition_channels: int,
    dims: int = 1,
    length: int | None = None,
    **options: object,
) -> nn.Module:
    """A discriminator preset by name.

    Args:
        name: ``"reference"`` (the study's critic, 1D, needs ``length``),
            ``"compact"`` (its layout on pooled inputs with fewer channels, 1D,
            needs ``length``), ``"global"``, ``"patch"`` or ``"light"`` (a cheap
            global critic, any length).
        label_channels: channels of the label curve.
        condition_channels: channels of the condition.
        dims: 1 or 2.
        length: window length (only the reference critic needs it).
        **options: passed to the critic's constructor (``width``, ``depth``,
            ``norm``, ``spectral_norm``...).

    Example:
        >>> d = build_discriminator("patch", 1, 1, dims=2)
        >>> d(torch.rand(2, 1, 17, 23), torch.randn(2, 1, 17, 23)).shape[:2]
        torch.Size([2, 1])
    """
    check_choice(name, "name", PRESETS)
    return PRESETS[name](label_channels, condition_channels, dims=dims, length=length, **options)
