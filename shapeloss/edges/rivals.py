"""Shape-aware rival losses taken from well-kept libraries, as ``(logits, target)`` modules.

Each module is BCE plus ``weight`` times one library's shape term, so it can be
compared with (or used as the base loss of) :class:`shapeloss.ShapeLoss` on the
same footing as :mod:`shapeloss.edges.losses`. The shape terms are the
libraries' own code; this module only adapts the inputs:

- :class:`HausdorffDTLoss`: MONAI's ``HausdorffDTLoss`` (Karimi and Salcudean
  2019, the distance-transform Hausdorff loss), every channel a foreground
  class (``include_background=True``). 2D and 3D only.
- :class:`SoftclDiceLoss`: MONAI's ``SoftclDiceLoss`` (Shit et al. 2021,
  centreline Dice on soft skeletons), every channel a foreground class. 2D.
- :class:`HausdorffERLoss`: kornia's ``HausdorffERLoss`` (the erosion-based
  Hausdorff loss of Karimi and Salcudean 2019), applied to each channel as a
  two-class problem ``[1 - p, p]`` against the target binarised at 0.5. 2D.
- :class:`SoftDTWLoss`: tslearn's ``SoftDTWLossPyTorch`` (Cuturi and Blondel
  2017, the soft-DTW divergence with ``normalize=True``, non-negative) between
  the probability curve and the label curve of every ``(sample, channel)``,
  both average-pooled by ``pool`` first (soft-DTW costs ``O(L^2)``), divided by
  the pooled length so the term is a per-sample mean like BCE. 1D.

Install the libraries with ``pip install 'shapeloss[baselines]'``; building a
module whose library is missing raises an ``ImportError`` naming the extra.
Targets are probabilities in ``[0, 1]`` of the logits' shape.
"""

from __future__ import annotations

import importlib

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from .._validation import check_positive_int, check_weight
from ..errors import InvalidArgumentError
from .losses import _check

__all__ = ["HausdorffDTLoss", "SoftclDiceLoss", "HausdorffERLoss", "SoftDTWLoss", "rival_available"]

_LIBRARY = {"HausdorffDTLoss": "monai", "SoftclDiceLoss": "monai", "HausdorffERLoss": "kornia", "SoftDTWLoss": "tslearn"}


def _import(module: str, library: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{what} needs {library}: pip install 'shapeloss[baselines]'") from exc


def rival_available(name: str) -> tuple[bool, str]:
    """Whether the library behind rival ``name`` (a class name of this module) imports.

    Returns ``(True, "")`` or ``(False, reason)``; the reason names the extra.
    """
    if name not in _LIBRARY:
        raise InvalidArgumentError(f"name: expected one of {sorted(_LIBRARY)}, got {name!r}")
    library = _LIBRARY[name]
    try:
        importlib.import_module(library)
    except ImportError:
        return False, f"{name} needs {library} (extra 'baselines') and it is not installed"
    return True, ""


class _Rival(nn.Module):
    dims: tuple[int, ...] = (3, 4)

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = check_weight(weight, "weight", allow_inf=False)

    def term(self, logits: Tensor, target: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        _check(logits, target, ndim=self.dims)
        bce = F.binary_cross_entropy_with_logits(logits, target)
        return bce + self.weight * self.term(logits, target) if self.weight > 0 else bce


class HausdorffDTLoss(_Rival):
    """BCE + ``weight`` x MONAI's distance-transform Hausdorff loss (alpha 2), ``(B, C, H, W)``."""

    dims = (4, 5)

    def __init__(self, weight: float = 1.0, alpha: float = 2.0) -> None:
        super().__init__(weight)
        losses = _import("monai.losses", "monai", "HausdorffDTLoss")
        self.loss = losses.HausdorffDTLoss(alpha=alpha, include_background=True, sigmoid=True)

    def term(self, logits: Tensor, target: Tensor) -> Tensor:
        return self.loss(logits, target)


class SoftclDiceLoss(_Rival):
    """BCE + ``weight`` x MONAI's soft clDice loss (``1 - clDice``), ``(B, C, H, W)``."""

    dims = (4, 5)

    def __init__(self, weight: float = 1.0, iterations: int = 3) -> None:
        super().__init__(weight)
        iterations = check_positive_int(iterations, "iterations")
        losses = _import("monai.losses", "monai", "SoftclDiceLoss")
        self.loss = losses.SoftclDiceLoss(iter_=iterations, include_background=True, sigmoid=True)

    def term(self, logits: Tensor, target: Tensor) -> Tensor:
        return self.loss(logits, target)


class HausdorffERLoss(_Rival):
    """BCE + ``weight`` x kornia's erosion Hausdorff loss, per channel, ``(B, C, H, W)``."""

    dims = (4,)

    def __init__(self, weight: float = 1.0, alpha: float = 2.0, erosions: int = 10) -> None:
        super().__init__(weight)
        erosions = check_positive_int(erosions, "erosions")
        losses = _import("kornia.losses", "kornia", "HausdorffERLoss")
        self.loss = losses.HausdorffERLoss(alpha=alpha, k=erosions)

    def term(self, logits: Tensor, target: Tensor) -> Tensor:
        p = torch.sigmoid(logits)
        terms = [
            self.loss(torch.stack([1 - p[:, c], p[:, c]], dim=1), (target[:, c : c + 1] >= 0.5).long())
            for c in range(p.shape[1])
        ]
        return torch.stack(terms).mean()


class SoftDTWLoss(_Rival):
    """BCE + ``weight`` x tslearn's soft-DTW divergence between curves, ``(B, C, L)``."""

    dims = (3,)

    def __init__(self, weight: float = 1.0, gamma: float = 0.1, pool: int = 4) -> None:
        super().__init__(weight)
        self.pool = check_positive_int(pool, "pool")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not gamma > 0:
            raise InvalidArgumentError(f"gamma: expected a float > 0, got {gamma!r}")
        metrics = _import("tslearn.metrics", "tslearn", "SoftDTWLoss")
        self.loss = metrics.SoftDTWLossPyTorch(gamma=float(gamma), normalize=True)

    def term(self, logits: Tensor, target: Tensor) -> Tensor:
        if logits.shape[-1] < self.pool:
            raise InvalidArgumentError(f"logits: expected a length >= pool = {self.pool}, got {logits.shape[-1]}")
        p = F.avg_pool1d(torch.sigmoid(logits), self.pool)
        y = F.avg_pool1d(target, self.pool)
        p, y = (rearrange(t, "b c l -> (b c) l 1") for t in (p, y))
        return self.loss(p, y).mean() / p.shape[1]
