"""Peak metrics that measure amplitude suppression, for any peak-shaped label.

Every function takes predictions and labels of shape ``(B, C, L)``, as numpy
arrays or torch tensors: ``predictions`` are probabilities in [0, 1] (apply the
sigmoid or softmax first), ``labels`` are peak-shaped targets in [0, 1] (a
Gaussian, triangle or box around each event). Channels are evaluated
separately; what a channel means (a seismic phase, an ECG boundary) is up to
the caller, who can name them with ``channel_names``.

Two families of numbers:

* **suppression** (:func:`effective_detections`, :func:`suppression_report`):
  for each labelled peak, how high is the best predicted peak near it? A model
  that "sees" an event but stops at 0.5 is suppressed, not blind; the share of
  label peaks whose best nearby peak sits in a band below the threshold
  (``band_share``) is the signature of the problem shapeloss fixes.
* **picking** (:func:`pick_metrics`, :func:`threshold_sweep`): predicted peaks
  above a threshold matched one-to-one to label peaks within a tolerance,
  giving precision, recall, F1 and the time residuals of the matches;
  :func:`threshold_counts` gives the true picks, false picks and missed events
  behind them, per threshold.

:func:`bootstrap_ratio` compares two models' counts with a confidence interval.

This module gathers them in one place; each job lives in its own module:
:mod:`shapeloss.peaks` (finding and matching peaks), :mod:`shapeloss.suppression`,
:mod:`shapeloss.picking`, :mod:`shapeloss.statistics` (bootstrap) and
:mod:`shapeloss.plots` (figures; matplotlib is imported only when one is drawn).

Peak finding follows ``scipy.signal.find_peaks`` (scipy is not a dependency):
a peak is a sample (the middle of a flat top) strictly higher than its
neighbours on both sides. :func:`find_peaks` never counts the first and last
sample (as scipy); the matching (:func:`label_peaks`, :func:`best_peak_near_labels`,
:func:`effective_detections`, the suppression report, :func:`pick_metrics`,
:func:`threshold_sweep`) also counts an edge sample (or an edge plateau, at the
edge) that is strictly higher than its one neighbour: an event cut by the
window's border must not vanish from the counts.
"""

from __future__ import annotations

# The private helpers are re-exported too: benchmarks and other modules import them from here.
from ._metric_inputs import (  # noqa: F401
    _as_float_tensor,
    _channel_names,
    _non_negative_int,
    _pair,
    _positions,
    _probabilities,
    _unit_interval,
)
from .peaks import (  # noqa: F401
    _greedy_match,
    _local_maxima,
    _peaks_2d,
    _select_by_distance,
    find_peaks,
    find_peaks_batch,
    label_peaks,
    match_peaks,
    match_peaks_grouped,
)
from .picking import _f1, _pick_counts, _picking_inputs, _ratio, pick_metrics, threshold_counts, threshold_sweep  # noqa: F401
from .statistics import _counts, _safe_ratio, bootstrap_ratio  # noqa: F401
from .suppression import (  # noqa: F401
    HISTOGRAM_BINS,
    NearbyPeaks,
    SuppressionReport,
    _json_float,
    _nearby,
    best_peak_near_labels,
    effective_detections,
    suppression_report,
)

__all__ = [
    "find_peaks",
    "find_peaks_batch",
    "match_peaks",
    "match_peaks_grouped",
    "label_peaks",
    "NearbyPeaks",
    "best_peak_near_labels",
    "effective_detections",
    "SuppressionReport",
    "suppression_report",
    "pick_metrics",
    "threshold_sweep",
    "threshold_counts",
    "bootstrap_ratio",
]
