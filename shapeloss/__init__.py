"""shapeloss: adversarial shape losses for segmentation nets.

Point-wise losses (BCE) train segmentation nets that leave subtle features next
to dominant ones as low, smeared peaks ("amplitude suppression"). shapeloss
wraps any such loss with a conditional discriminator that has learnt what a
real label looks like, and trains on ``(adv + weight * base) / (1 + weight)``.

Public API::

    ShapeLoss / AdversarialShapeLoss    the loss wrapper (shapeloss.losses)
    REFERENCE_WEIGHT                    lambda = 4000, the reference study's (ShapeLoss's default)
    AdversarialTrainer                  the two-optimizer helper (shapeloss.training)
    adversarial_step                    the step it runs, shared with the Lightning module
    discriminators                      ReferenceCritic1d, GlobalCritic, PatchCritic, build_discriminator
    objectives                          Vanilla, LeastSquares, Hinge, Wasserstein, get_objective
    functional                          the pure functions behind the modules
    seed_everything                     reproducible runs
    step_loader                         step-indexed batches prefetched by workers
    calibration                         fit_calibration, Calibration (post-hoc monotone peak maps)
    metrics                             peaks, matching, effective detections, suppression_report
    operating_points                    PR curves, best F1, threshold transfer, bootstrap intervals over groups
    diagnostics                         loss landscapes, model-free simulation, histories
    nets                                UNet1d, UNet2d (generic U-Nets returning logits), init_prior_bias
    seismic, ecg, edges, lightning      domain and integration subpackages (import explicitly)
"""

from . import calibration, diagnostics, discriminators, errors, functional, metrics, nets, objectives, operating_points
from .calibration import Calibration, fit_calibration
from .checkpoint import load_checkpoint, save_atomic
from .data import step_loader
from .discriminators import GlobalCritic, PatchCritic, ReferenceCritic1d, build_discriminator
from .losses import REFERENCE_WEIGHT, AdversarialShapeLoss, CriticResult, ShapeLoss, ShapeLossParts, ShapeLossResult
from .nets import UNet1d, UNet2d, init_prior_bias, label_prior
from .metrics import (
    SuppressionReport,
    bootstrap_ratio,
    effective_detections,
    pick_metrics,
    suppression_report,
    threshold_counts,
    threshold_sweep,
)
from .objectives import AdversarialObjective, get_objective
from .operating_points import (
    PickCounts,
    bootstrap_operating_points,
    bootstrap_transfer,
    compare_operating_points,
    count_picks,
    threshold_transfer,
)
from .seed import seed_everything
from .training import AdversarialTrainer

__version__ = "0.1.0"

__all__ = [
    "ShapeLoss",
    "AdversarialShapeLoss",
    "ShapeLossParts",
    "ShapeLossResult",
    "CriticResult",
    "REFERENCE_WEIGHT",
    "AdversarialTrainer",
    "ReferenceCritic1d",
    "GlobalCritic",
    "PatchCritic",
    "build_discriminator",
    "AdversarialObjective",
    "get_objective",
    "seed_everything",
    "save_atomic",
    "load_checkpoint",
    "step_loader",
    "suppression_report",
    "SuppressionReport",
    "effective_detections",
    "pick_metrics",
    "threshold_sweep",
    "threshold_counts",
    "bootstrap_ratio",
    "PickCounts",
    "count_picks",
    "bootstrap_operating_points",
    "compare_operating_points",
    "threshold_transfer",
    "bootstrap_transfer",
    "operating_points",
    "Calibration",
    "fit_calibration",
    "calibration",
    "metrics",
    "diagnostics",
    "nets",
    "UNet1d",
    "UNet2d",
    "init_prior_bias",
    "label_prior",
    "discriminators",
    "objectives",
    "functional",
    "errors",
]
