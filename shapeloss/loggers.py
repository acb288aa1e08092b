"""TensorBoard and MLflow logging for :class:`~shapeloss.AdversarialTrainer`, as callbacks.

The trainer writes CSV / JSON-lines by itself (``log_path=``); these callbacks send the same
per-step metrics elsewhere, and with them figures of the tracked samples
(:meth:`AdversarialTrainer.track`): the predictions on fixed inputs, drawn each time the
trainer records them, so one can watch a suppressed peak rise over training.

Example::

    from shapeloss.loggers import TensorBoardCallback
    tb = TensorBoardCallback("runs/shapeloss")
    trainer = AdversarialTrainer(net, loss, g_opt, d_opt, callbacks=[tb])
    trainer.track(x_dev[:4], every=100)
    trainer.fit(batches, steps=5000)
    tb.close()              # then: tensorboard --logdir runs

Needs the ``logging`` extra (``pip install 'shapeloss[logging]'``): ``tensorboard`` for
:class:`TensorBoardCallback`, ``mlflow`` (or ``mlflow-skinny``) for :class:`MLflowCallback`.
With Lightning (:mod:`shapeloss.lightning`) use Lightning's own ``TensorBoardLogger`` /
``MLFlowLogger``: the module logs the same metric names through ``self.log``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._validation import check_positive_int
from .errors import InvalidArgumentError

__all__ = ["TensorBoardCallback", "MLflowCallback", "tracked_figure"]


def tracked_figure(
    history: Sequence[tuple[int, np.ndarray]],
    labels: np.ndarray | None = None,
    channel_names: Sequence[str] | None = None,
    max_samples: int = 4,
    steps: int = 4,
) -> Any:
    """A matplotlib figure of tracked predictions over training.

    Args:
        history: ``[(step, probabilities (B, C, L) or (B, C, H, W)), ...]``, as in
            :attr:`AdversarialTrainer.history`.
        labels: optional ``(B, C, L)`` labels drawn in grey behind 1D predictions.
        channel_names: one name per channel, for the legend.
        max_samples: at most this many tracked samples (one row each).
        steps: 1D: the predictions at this many recorded steps, evenly spaced, the
            latest darkest; 2D: the latest step only, first channel, as an image.

    Returns:
        ``matplotlib.figure.Figure`` (close it after use).
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    if not history:
        raise InvalidArgumentError("history: expected at least one (step, probabilities) entry, got an empty history")
    max_samples = check_positive_int(max_samples, "max_samples")
    steps = check_positive_int(steps, "steps")
    last_step, last = history[-1]
    n = min(max_samples, last.shape[0])
    fig = Figure(figsize=(8, 1.8 * n + 0.4), dpi=80)
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    if last.ndim == 4:
        for i, ax in enumerate(axes):
            ax.imshow(last[i, 0], vmin=0, vmax=1, cmap="magma")
            ax.set_axis_off()
        fig.suptitle(f"step {last_step}")
        return fig
    picks = sorted({int(round(k)) for k in np.linspace(0, len(history) - 1, min(steps, len(history)))})
    channels = last.shape[1]
    colors = ["tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange"]
    names = list(channel_names) if channel_names else [f"ch{c}" for c in range(channels)]
    for i, ax in enumerate(axes):
        if labels is not None:
            for c in range(min(channels, labels.shape[1])):
                ax.plot(labels[i, c], color="0.7", lw=2.5)
        for rank, k in enumerate(picks):
            step, probs = history[k]
            alpha = 0.25 + 0.75 * (rank + 1) / len(picks)
            for c in range(channels):
                ax.plot(probs[i, c], color=colors[c % len(colors)], alpha=alpha, lw=1,
                        label=f"{names[c]} @ {step}" if i == 0 and k == picks[-1] else None)
        ax.set_ylim(-0.02, 1.02)
        ax.axhline(0.7, color="0.5", ls=":", lw=0.8)
    axes[0].legend(loc="upper right", fontsize=7, ncol=channels)
    axes[0].set_title(f"tracked samples, steps {', '.join(str(history[k][0]) for k in picks)}", fontsize=9)
    fig.tight_layout()
    return fig


class _FigureCallback:
    """Shared: every ``every`` steps the metrics; a figure when the trainer records new predictions."""

    def __init__(self, every: int, figures: bool, labels: np.ndarray | None, channel_names: Sequence[str] | None) -> None:
        self.every = check_positive_int(every, "every")
        self.figures = bool(figures)
        self.labels = labels
        self.channel_names = channel_names
        self._figure_step: int | None = None

    def __call__(self, trainer: Any, metrics: dict[str, float]) -> None:
        step = int(metrics.get("step", trainer.step_count))
        if metrics.get("skipped"):
            return
        if step % self.every == 0:
            self._metrics({k: float(v) for k, v in metrics.items() if k != "step"}, step)
        history = getattr(trainer, "history", None)
        if self.figures and history and history[-1][0] != self._figure_step:
            self._figure_step = history[-1][0]
            fig = tracked_figure(history, self.labels, self.channel_names)
            try:
                self._figure(fig, int(history[-1][0]))
            finally:
                fig.clear()

    def _metrics(self, values: dict[str, float], step: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _figure(self, fig: Any, step: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class TensorBoardCallback(_FigureCallback):
    """Writes the trainer's metrics and tracked-sample figures to TensorBoard.

    Args:
        log_dir: the event files' folder (``tensorboard --logdir`` its parent).
        every: write the metrics every ``every`` steps.
        prefix: prepended to each metric name (``"train/base"``, ...).
        figures: draw the tracked samples (see :meth:`AdversarialTrainer.track`) each time
            the trainer records them, under the tag ``"<prefix>tracked"``.
        labels: ``(B, C, L)`` labels of the tracked samples, drawn behind the predictions.
        channel_names: names of the channels, for the legend.
        writer: an existing ``SummaryWriter`` (then ``log_dir`` is ignored).
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        every: int = 1,
        prefix: str = "train/",
        figures: bool = True,
        labels: np.ndarray | None = None,
        channel_names: Sequence[str] | None = None,
        writer: Any = None,
    ) -> None:
        super().__init__(every, figures, labels, channel_names)
        if writer is None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:
                raise ImportError("TensorBoardCallback needs tensorboard: pip install 'shapeloss[logging]'") from exc
            writer = SummaryWriter(log_dir=None if log_dir is None else str(log_dir))
        self.writer = writer
        self.prefix = prefix

    def _metrics(self, values: dict[str, float], step: int) -> None:
        for name, value in values.items():
            self.writer.add_scalar(f"{self.prefix}{name}", value, step)

    def _figure(self, fig: Any, step: int) -> None:
        self.writer.add_figure(f"{self.prefix}tracked", fig, step, close=False)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self.writer.close()


class MLflowCallback(_FigureCallback):
    """Logs the trainer's metrics and tracked-sample figures to MLflow.

    Uses the active run, or starts one (ended by :meth:`close`).

    Args:
        tracking_uri: where runs are stored (``None``: MLflow's default / ``$MLFLOW_TRACKING_URI``).
        experiment: experiment name (``None``: the default experiment).
        run_name: name of the run started when none is active.
        params: parameters logged once at the start (``mlflow.log_params``).
        every: log the metrics every ``every`` steps.
        figures: log the tracked-sample figures as ``tracked/step_<step>.png`` artifacts.
        labels: as in :class:`TensorBoardCallback`.
        channel_names: as in :class:`TensorBoardCallback`.
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment: str | None = None,
        run_name: str | None = None,
        params: dict[str, Any] | None = None,
        every: int = 1,
        figures: bool = True,
        labels: np.ndarray | None = None,
        channel_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__(every, figures, labels, channel_names)
        try:
            import mlflow
        except ImportError as exc:
            raise ImportError("MLflowCallback needs mlflow: pip install 'shapeloss[logging]'") from exc
        self.mlflow = mlflow
        if tracking_uri is not None:
            mlflow.set_tracking_uri(tracking_uri)
        if experiment is not None:
            mlflow.set_experiment(experiment)
        self._owns_run = mlflow.active_run() is None
        self.run = mlflow.start_run(run_name=run_name) if self._owns_run else mlflow.active_run()
        if params:
            mlflow.log_params(params)

    @property
    def run_id(self) -> str:
        return self.run.info.run_id

    def _metrics(self, values: dict[str, float], step: int) -> None:
        self.mlflow.log_metrics(values, step=step)

    def _figure(self, fig: Any, step: int) -> None:
        self.mlflow.log_figure(fig, f"tracked/step_{step:07d}.png")

    def close(self) -> None:
        """End the run if this callback started it."""
        if self._owns_run and self.mlflow.active_run() is not None:
            self.mlflow.end_run()
