"""Diagnostics of amplitude suppression, for any peak-shaped label and any point-wise loss.

* :mod:`~shapeloss.diagnostics.landscape`: loss landscapes of a single predicted
  value and of a whole template (:func:`pointwise_landscape`, :func:`template_landscape`).
* :mod:`~shapeloss.diagnostics.simulation`: the model-free simulation against
  jittered targets and its closed-form optimum (:func:`simulate`, :func:`expected_target`).
* :mod:`~shapeloss.diagnostics.history`: training logs and tracked predictions
  (:func:`load_metrics`, :func:`load_tracked`, :func:`plot_history`).
* the suppression report lives in :mod:`shapeloss.metrics` (:func:`~shapeloss.metrics.suppression_report`).

Command line: ``python -m shapeloss.diagnostics {landscape,simulate,history,report} --help``.
"""

from .history import (
    TrackedPredictions,
    band_share_over_steps,
    load_metrics,
    load_tracked,
    plot_history,
    plot_training_curves,
    plot_waterfall,
    read_npz,
)
from .landscape import (
    POINTWISE_LOSSES,
    Landscape,
    gaussian_label,
    pointwise_landscape,
    resolve_pointwise_loss,
    template_landscape,
)
from .simulation import (
    SimulationResult,
    expected_target,
    offset_density,
    plot_simulation,
    sample_offsets,
    simulate,
    simulate_spreads,
)

__all__ = [
    "POINTWISE_LOSSES",
    "Landscape",
    "gaussian_label",
    "resolve_pointwise_loss",
    "pointwise_landscape",
    "template_landscape",
    "SimulationResult",
    "sample_offsets",
    "offset_density",
    "expected_target",
    "simulate",
    "simulate_spreads",
    "plot_simulation",
    "TrackedPredictions",
    "load_metrics",
    "load_tracked",
    "read_npz",
    "band_share_over_steps",
    "plot_waterfall",
    "plot_training_curves",
    "plot_history",
]
