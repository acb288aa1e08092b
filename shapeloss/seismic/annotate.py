"""Continuous picking: slide a picker over long records, stack the windows, pick.

:func:`annotate` takes an ObsPy ``Stream`` (one or several stations, gaps allowed) or a plain
``(C, N)`` array, cuts it into overlapping windows, runs the picker on batches of windows,
stacks the overlapping predictions into one probability trace per phase, and picks the peaks
above a threshold with absolute times. SeisBench is not needed; ObsPy only to read a ``Stream``
(and, when installed, picks carry :class:`obspy.UTCDateTime` times).

What happens to awkward records, each reported in :attr:`Annotation.messages` and as a
``UserWarning``:

* a sampling rate other than 100 Hz: each contiguous piece is resampled (polyphase filter,
  :func:`scipy.signal.resample_poly`) to ``target_rate``; the first sample keeps its time;
* gaps (in a ``Stream``, or ``NaN`` columns in an array): the record is split into contiguous
  segments, each annotated on its own; no window spans a gap;
* a segment shorter than a window: annotated as one zero-padded window (``short="pad"``),
  skipped (``"skip"``) or refused (``"raise"``);
* a missing component (a vertical-only station): filled with zeros, as in training;
* overlapping traces of one channel (in a ``Stream``): identical samples merge into one
  copy; where they differ, the later trace's samples are kept, as ObsPy's
  ``Stream.merge(method=1)`` does (``overlaps="raise"`` refuses them instead).

Settings, sampling rates and samples are checked before any window runs through the model
(see :mod:`shapeloss.seismic.records` for the input side).

As in SeisBench, the settings live in one object (:class:`AnnotateSettings`, each documented)
and the work in small steps of :class:`Annotator` that a subclass can override:
:meth:`~Annotator.segments` (contiguous pieces at ``target_rate``), :meth:`~Annotator.windows`
(where the windows start), :meth:`~Annotator.batches` (cut and normalise), :meth:`~Annotator.predict`
(the model and its activation), :meth:`~Annotator.stack` (overlapping windows into one trace) and
:meth:`~Annotator.pick` (peaks above the threshold). :func:`annotate` is
``Annotator(model, AnnotateSettings(...)).annotate(data, ...)``.

Example:
    >>> import numpy as np
    >>> from shapeloss.seismic import PhaseNet
    >>> from shapeloss.seismic.annotate import annotate
    >>> record = np.random.default_rng(0).standard_normal((3, 12_000)).astype(np.float32)
    >>> out = annotate(record, PhaseNet(), sampling_rate=100.0)
    >>> out.probabilities.shape
    (3, 12000)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..activations import resolve_activation
from ..errors import InvalidArgumentError, NonFiniteInputError, OutOfDomainError, ShapeMismatchError
from ..peaks import find_peaks
from .annotate_settings import TARGET_RATE, AnnotateSettings
from .annotation import Annotation, Pick, ProbabilityTrace
from .labels import normalize_windows
from .phasenet import PHASES
from .records import Segment, array_segments, check_rate, is_stream, seconds, stream_segments

__all__ = [
    "annotate", "Annotator", "AnnotateSettings", "WindowPlan", "Annotation", "ProbabilityTrace", "Pick", "TARGET_RATE",
]


@dataclass
class WindowPlan:
    """Where the windows of one segment start.

    Attributes:
        segment: the contiguous piece of one station, at ``target_rate``.
        starts: the first sample of each window (int array, increasing).
        length: the segment's samples (a short segment is zero-padded to one window).
    """

    segment: Segment
    starts: np.ndarray
    length: int


# --------------------------------------------------------------------------- the steps


class Annotator:
    """Continuous picking in small steps that a subclass can override (as SeisBench's models).

    ``annotate(data)`` runs :meth:`segments` -> :meth:`windows` -> :meth:`stack` (which runs
    :meth:`batches` and :meth:`predict`) -> :meth:`pick`, and reports what it did in the
    :class:`Annotation`'s messages.

    Args:
        model: the picker, ``(B, C, window) -> (B, len(phases), window)``.
        settings: an :class:`AnnotateSettings` (checked when made); default settings when ``None``.

    Example:
        >>> class MaxOfTwo(Annotator):  # e.g. picks from the stacked traces, another rule
        ...     def pick(self, trace):
        ...         return sorted(super().pick(trace), key=lambda p: -p.probability)[:2]
    """

    def __init__(self, model: nn.Module | Callable[[Tensor], Tensor], settings: AnnotateSettings | None = None) -> None:
        self.model = _check_model(model)
        if settings is None:
            settings = AnnotateSettings()
        if not isinstance(settings, AnnotateSettings):
            raise TypeError(f"settings: expected an AnnotateSettings, got {type(settings).__name__}")
        self.settings = settings
        self.activation = (lambda t: t) if settings.activation is None else resolve_activation(settings.activation)

    # ---------------------------------------------------------------- segments and windows

    def segments(self, data: Any, sampling_rate: float | None, start_time: Any, messages: list[str]) -> list[Segment]:
        """The record's contiguous pieces, ``(C, N)`` at ``target_rate``, components in ``component_order``."""
        s = self.settings
        if is_stream(data):
            return stream_segments(data, s.component_order, s.target_rate, messages, s.overlaps)
        if sampling_rate is None:
            raise InvalidArgumentError("sampling_rate: expected the array's sampling rate in Hz, got None")
        segments = array_segments(data, check_rate(sampling_rate, ""), start_time, s.target_rate, messages)
        if segments and segments[0].data.shape[0] != len(s.component_order):
            raise ShapeMismatchError(
                f"data: expected {len(s.component_order)} components ({s.component_order}) as (C, N), "
                f"got {segments[0].data.shape[0]}"
            )
        return segments

    def windows(self, segments: Sequence[Segment], messages: list[str]) -> list[WindowPlan]:
        """Where each segment's windows start; a short segment is padded, skipped or refused (``short``)."""
        s = self.settings
        plans = []
        for seg in segments:
            n = seg.data.shape[1]
            if n < s.window:
                where = f"{seg.trace_id}: segment of {n} samples ({n / s.target_rate:.2f} s) starting at {seg.start_time}"
                if s.short == "raise":
                    raise InvalidArgumentError(
                        f"data: expected segments of at least window={s.window} samples "
                        f"({s.window / s.target_rate:.2f} s), got {where}"
                    )
                if s.short == "skip" or n < 2:
                    messages.append(f"{where} is shorter than the {s.window}-sample window; skipped")
                    continue
                messages.append(f"{where} is shorter than the {s.window}-sample window; annotated as one zero-padded window")
            plans.append(WindowPlan(seg, _window_starts(max(n, s.window), s.window, s.step), n))
        return plans

    # ---------------------------------------------------------------- model

    def batches(self, plans: Sequence[WindowPlan]) -> Iterator[tuple[list[tuple[int, int]], np.ndarray]]:
        """``(windows, batch)``: up to ``batch_size`` windows ``(plan index, start)`` and their
        ``(B, C, window)`` float32 samples, normalised per component when ``normalize``."""
        s = self.settings
        index = [(k, int(start)) for k, plan in enumerate(plans) for start in plan.starts]
        for first in range(0, len(index), s.batch_size):
            chunk = index[first : first + s.batch_size]
            batch = np.zeros((len(chunk), len(s.component_order), s.window), dtype=np.float32)
            for b, (k, start) in enumerate(chunk):
                piece = plans[k].segment.data[:, start : start + s.window]
                batch[b, :, : piece.shape[1]] = normalize_windows(piece) if s.normalize else piece
            yield chunk, batch

    def predict(self, batch: Tensor) -> np.ndarray:
        """The probabilities ``(B, len(phases), window)`` of a batch, as float32 numpy (model, then activation)."""
        s = self.settings
        out = self.activation(self.model(batch))
        if not isinstance(out, Tensor) or tuple(out.shape) != (batch.shape[0], len(s.phases), s.window):
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ShapeMismatchError(
                f"model output: expected (B, {len(s.phases)}, {s.window}) for phases {list(s.phases)}, got {got}"
            )
        return out.float().cpu().numpy()

    def stack(self, plans: Sequence[WindowPlan]) -> list[np.ndarray]:
        """One ``(len(phases), length)`` probability array per plan: the model over every window
        (eval mode, no gradients), overlapping windows stacked by ``stacking``."""
        s = self.settings
        model = self.model
        dev, dtype = _model_device_dtype(model, s.device)
        stacks = [np.zeros((len(s.phases), max(p.length, s.window)), dtype=np.float32) for p in plans]
        counts = [np.zeros(max(p.length, s.window), dtype=np.float32) for p in plans]
        was_training = model.training if isinstance(model, nn.Module) else None
        if isinstance(model, nn.Module):
            model.eval()
        try:
            with torch.inference_mode():
                for chunk, batch in self.batches(plans):
                    probs = self.predict(torch.from_numpy(batch).to(dev, dtype))
                    _check_probabilities(probs, chunk, plans, s.activation)
                    for b, (k, start) in enumerate(chunk):
                        _add_window(stacks[k], counts[k], probs[b], start, s)
        finally:
            if was_training is not None:
                model.train(was_training)
        out = []
        for plan, stack, count in zip(plans, stacks, counts):
            if s.stacking == "avg":
                stack = stack / np.maximum(count, 1e-12)
            out.append(np.ascontiguousarray(stack[:, : plan.length]))
        return out

    # ---------------------------------------------------------------- picks

    def pick(self, trace: ProbabilityTrace) -> list[Pick]:
        """The peaks of each picked phase's trace at or above its threshold, ``min_distance`` apart."""
        s = self.settings
        picks = []
        for phase in s.pick_phases:
            row = trace[phase]
            for pos in find_peaks(row, height=s.threshold[phase], distance=s.min_distance):
                picks.append(Pick(trace.trace_id, phase, trace.time_of(int(pos)), int(pos), float(row[pos])))
        return picks

    def annotate(self, data: Any, sampling_rate: float | None = None, start_time: Any = None) -> Annotation:
        """Every step on one record (see :func:`annotate` for ``data``, ``sampling_rate`` and ``start_time``)."""
        return self._annotate(data, sampling_rate, start_time, stacklevel=3)

    def _annotate(self, data: Any, sampling_rate: float | None, start_time: Any, stacklevel: int) -> Annotation:
        s = self.settings
        messages: list[str] = []
        plans = self.windows(self.segments(data, sampling_rate, start_time, messages), messages)
        for message in messages:
            warnings.warn(message, UserWarning, stacklevel=stacklevel)
        traces, picks = [], []
        for plan, stacked in zip(plans, self.stack(plans)):
            seg = plan.segment
            trace = ProbabilityTrace(seg.trace_id, seg.start_time, s.target_rate, stacked, s.phases)
            traces.append(trace)
            picks.extend(self.pick(trace))
        picks.sort(key=lambda p: (p.trace_id, seconds(p.time)))
        return Annotation(traces, picks, messages)


# --------------------------------------------------------------------------- annotate


def annotate(
    data: Any,
    model: nn.Module | Callable[[Tensor], Tensor],
    *,
    sampling_rate: float | None = None,
    start_time: Any = None,
    phases: Sequence[str] = PHASES,
    pick_phases: Sequence[str] | None = None,
    activation: str | Callable[[Tensor], Tensor] | None = "sigmoid",
    window: int = 3001,
    overlap: int = 1500,
    stacking: str = "avg",
    blinding: int = 0,
    threshold: float | Mapping[str, float] = 0.5,
    min_distance: int = 100,
    batch_size: int = 64,
    normalize: bool = True,
    component_order: str = "ENZ",
    short: str = "pad",
    target_rate: float = TARGET_RATE,
    device: str | torch.device | None = None,
    overlaps: str = "merge",
) -> Annotation:
    """Pick phases on a continuous record with a window-based picker.

    The record is cut into windows of ``window`` samples every ``window - overlap`` samples
    (the last one flush with the end), each window is demeaned and peak-normalised per
    component (as in training), the windows go through ``model`` in batches of
    ``batch_size`` in eval mode without gradients, and the overlapping predictions are
    stacked (``"avg"`` or ``"max"``) into one probability trace per phase. Picks are the
    peaks of each phase's trace at or above ``threshold``, at least ``min_distance`` samples
    apart. Equivalent to ``Annotator(model, AnnotateSettings(...)).annotate(data,
    sampling_rate, start_time)``; subclass :class:`Annotator` to change one step.

    Args:
        data: an ObsPy ``Stream`` (traces grouped by station, components by the last letter
            of the channel code: ``E/N/Z``, or ``1/2/3`` read as ``N/E/Z``), or an array /
            tensor ``(C, N)`` (``(N,)`` for one component) with ``NaN`` marking gaps.
        model: the picker, ``(B, C, window) -> (B, len(phases), window)``; our
            :class:`~shapeloss.seismic.PhaseNet` (logits P, S, noise) by default.
        sampling_rate: of an array (Hz); required for arrays, ignored for a ``Stream``.
        start_time: time of an array's first sample (epoch seconds, ISO string,
            ``datetime`` or ``UTCDateTime``); picks are then absolute times.
        phases, pick_phases, activation, window, overlap, stacking, blinding, threshold,
            min_distance, batch_size, normalize, component_order, short, target_rate, device,
            overlaps: the settings, documented in :class:`AnnotateSettings`.

    Returns:
        An :class:`Annotation`: probability traces, picks with absolute times, and the
        messages about resampling, gaps, padding and missing components.

    Raises:
        ShapeMismatchError: an array that is not ``(C, N)``, or a model output of the wrong shape.
        InvalidArgumentError: an invalid setting (thresholds outside [0, 1], a sampling rate
            that is not positive and finite, an unknown device...), or a segment shorter than
            ``window`` with ``short="raise"``.
        TypeError: complex or boolean samples, a sampling rate that is not a number.
        DataFormatError: an empty stream, infinite samples, overlapping traces with
            ``overlaps="raise"``.

    Every setting and every trace's sampling rate and samples are checked before the model
    runs: a bad value costs no picking time.
    """
    _check_model(model)
    settings = AnnotateSettings(
        phases=phases, pick_phases=pick_phases, activation=activation, window=window, overlap=overlap,
        stacking=stacking, blinding=blinding, threshold=threshold, min_distance=min_distance,
        batch_size=batch_size, normalize=normalize, component_order=component_order, short=short,
        target_rate=target_rate, device=device, overlaps=overlaps,
    )
    return Annotator(model, settings)._annotate(data, sampling_rate, start_time, stacklevel=3)


# --------------------------------------------------------------------------- helpers


def _window_starts(n: int, window: int, step: int) -> np.ndarray:
    """Window starts covering ``[0, n)``: every ``step``, plus one flush with the end."""
    starts = np.arange(0, n - window + 1, step)
    if starts[-1] + window < n:
        starts = np.append(starts, n - window)
    return starts


def _window_weight(start: int, n: int, window: int, blinding: int) -> np.ndarray:
    w = np.ones(window, dtype=np.float32)
    if blinding:
        if start > 0:
            w[:blinding] = 0.0
        if start + window < n:
            w[window - blinding :] = 0.0
    return w


def _add_window(stack: np.ndarray, count: np.ndarray, probs: np.ndarray, start: int, s: AnnotateSettings) -> None:
    """Stack one window's probabilities into its segment's arrays (in place)."""
    w = _window_weight(start, stack.shape[1], s.window, s.blinding)
    span = slice(start, start + s.window)
    if s.stacking == "avg":
        stack[:, span] += probs * w
        count[span] += w
    else:
        np.maximum(stack[:, span], np.where(w > 0, probs, 0.0), out=stack[:, span])


def _check_model(model: Any) -> Callable[[Tensor], Tensor]:
    if not callable(model):
        raise TypeError(f"model: expected an nn.Module (waveforms -> logits), got {type(model).__name__}")
    return model


def _model_device_dtype(model: Any, device: Any) -> tuple[torch.device, torch.dtype]:
    params = list(model.parameters()) if isinstance(model, nn.Module) else []
    dtype = params[0].dtype if params else torch.float32
    if device is not None:
        return torch.device(device), dtype
    return (params[0].device if params else torch.device("cpu")), dtype


def _check_probabilities(probs: np.ndarray, chunk: list[tuple[int, int]], plans: Sequence[WindowPlan], activation: object) -> None:
    """The stacked traces must be probabilities: finite, in [0, 1] (the numpy copy is checked, no extra sync)."""
    finite = np.isfinite(probs)
    if not finite.all():
        bad = sorted({f"{plans[k].segment.trace_id} window at sample {s}" for b, (k, s) in enumerate(chunk) if not finite[b].all()})
        raise NonFiniteInputError(
            f"model output: expected finite values, got {int((~finite).sum())} NaN/Inf in {len(bad)} window(s) ({', '.join(bad[:3])})"
        )
    low, high = float(probs.min()), float(probs.max())
    if low < 0.0 or high > 1.0:
        hint = (" (activation=None means the model returns probabilities: pass activation='sigmoid' for logits)"
                if activation is None else "")
        raise OutOfDomainError(
            f"model output: expected probabilities in [0, 1] after the activation, got values in [{low:.4g}, {high:.4g}]{hint}"
        )
