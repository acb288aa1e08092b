"""Synthetic edge problems and cheap shape-aware baseline losses.

- :mod:`shapeloss.edges.synthetic`: a 1D subtle-onset-then-dominant-burst
  generator and 2D faint-contour-inside-strong-contour images, with label
  jitter and bias.
- :mod:`shapeloss.edges.losses`: class-weighted BCE, a 1D Wasserstein (CDF-L1)
  term, a soft-argmax position head, the boundary (distance-map) loss and a
  masked BCE.
- :mod:`shapeloss.edges.metrics`: boundary F1 at a pixel tolerance and the
  peak heights across each boundary, and the boundary Hausdorff distance.
- :mod:`shapeloss.edges.rivals`: shape-aware rival losses from MONAI, kornia
  and tslearn (extra ``baselines``); imported from that module, not here, so
  the libraries stay optional.
"""

from .losses import (
    BoundaryDistanceLoss,
    CDFL1Loss,
    MaskedBCELoss,
    SoftArgmaxLoss,
    WeightedBCELoss,
    boundary_distance_loss,
    cdf_l1_loss,
    distance_to_labels,
    masked_bce,
    soft_argmax_loss,
    weighted_bce,
)
from .metrics import boundary_f1, boundary_hausdorff, boundary_peak_heights
from .synthetic import (
    ContourConfig,
    ContourSet,
    OnsetBurstConfig,
    OnsetBurstSet,
    gaussian_peaks,
    make_contour_images,
    make_onset_burst,
)

__all__ = [
    "OnsetBurstConfig",
    "OnsetBurstSet",
    "make_onset_burst",
    "ContourConfig",
    "ContourSet",
    "make_contour_images",
    "gaussian_peaks",
    "weighted_bce",
    "cdf_l1_loss",
    "soft_argmax_loss",
    "boundary_distance_loss",
    "distance_to_labels",
    "masked_bce",
    "WeightedBCELoss",
    "CDFL1Loss",
    "SoftArgmaxLoss",
    "BoundaryDistanceLoss",
    "MaskedBCELoss",
    "boundary_f1",
    "boundary_peak_heights",
    "boundary_hausdorff",
]
