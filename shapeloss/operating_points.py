"""Operating points of a picker over all thresholds: PR curves, best F1, transfer, bootstrap intervals.

A fixed-threshold gain can be a recalibration (the same ranking of picks, shifted scores). The
measures here read the whole precision-recall trade-off instead, from picks matched one-to-one
to labelled events at every threshold of a grid:

* **threshold-free**: area under the PR curve (``pr_auc``), the best F1 and its threshold,
  recall at a fixed precision (``recall_at_precision``);
* **robustness**: the width of the threshold range around the best whose F1 stays within
  ``near_best`` of it, and the F1 lost when a threshold chosen on one set is applied to another
  (:func:`threshold_transfer`);
* **cost in noise**: false picks per unit of noise-only time at the threshold that reaches a
  target recall.

Counts are kept per group (a record, a trace, a station) so that :func:`bootstrap_operating_points`
resamples groups, with the events and false picks they hold, for 95 % intervals;
:func:`compare_operating_points` resamples two arms on the same groups (paired differences).

Picks at a threshold ``t`` are the candidates scoring ``>= t``: candidates found once at the
lowest threshold with a minimum distance (highest first, as :func:`shapeloss.metrics.find_peaks`)
give exactly the picks that a search at ``t`` would give, because the lower candidates never
decide about the higher ones. Matching is :func:`shapeloss.metrics.match_peaks`' greedy
closest-first one-to-one matching within ``tolerance`` samples.

The counts and measures live in :mod:`shapeloss.operating_measures`, their intervals in
:mod:`shapeloss.operating_intervals`; this module gathers them.

Nothing here knows what a group or a pick means: positions are sample indices, scores any
finite numbers compared with the thresholds.
"""

from __future__ import annotations

from .operating_intervals import (  # noqa: F401 (private helpers kept importable from here)
    _boot_args,
    _defaults,
    _difference,
    _interval,
    _resamples,
    bootstrap_operating_points,
    bootstrap_transfer,
    compare_operating_points,
)
from .operating_measures import (  # noqa: F401
    DEFAULT_THRESHOLDS,
    PickCounts,
    _check_pair,
    _curves,
    _metrics,
    _settings,
    _strata,
    _totals,
    _transfer,
    concat_counts,
    count_picks,
    operating_points,
    pr_curve,
    threshold_transfer,
)

__all__ = [
    "PickCounts",
    "count_picks",
    "pr_curve",
    "operating_points",
    "threshold_transfer",
    "bootstrap_operating_points",
    "compare_operating_points",
    "bootstrap_transfer",
    "concat_counts",
    "DEFAULT_THRESHOLDS",
]
