"""Training histories: read what the training helper logged and tracked, and draw it.

Inputs are files or plain Python objects, never a live trainer:

* the metrics log, one row per step with ``step, base, adversarial, total,
  discriminator, real_score, fake_score`` (a ``.csv`` with a header or a
  ``.jsonl`` file, as :class:`shapeloss.training.MetricsLogger` writes them, or
  the list ``trainer.metrics``);
* the tracked predictions, ``trainer.history`` (a list of ``(step, (B, C, L)
  probabilities)``) or an ``.npz`` with ``steps (S,)``, ``predictions (S, B, C, L)``
  and optionally ``labels (B, C, L)``.

From them: a waterfall of one window's prediction over training, per channel,
with the threshold line; the loss and discriminator-score curves; and, where
the labels are peaks, the suppression band share over steps.
"""

from __future__ import annotations

import csv
import json
import math
import os
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import is_integer
from ..errors import DataFormatError, InvalidArgumentError, ShapeMismatchError
from .._metric_inputs import _probabilities
from ..suppression import suppression_report

__all__ = [
    "METRIC_KEYS",
    "TrackedPredictions",
    "load_metrics",
    "load_tracked",
    "read_npz",
    "band_share_over_steps",
    "plot_waterfall",
    "plot_training_curves",
    "plot_history",
]

METRIC_KEYS = ("step", "base", "adversarial", "total", "discriminator", "real_score", "fake_score")
"""Columns the training helper logs; only ``step`` is required, missing ones read as ``nan``."""

PathLike = str | os.PathLike


def _float(value: Any, where: str, key: str) -> float:
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataFormatError(f"{where}: field {key!r}: expected a number, got {value!r}") from None


def _rows_to_columns(rows: Sequence[Mapping[str, Any]], where: str) -> dict[str, np.ndarray]:
    if len(rows) == 0:
        raise DataFormatError(f"{where}: expected at least one metrics row, got none")
    keys: list[str] = []
    for row in rows:
        keys.extend(k for k in row if k not in keys)
    if "step" not in keys:
        raise DataFormatError(f"{where}: expected a 'step' field, got fields {keys}")
    columns = {k: np.array([_float(r.get(k), f"{where} row {i + 1}", k) for i, r in enumerate(rows)]) for k in keys}
    if np.isnan(columns["step"]).any():
        bad = int(np.flatnonzero(np.isnan(columns["step"]))[0]) + 1
        raise DataFormatError(f"{where} row {bad}: field 'step': expected a number, got an empty value")
    for k in METRIC_KEYS:
        columns.setdefault(k, np.full(len(rows), np.nan))
    return columns


def load_metrics(source: PathLike | Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Read a metrics log into one array per column.

    Args:
        source: a ``.csv`` (header row) or ``.jsonl``/``.json`` (one object per line)
            file, or a list of row dicts such as ``trainer.metrics``.

    Returns:
        ``{column: (N,) float array}`` with at least :data:`METRIC_KEYS`
        (missing columns and empty cells are ``nan``), rows in file order.

    Raises:
        DataFormatError: naming the file, the row and the field that cannot be read.
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"source: expected an existing metrics file, got {str(path)!r}")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            with open(path, newline="") as f:
                reader = csv.DictReader(f)
                rows = []
                for i, row in enumerate(reader):
                    if None in row:  # more cells than header fields
                        raise DataFormatError(f"{path} row {i + 1}: expected {len(reader.fieldnames or [])} fields, got more")
                    rows.append(row)
            return _rows_to_columns(rows, str(path))
        if suffix in (".jsonl", ".json"):
            rows = []
            with open(path) as f:
                for i, line in enumerate(f):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as e:
                        raise DataFormatError(f"{path} line {i + 1}: expected a JSON object, got a malformed line ({e.msg})") from None
                    if not isinstance(row, dict):
                        raise DataFormatError(f"{path} line {i + 1}: expected a JSON object, got {type(row).__name__}")
                    rows.append(row)
            return _rows_to_columns(rows, str(path))
        raise InvalidArgumentError(f"source: expected a .csv or .jsonl file, got {str(path)!r}")
    if isinstance(source, Sequence) and all(isinstance(r, Mapping) for r in source):
        return _rows_to_columns(list(source), "metrics")
    raise TypeError(f"source: expected a path or a list of dicts, got {type(source).__name__}")


@dataclass(frozen=True)
class TrackedPredictions:
    """Predictions on fixed inputs recorded during training.

    Attributes:
        steps: ``(S,)`` training steps.
        predictions: ``(S, B, C, L)`` probabilities.
        labels: ``(B, C, L)`` labels of the tracked inputs, or ``None``.
    """

    steps: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray | None = None


def read_npz(path: PathLike, required: Sequence[str], optional: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Arrays ``required`` (and those of ``optional`` present) from an ``.npz`` file, pickles refused.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: not a readable ``.npz`` archive, or a required key missing;
            the message names the file and the key.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"source: expected an existing .npz file, got {str(path)!r}")
    try:
        data = np.load(path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise DataFormatError(f"{path}: expected an .npz archive, got a single .npy array")
        with data:
            missing = [k for k in required if k not in data.files]
            if missing:
                raise DataFormatError(
                    f"{path}: expected keys {list(required)}, got {data.files} (missing {missing})"
                )
            return {k: np.asarray(data[k]) for k in (*required, *optional) if k in data.files}
    except DataFormatError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as e:
        raise DataFormatError(f"{path}: expected an .npz archive, got an unreadable file ({type(e).__name__}: {e})") from None


def load_tracked(
    source: PathLike | Sequence[tuple[int, Any]],
    labels: Any = None,
) -> TrackedPredictions:
    """Tracked predictions from ``trainer.history`` or an ``.npz`` file.

    Args:
        source: a list of ``(step, (B, C, L) array)`` or a path to an ``.npz``
            with ``steps`` and ``predictions`` (and optionally ``labels``).
        labels: ``(B, C, L)`` labels, overriding those in the file.

    Raises:
        DataFormatError: a missing key or inconsistent shapes in the file.
    """
    where = "history"
    if isinstance(source, (str, os.PathLike)):
        where = str(source)
        data = read_npz(source, required=("steps", "predictions"), optional=("labels",))
        steps = np.asarray(data["steps"])
        preds = np.asarray(data["predictions"], dtype=np.float64)
        if labels is None and "labels" in data:
            labels = np.asarray(data["labels"], dtype=np.float64)
    elif isinstance(source, Sequence):
        if len(source) == 0:
            raise InvalidArgumentError("source: expected at least one (step, predictions) entry, got none")
        steps = np.asarray([s for s, _ in source])
        arrays = [np.asarray(p.detach().cpu().numpy() if hasattr(p, "detach") else p, dtype=np.float64) for _, p in source]
        if len({a.shape for a in arrays}) != 1:
            raise ShapeMismatchError(f"source: expected predictions of one shape, got {sorted({a.shape for a in arrays})}")
        preds = np.stack(arrays)
    else:
        raise TypeError(f"source: expected a path or a list of (step, array), got {type(source).__name__}")
    if preds.ndim != 4 or steps.ndim != 1 or steps.shape[0] != preds.shape[0]:
        raise DataFormatError(
            f"{where}: field 'predictions': expected shape (S, B, C, L) with S = len(steps) = {steps.shape[0] if steps.ndim else steps}, "
            f"got {preds.shape}"
        )
    for s in range(preds.shape[0]):
        _probabilities(preds[s], "predictions")
    if labels is not None:
        labels = _probabilities(labels.detach().cpu().numpy() if hasattr(labels, "detach") else np.asarray(labels, dtype=np.float64), "labels")
        if labels.shape != preds.shape[1:]:
            raise ShapeMismatchError(f"labels: expected shape {preds.shape[1:]} (that of each tracked prediction), got {labels.shape}")
    return TrackedPredictions(steps=steps.astype(np.int64), predictions=preds, labels=labels)


def band_share_over_steps(
    tracked: TrackedPredictions,
    band: tuple[float, float] = (0.3, 0.7),
    threshold: float = 0.7,
    tolerance: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Suppression band share and effective share per channel at each tracked step.

    Returns:
        ``(band_share, effective_share)``, each ``(S, C)`` (``nan`` for a channel without label peaks).
    """
    if tracked.labels is None:
        raise InvalidArgumentError("tracked: expected labels (peak-shaped) to compute band shares, got none")
    band_share, effective_share = [], []
    for p in tracked.predictions:
        r = suppression_report(p, tracked.labels, threshold=threshold, band=band, tolerance=tolerance)
        band_share.append(r.band_share)
        effective_share.append(r.effective_share)
    return np.asarray(band_share), np.asarray(effective_share)


def plot_waterfall(
    tracked: TrackedPredictions,
    window: int = 0,
    threshold: float = 0.7,
    offset: float = 0.0,
    channel_names: Sequence[str] | None = None,
    axes: Any = None,
) -> Any:
    """One window's prediction over training, one panel per channel, coloured by step.

    Args:
        tracked: from :func:`load_tracked`.
        window: which window of the batch to draw.
        threshold: the decision threshold, drawn as a dashed line.
        offset: vertical shift between successive steps (0: overlaid).
        channel_names: one title per channel.
        axes: ``C`` matplotlib Axes; new ones are made when ``None``.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    s, b, c, length = tracked.predictions.shape
    if not is_integer(window) or not 0 <= window < b:
        raise InvalidArgumentError(f"window: expected an int in [0, {b - 1}], got {window!r}")
    names = [str(i) for i in range(c)] if channel_names is None else list(channel_names)
    if len(names) != c:
        raise InvalidArgumentError(f"channel_names: expected {c} names, got {len(names)}")
    if axes is None:
        fig, axes = plt.subplots(1, c, figsize=(4 * c, 3.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    colours = plt.cm.viridis(np.linspace(0, 1, s))
    x = np.arange(length)
    for ch, ax in enumerate(axes):
        for k in range(s):
            ax.plot(x, tracked.predictions[k, window, ch] + k * offset, color=colours[k], linewidth=0.9)
            if offset:
                ax.hlines(threshold + k * offset, 0, length - 1, color="k", linestyle="--", linewidth=0.4)
        if not offset:
            ax.axhline(threshold, color="k", linestyle="--", linewidth=0.8, label=f"threshold {threshold:g}")
        if tracked.labels is not None:
            ax.plot(x, tracked.labels[window, ch], color="r", linestyle=":", linewidth=1, label="label")
        ax.set_title(f"{names[ch]}: window {window}", fontsize="medium")
        ax.set_xlabel("sample")
        ax.legend(fontsize="x-small", loc="upper right")
    axes[0].set_ylabel("probability")
    sm = plt.cm.ScalarMappable(cmap="viridis", norm=plt.Normalize(tracked.steps.min(), tracked.steps.max()))
    fig.colorbar(sm, ax=list(axes), label="training step")
    return fig


def plot_training_curves(metrics: Mapping[str, np.ndarray], axes: Any = None) -> Any:
    """Base and adversarial loss (left) and the discriminator's real / fake scores (right).

    Args:
        metrics: from :func:`load_metrics`.
        axes: two matplotlib Axes; new ones are made when ``None``.

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    fig = axes[0].figure
    step = metrics["step"]
    ax = axes[0]
    ax.plot(step, metrics["base"], color="C0", label="base loss")
    base = metrics["base"][np.isfinite(metrics["base"])]
    if base.size and np.all(base > 0):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("base loss", color="C0")
    twin = ax.twinx()
    twin.plot(step, metrics["adversarial"], color="C1", label="adversarial loss")
    twin.set_ylabel("adversarial loss", color="C1")
    ax2 = axes[1]
    ax2.plot(step, metrics["real_score"], color="C2", label="D(real)")
    ax2.plot(step, metrics["fake_score"], color="C3", label="D(fake)")
    ax2.set_xlabel("step")
    ax2.set_ylabel("discriminator score")
    ax2.legend(fontsize="small")
    return fig


def plot_history(
    metrics: Mapping[str, np.ndarray] | None = None,
    tracked: TrackedPredictions | None = None,
    window: int = 0,
    threshold: float = 0.7,
    band: tuple[float, float] = (0.3, 0.7),
    tolerance: int = 10,
    channel_names: Sequence[str] | None = None,
) -> Any:
    """One figure: loss and score curves, the waterfall, and the band share over steps (what is available).

    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    if metrics is None and tracked is None:
        raise InvalidArgumentError("metrics, tracked: expected at least one of them, got neither")
    c = 0 if tracked is None else tracked.predictions.shape[2]
    rows = (metrics is not None) + (tracked is not None) + (tracked is not None and tracked.labels is not None)
    cols = max(2, c)
    fig = plt.figure(figsize=(4 * cols, 3.4 * rows), constrained_layout=True)
    grid = fig.add_gridspec(rows, cols)
    r = 0
    if metrics is not None:
        half = cols // 2
        plot_training_curves(metrics, axes=[fig.add_subplot(grid[r, :half]), fig.add_subplot(grid[r, half:])])
        r += 1
    if tracked is not None:
        plot_waterfall(tracked, window, threshold, channel_names=channel_names,
                       axes=[fig.add_subplot(grid[r, i]) for i in range(c)])
        r += 1
        if tracked.labels is not None:
            share, _ = band_share_over_steps(tracked, band, threshold, tolerance)
            ax = fig.add_subplot(grid[r, :])
            names = [str(i) for i in range(c)] if channel_names is None else list(channel_names)
            for ch in range(c):
                ax.plot(tracked.steps, share[:, ch], marker="o", markersize=3, label=names[ch])
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("step")
            ax.set_ylabel(f"share of label peaks in [{band[0]:g}, {band[1]:g})")
            ax.legend(fontsize="small")
    return fig
