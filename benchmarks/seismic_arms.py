"""The arms of the seismic S-phase benchmark beyond its two originals: what each one trains on,
with which loss and critic, and which post-hoc map it applies to its outputs.

Every trained arm starts from the same warm-up, seed and batches as ``bce`` and ``shapeloss``
(branch schedule). The post-hoc arms (``bce_tuned``, ``bce_calibrated``) reuse the ``bce``
network and only map its outputs, fitted on the dev windows:

* ``bce_tuned``: BCE with each phase's threshold tuned on the dev windows (best dev F1); written
  as the monotone map sending that threshold to 0.7, so every fixed-threshold number of the
  benchmark (effective picks, band, F1 at 0.7) reads at the tuned threshold;
* ``bce_calibrated``: BCE followed by :func:`shapeloss.fit_calibration` (isotonic peak map: a peak
  of height h maps to the share of dev peaks of that height that were picks within 10 samples);
* ``bce_power``: BCE followed by the power map ``p ** gamma`` sending the median dev S (and P) peak
  at the labels to 0.9 ("dev label peaks reach ~1");
* ``widened``: BCE on S labels widened to sqrt(20^2 + 25^2) samples (the expected S pick scatter),
  evaluated against the normal labels;
* ``weighted``: positive-weighted BCE (``pos_weight`` 10, as the synthetic-edges benchmark);
* ``focal``: MONAI's sigmoid focal loss (``monai.losses.FocalLoss``, gamma 2, no alpha: Lin et al.'s
  alpha 0.25 down-weights the positives, the opposite of what a suppressed peak needs), a well-kept
  implementation from the optional ``baselines`` extra; run by name (``--arms baselines focal``);
* moonshots (not run by default): ``shapeloss_patch`` (a critic scoring local patches),
  ``shapeloss_widened`` (the critic on top of the widened-label BCE).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from shapeloss import Calibration, fit_calibration
from shapeloss.edges.losses import WeightedBCELoss
from shapeloss.seismic import widen_labels

#: Expected scatter of emergent S picks around their mean (samples): the generator's and the
#: semi-real variant's Gaussian jitter. The widened S label has sigma sqrt(20^2 + 25^2) = 32.
S_PICK_SCATTER = 25.0
POS_WEIGHT = 10.0


@dataclasses.dataclass(frozen=True)
class ArmSpec:
    """How an arm is made.

    Attributes:
        loss: point-wise base loss, ``"bce"``, ``"weighted"`` or ``"focal"``.
        critic: critic preset for ShapeLoss (``None``: the base loss alone).
        widen: S pick scatter absorbed into the training labels (``None``: normal labels).
        post: ``None`` (a trained arm) or the post-hoc map applied to the ``bce`` arm's outputs:
            ``"tuned"``, ``"calibrated"`` (isotonic) or ``"power"``.
    """

    loss: str = "bce"
    critic: str | None = None
    widen: float | None = None
    post: str | None = None

    @property
    def trained(self) -> bool:
        return self.post is None


def arm_specs(discriminator: str) -> dict[str, ArmSpec]:
    """Every arm the benchmark knows, the default critic being ``discriminator``."""
    return {
        "bce": ArmSpec(),
        "shapeloss": ArmSpec(critic=discriminator),
        "bce_tuned": ArmSpec(post="tuned"),
        "bce_calibrated": ArmSpec(post="calibrated"),
        "bce_power": ArmSpec(post="power"),
        "widened": ArmSpec(widen=S_PICK_SCATTER),
        "weighted": ArmSpec(loss="weighted"),
        "focal": ArmSpec(loss="focal"),
        "shapeloss_patch": ArmSpec(critic="patch"),
        "shapeloss_widened": ArmSpec(critic=discriminator, widen=S_PICK_SCATTER),
    }


#: Run by default: the two original arms and the post-hoc maps (no training cost). The trained
#: baselines run with ``--arms baselines`` (or by name), the moonshots with ``--arms moonshots``.
DEFAULT_ARMS = ("bce", "shapeloss", "bce_tuned", "bce_calibrated", "bce_power")
TRAINED_BASELINES = ("widened", "weighted")
MOONSHOT_ARMS = ("shapeloss_patch", "shapeloss_widened")
#: Baselines that need an optional library (extra ``baselines``): run by name only, so that
#: ``--arms baselines`` works with the core install.
LIBRARY_ARMS = ("focal",)
ALL_ARMS = DEFAULT_ARMS + TRAINED_BASELINES + LIBRARY_ARMS + MOONSHOT_ARMS
#: Arms without a critic: the baselines a critic arm has to beat.
BASELINES = ("bce", "bce_tuned", "bce_calibrated", "bce_power", "widened", "weighted", "focal")
FOCAL_GAMMA = 2.0


def missing_libraries(arms) -> list[str]:
    """``--arms`` errors for requested arms whose optional library is not installed."""
    import importlib.util

    if "focal" in arms and importlib.util.find_spec("monai") is None:
        return ["--arms: expected MONAI installed for the arm 'focal' (pip install 'shapeloss[baselines]'), "
                "got no module 'monai'"]
    return []


def base_loss(spec: ArmSpec) -> torch.nn.Module:
    if spec.loss == "focal":
        from monai.losses import FocalLoss

        return FocalLoss(gamma=FOCAL_GAMMA, use_softmax=False)  # sigmoid per channel, mean over all
    return WeightedBCELoss(POS_WEIGHT) if spec.loss == "weighted" else torch.nn.BCEWithLogitsLoss()


class WidenedBatches:
    """Training batches ``step -> (inputs, labels)`` with the S labels widened (picklable for
    worker processes)."""

    def __init__(self, data, scatter: float) -> None:
        self.data, self.scatter = data, scatter

    def __call__(self, step: int):
        x, y = self.data(step)
        return x, torch.from_numpy(widen_labels(y.numpy(), self.scatter))


def training_data(spec: ArmSpec, data):
    return data if spec.widen is None else WidenedBatches(data, spec.widen)


def post_map(spec: ArmSpec, dev_pred: np.ndarray, dev_labels: np.ndarray, dev_thresholds: dict[str, float],
             fixed: float = 0.7) -> Calibration:
    """The map a post-hoc arm applies to the ``bce`` outputs (P, S, noise), fitted on dev."""
    if spec.post == "tuned":
        return Calibration.threshold_map([dev_thresholds["P"], dev_thresholds["S"], None], to=fixed)
    if spec.post == "power":
        return fit_calibration(dev_pred, dev_labels, method="power", target=0.9)
    return fit_calibration(dev_pred, dev_labels, method="isotonic")
