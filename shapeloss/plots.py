"""Figures of the metrics, apart from their numbers: matplotlib is imported only here, lazily.

The metric objects' ``.plot()`` methods (as torchmetrics has) call these functions.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["plot_suppression"]


def plot_suppression(report: Any, ax: Any = None) -> Any:
    """Histogram of a :class:`~shapeloss.suppression.SuppressionReport`'s best nearby peak heights.

    One bar group per channel, with the suppression band shaded and the threshold marked.

    Args:
        report: the report to draw.
        ax: a matplotlib Axes; a new figure is made when ``None``.

    Returns:
        The Axes drawn on.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    edges = report.histogram_edges
    width = (edges[1] - edges[0]) / max(len(report.channel_names), 1)
    for c, name in enumerate(report.channel_names):
        share = "n/a" if not math.isfinite(report.band_share[c]) else f"{report.band_share[c]:.2f}"
        ax.bar(
            edges[:-1] + (c + 0.5) * width,
            report.histogram[c],
            width=width,
            label=f"{name} (n={int(report.n_labels[c])}, band share {share})",
        )
    ax.axvspan(report.band[0], report.band[1], color="0.85", zorder=0, label="suppression band")
    ax.axvline(report.threshold, color="k", linestyle="--", linewidth=1, label=f"threshold {report.threshold:g}")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xticks(edges[::2])
    ax.set_xlabel(f"best predicted peak within {report.tolerance} samples of a label peak")
    ax.set_ylabel("label peaks")
    ax.legend(fontsize="small")
    return ax
