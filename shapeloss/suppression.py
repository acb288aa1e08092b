"""Amplitude suppression: how high do the predictions rise at the label peaks?

For each labelled peak, the best predicted peak near it (:func:`best_peak_near_labels`).
A model that "sees" an event but stops at 0.5 is suppressed, not blind; the share of
label peaks whose best nearby peak sits in a band below the threshold (``band_share``
of :func:`suppression_report`) is the signature of the problem shapeloss fixes, and
:func:`effective_detections` counts the label peaks whose best nearby peak reaches the
threshold. Inputs are ``(B, C, L)`` probabilities and peak-shaped labels in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._metric_inputs import _channel_names, _non_negative_int, _pair, _unit_interval
from ._validation import check_positive_int
from .errors import InvalidArgumentError
from .peaks import _local_maxima, _peaks_2d

__all__ = [
    "HISTOGRAM_BINS",
    "NearbyPeaks",
    "best_peak_near_labels",
    "effective_detections",
    "SuppressionReport",
    "suppression_report",
]

HISTOGRAM_BINS = np.linspace(0.0, 1.0, 21)
"""Edges of the peak-height histogram of :class:`SuppressionReport` (0.05 wide)."""


@dataclass(frozen=True)
class NearbyPeaks:
    """The best predicted peak near each label peak (one entry per label peak).

    Attributes:
        batch, channel, position: where the label peak is (int64 arrays).
        height: the highest predicted local maximum within the tolerance, or
            the highest predicted value in the window when it holds no local maximum.
        offset: signed position of that value minus the label position, in samples
            (positive: the prediction is late).
        is_local_max: whether ``height`` came from a local maximum.
    """

    batch: np.ndarray
    channel: np.ndarray
    position: np.ndarray
    height: np.ndarray
    offset: np.ndarray
    is_local_max: np.ndarray

    def __len__(self) -> int:
        return int(self.position.size)


def _nearby(p: np.ndarray, y: np.ndarray, tolerance: int, label_threshold: float, distance: int) -> NearbyPeaks:
    b, c, length = p.shape
    rows_p = p.reshape(b * c, length)
    row, pos, _ = _peaks_2d(y.reshape(b * c, length), label_threshold, distance, edges=True)
    # Window offsets ordered 0, -1, +1, -2, +2, ... so that argmax breaks ties towards the label.
    steps = np.arange(1, tolerance + 1)
    offsets = np.concatenate(([0], np.stack([-steps, steps], axis=1).reshape(-1)))
    idx = pos[:, None] + offsets[None, :]
    valid = (idx >= 0) & (idx < length)
    idx_c = np.clip(idx, 0, length - 1)
    values = rows_p[row[:, None], idx_c]
    peak_mask = np.zeros(rows_p.shape, dtype=bool)
    mr, mp = _local_maxima(rows_p, edges=True)
    peak_mask[mr, mp] = True
    is_peak = peak_mask[row[:, None], idx_c] & valid
    has_peak = is_peak.any(axis=1)
    use = np.where(has_peak[:, None], is_peak, valid)
    best = np.argmax(np.where(use, values, -np.inf), axis=1)
    take = np.arange(pos.size)
    return NearbyPeaks(
        batch=row // c,
        channel=row % c,
        position=pos,
        height=values[take, best],
        offset=offsets[best],
        is_local_max=has_peak,
    )


def best_peak_near_labels(
    predictions: object,
    labels: object,
    tolerance: int = 10,
    label_threshold: float = 0.5,
    label_distance: int = 1,
) -> NearbyPeaks:
    """For each label peak, the highest predicted peak within ``tolerance`` samples.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        tolerance: half-width of the search window around each label peak, in samples.
        label_threshold, label_distance: how label peaks are found (see :func:`label_peaks`).

    Returns:
        :class:`NearbyPeaks`, ordered by (batch, channel, position). Among equal
        heights the one closest to the label wins.
    """
    p, y = _pair(predictions, labels)
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    label_distance = check_positive_int(label_distance, "label_distance")
    return _nearby(p, y, tolerance, label_threshold, label_distance)


def effective_detections(
    predictions: object,
    labels: object,
    threshold: float = 0.7,
    tolerance: int = 10,
    label_threshold: float = 0.5,
) -> np.ndarray:
    """Number of label peaks per channel whose best nearby predicted peak reaches ``threshold``.

    The reference study counts a detection as effective when the predicted peak
    is ``>= 0.7`` within 10 samples of the label peak: the model fires clearly,
    not just "sees" the event at 0.4.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        threshold: the height a nearby predicted peak must reach.
        tolerance: search half-width in samples.
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        ``np.ndarray`` of shape ``(C,)``, int64 counts.
    """
    p, y = _pair(predictions, labels)
    threshold = _unit_interval(threshold, "threshold")
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    near = _nearby(p, y, tolerance, label_threshold, 1)
    hit = near.height >= threshold
    return np.bincount(near.channel[hit], minlength=p.shape[1]).astype(np.int64)


def _json_float(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


@dataclass(frozen=True)
class SuppressionReport:
    """Per-channel summary of how high the predictions rise at the label peaks.

    Array attributes have one entry per channel. Shares are ``nan`` for a
    channel without label peaks (they are undefined there).

    Attributes:
        channel_names: one name per channel.
        threshold, band, tolerance: the settings used.
        n_labels: label peaks per channel.
        effective: label peaks whose best nearby peak is ``>= threshold``.
        effective_share: ``effective / n_labels``.
        band_share: share of label peaks whose best nearby peak lies in
            ``[band[0], band[1])``: seen but suppressed.
        band_offset_mean: mean signed offset (samples, prediction minus label)
            of the peaks in the band; ``nan`` when none.
        heights, offsets: per channel, the best nearby height and offset of each label peak.
        histogram_edges: bin edges over [0, 1]; histogram: ``(C, bins)`` counts of ``heights``.
    """

    channel_names: list[str]
    threshold: float
    band: tuple[float, float]
    tolerance: int
    n_labels: np.ndarray
    effective: np.ndarray
    effective_share: np.ndarray
    band_share: np.ndarray
    band_offset_mean: np.ndarray
    heights: list[np.ndarray] = field(repr=False)
    offsets: list[np.ndarray] = field(repr=False)
    histogram_edges: np.ndarray = field(repr=False)
    histogram: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (``nan`` becomes ``None``), keyed by channel name under ``channels``."""
        channels = {}
        for c, name in enumerate(self.channel_names):
            channels[name] = {
                "n_labels": int(self.n_labels[c]),
                "effective": int(self.effective[c]),
                "effective_share": _json_float(self.effective_share[c]),
                "band_share": _json_float(self.band_share[c]),
                "band_offset_mean": _json_float(self.band_offset_mean[c]),
                "histogram": self.histogram[c].astype(int).tolist(),
                "heights": [float(h) for h in self.heights[c]],
                "offsets": [int(o) for o in self.offsets[c]],
            }
        return {
            "threshold": self.threshold,
            "band": list(self.band),
            "tolerance": self.tolerance,
            "histogram_edges": self.histogram_edges.tolist(),
            "channels": channels,
        }

    def plot(self, ax: Any = None) -> Any:
        """Histogram of the best nearby peak heights, per channel, with the band and threshold marked.

        Args:
            ax: a matplotlib Axes; a new figure is made when ``None``.

        Returns:
            The Axes drawn on.
        """
        from .plots import plot_suppression

        return plot_suppression(self, ax)


def suppression_report(
    predictions: object,
    labels: object,
    threshold: float = 0.7,
    band: tuple[float, float] = (0.3, 0.7),
    tolerance: int = 10,
    channel_names: Sequence[str] | None = None,
    label_threshold: float = 0.5,
) -> SuppressionReport:
    """Summarise amplitude suppression: effective detections and the share of peaks stuck in a band.

    Args:
        predictions: ``(B, C, L)`` probabilities.
        labels: ``(B, C, L)`` peak-shaped targets in [0, 1].
        threshold: height that makes a detection effective (0.7 in the reference study).
        band: ``(low, high)``; a best nearby peak in ``[low, high)`` is "seen but suppressed".
        tolerance: search half-width around each label peak, in samples.
        channel_names: one name per channel (default ``"0"``, ``"1"``, ...).
        label_threshold: a label maximum counts as an event when ``>= label_threshold``.

    Returns:
        :class:`SuppressionReport`.

    Example:
        >>> y = np.exp(-0.5 * ((np.arange(200) - 100) / 20.0) ** 2)[None, None]
        >>> suppression_report(0.5 * y, y).band_share.tolist()
        [1.0]
    """
    p, y = _pair(predictions, labels)
    threshold = _unit_interval(threshold, "threshold")
    if isinstance(band, np.ndarray) and band.shape == (2,):
        band = tuple(band.tolist())
    if not isinstance(band, (tuple, list)) or len(band) != 2:
        raise InvalidArgumentError(f"band: expected a pair (low, high), got {band!r}")
    low = _unit_interval(band[0], "band[0]")
    high = _unit_interval(band[1], "band[1]")
    if not low < high:
        raise InvalidArgumentError(f"band: expected low < high, got {band!r}")
    tolerance = _non_negative_int(tolerance, "tolerance")
    label_threshold = _unit_interval(label_threshold, "label_threshold")
    channels = p.shape[1]
    names = _channel_names(channel_names, channels)
    near = _nearby(p, y, tolerance, label_threshold, 1)

    n_labels = np.bincount(near.channel, minlength=channels)
    effective = np.bincount(near.channel[near.height >= threshold], minlength=channels)
    in_band = (near.height >= low) & (near.height < high)
    band_count = np.bincount(near.channel[in_band], minlength=channels)
    offset_sum = np.bincount(near.channel[in_band], weights=near.offset[in_band], minlength=channels)
    with np.errstate(invalid="ignore", divide="ignore"):
        effective_share = np.where(n_labels > 0, effective / n_labels, np.nan)
        band_share = np.where(n_labels > 0, band_count / n_labels, np.nan)
        band_offset_mean = np.where(band_count > 0, offset_sum / band_count, np.nan)
    heights = [near.height[near.channel == c] for c in range(channels)]
    offsets = [near.offset[near.channel == c] for c in range(channels)]
    histogram = np.stack([np.histogram(h, bins=HISTOGRAM_BINS)[0] for h in heights])
    return SuppressionReport(
        channel_names=names,
        threshold=threshold,
        band=(low, high),
        tolerance=tolerance,
        n_labels=n_labels.astype(np.int64),
        effective=effective.astype(np.int64),
        effective_share=effective_share,
        band_share=band_share,
        band_offset_mean=band_offset_mean,
        heights=heights,
        offsets=offsets,
        histogram_edges=HISTOGRAM_BINS.copy(),
        histogram=histogram,
    )
