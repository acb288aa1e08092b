"""The arms of the ECG decision benchmark (the seismic decision table's, on ECG boundaries).

Every trained arm continues one shared BCE warm-up on the same batches (branch schedule):

* ``bce``: BCE continued;
* ``widened``: BCE on boundary peaks widened by :data:`WIDEN_SCATTER` samples (the targets rebuilt
  with standard deviation ``sqrt(5**2 + 5**2)``; scored against the normal annotations);
* ``weighted``: positive-weighted BCE (``pos_weight`` :data:`POS_WEIGHT`, as the seismic and edge
  benchmarks: :class:`shapeloss.edges.losses.WeightedBCELoss`);
* ``shapeloss``: BCE wrapped in ShapeLoss (the ECG benchmark's settings: ``"light"`` critic
  conditioned on the lead, lambda 100).

The post-hoc arms reuse the ``bce`` network and only map its outputs, fitted on the validation
records: ``bce_tuned`` (each boundary's threshold tuned on validation: its fixed-threshold F1 is
BCE's F1 at that threshold) and ``bce_calibrated`` (:func:`shapeloss.fit_calibration`,
``method="power"``: ``p ** gamma`` per boundary, the median validation peak at the annotations
sent to 0.9). A monotone map leaves the ranking of picks, hence every threshold-free measure, as
BCE's (up to the threshold grid).
"""

from __future__ import annotations

import dataclasses

from torch import nn

from shapeloss.edges.losses import WeightedBCELoss

#: Timing scatter absorbed by the widened labels (samples at 500 Hz: 10 ms).
WIDEN_SCATTER = 5.0
POS_WEIGHT = 10.0


@dataclasses.dataclass(frozen=True)
class EcgArm:
    """How an arm is made: ``loss`` (``"bce"`` or ``"weighted"``), ``critic`` (ShapeLoss preset or
    None), ``widen`` (scatter in samples or None), ``post`` (None, ``"tuned"`` or ``"calibrated"``)."""

    loss: str = "bce"
    critic: str | None = None
    widen: float | None = None
    post: str | None = None
    #: relative training cost, for "the cheapest arm that matches the best"
    cost: int = 0


def arm_specs(critic: str = "light") -> dict[str, EcgArm]:
    """Every arm, cheapest first."""
    return {
        "bce": EcgArm(cost=0),
        "bce_tuned": EcgArm(post="tuned", cost=1),
        "bce_calibrated": EcgArm(post="calibrated", cost=2),
        "widened": EcgArm(widen=WIDEN_SCATTER, cost=3),
        "weighted": EcgArm(loss="weighted", cost=4),
        "shapeloss": EcgArm(critic=critic, cost=5),
    }


ALL_ARMS = tuple(arm_specs())
BASELINES = tuple(a for a in ALL_ARMS if a != "shapeloss")
TRAINED = tuple(a for a, s in arm_specs().items() if s.post is None)


def base_loss(spec: EcgArm, pos_weight: float = POS_WEIGHT) -> nn.Module:
    return WeightedBCELoss(pos_weight) if spec.loss == "weighted" else nn.BCEWithLogitsLoss()
