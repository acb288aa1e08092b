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

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._validation import check_bool, check_choice, check_positive_int, is_real
from ..errors import DataFormatError, InvalidArgumentError, NonFiniteInputError, OutOfDomainError, ShapeMismatchError
from ..activations import resolve_activation
from ..peaks import find_peaks
from .labels import normalize_windows
from .phasenet import PHASES
from .records import Segment, add_seconds, array_segments, check_rate, is_stream, seconds, stream_segments

__all__ = ["annotate", "Annotation", "ProbabilityTrace", "Pick", "TARGET_RATE"]

#: Sampling rate the pickers are trained at (Hz); records are resampled to it.
TARGET_RATE = 100.0


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Pick:
    """One phase pick.

    Attributes:
        trace_id: the station (``"NET.STA.LOC.CH"`` without the component letter) or
            ``"record"`` for an array.
        phase: the phase name (``"P"``, ``"S"``).
        time: absolute time: :class:`obspy.UTCDateTime` for a ``Stream`` (or when a
            ``start_time`` was given and ObsPy is installed), else what ``start_time`` was
            (``datetime`` or float seconds), or float seconds from the first sample.
        sample: index of the pick in its probability trace (at ``target_rate``).
        probability: the stacked probability at the pick.
    """

    trace_id: str
    phase: str
    time: Any
    sample: int
    probability: float


@dataclass
class ProbabilityTrace:
    """Stacked probabilities of one contiguous segment of one station.

    Attributes:
        trace_id: as in :class:`Pick`.
        start_time: time of the first sample (same conventions as :attr:`Pick.time`).
        sampling_rate: samples per second (``target_rate``).
        data: ``(C, N)`` float32 probabilities, one row per phase.
        phases: the phase of each row.
    """

    trace_id: str
    start_time: Any
    sampling_rate: float
    data: np.ndarray
    phases: tuple[str, ...]

    def time_of(self, sample: float) -> Any:
        """Absolute time of a sample index."""
        return add_seconds(self.start_time, float(sample) / self.sampling_rate)

    def __getitem__(self, phase: str) -> np.ndarray:
        """The ``(N,)`` probability trace of one phase."""
        if phase not in self.phases:
            raise InvalidArgumentError(f"phase: expected one of {list(self.phases)}, got {phase!r}")
        return self.data[self.phases.index(phase)]


@dataclass
class Annotation:
    """What :func:`annotate` returns.

    Attributes:
        traces: one :class:`ProbabilityTrace` per station and contiguous segment.
        picks: every pick, sorted by station, then time.
        messages: what was resampled, split at gaps, padded, filled or skipped.
    """

    traces: list[ProbabilityTrace]
    picks: list[Pick]
    messages: list[str] = field(default_factory=list)

    @property
    def probabilities(self) -> np.ndarray:
        """The ``(C, N)`` probabilities when there is exactly one trace (an array without gaps)."""
        if len(self.traces) != 1:
            raise InvalidArgumentError(
                f"probabilities: expected an annotation with exactly one trace, got {len(self.traces)} "
                "(several stations or segments): use .traces"
            )
        return self.traces[0].data

    def picks_of(self, phase: str) -> list[Pick]:
        """The picks of one phase."""
        return [p for p in self.picks if p.phase == phase]

    def to_stream(self, model_name: str = "shapeloss") -> Any:
        """The probability traces as an ObsPy ``Stream``, one trace per phase and segment.

        Channel codes are ``"<model_name>_<phase>"``, as SeisBench's ``annotate`` writes them.
        """
        obspy = _require_obspy("Annotation.to_stream")
        stream = obspy.Stream()
        for trace in self.traces:
            parts = trace.trace_id.split(".")
            network, station, location = (parts + ["", "", ""])[:3] if len(parts) >= 3 else ("", trace.trace_id, "")
            start = trace.start_time if isinstance(trace.start_time, obspy.UTCDateTime) else obspy.UTCDateTime(
                trace.start_time if not isinstance(trace.start_time, (int, float)) else float(trace.start_time)
            )
            for phase, row in zip(trace.phases, trace.data):
                stream.append(obspy.Trace(row.copy(), header={
                    "network": network, "station": station, "location": location,
                    "channel": f"{model_name}_{phase}", "starttime": start, "sampling_rate": trace.sampling_rate,
                }))
        return stream


# --------------------------------------------------------------------------- ObsPy


def _require_obspy(what: str) -> Any:
    try:
        import obspy
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"{what} needs ObsPy: pip install 'shapeloss[seismic]'") from exc
    return obspy



# --------------------------------------------------------------------------- windows


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
    apart.

    Args:
        data: an ObsPy ``Stream`` (traces grouped by station, components by the last letter
            of the channel code: ``E/N/Z``, or ``1/2/3`` read as ``N/E/Z``), or an array /
            tensor ``(C, N)`` (``(N,)`` for one component) with ``NaN`` marking gaps.
        model: the picker, ``(B, C, window) -> (B, len(phases), window)``; our
            :class:`~shapeloss.seismic.PhaseNet` (logits P, S, noise) by default.
        sampling_rate: of an array (Hz); required for arrays, ignored for a ``Stream``.
        start_time: time of an array's first sample (epoch seconds, ISO string,
            ``datetime`` or ``UTCDateTime``); picks are then absolute times.
        phases: the name of each output channel of the model, in order.
        pick_phases: the phases to pick (default: all but ``"noise"``/``"N"``).
        activation: maps the model's output to probabilities: ``"sigmoid"`` (our PhaseNet),
            ``"softmax"`` (over channels), a callable, or ``None`` when the model already
            returns probabilities (SeisBench models do by default).
        window: window length in samples at ``target_rate``.
        overlap: samples shared by consecutive windows (``0 <= overlap < window``).
        stacking: ``"avg"`` (mean of the overlapping predictions) or ``"max"``.
        blinding: samples ignored at each inner edge of every window, where a picker sees
            only part of an arrival (``2 * blinding <= overlap``); the record's own ends
            are kept.
        threshold: minimum probability of a pick, one value or ``{phase: value}``.
        min_distance: minimum samples between two picks of one phase.
        batch_size: windows per forward pass.
        normalize: demean and peak-normalise each window per component (turn off for a
            model that normalises itself).
        component_order: the model's input components, e.g. ``"ENZ"`` (ours) or ``"ZNE"``.
        short: a segment shorter than ``window``: ``"pad"`` (one zero-padded window),
            ``"skip"`` or ``"raise"``.
        target_rate: the model's sampling rate; other rates are resampled to it.
        device: where to run the model (default: where its parameters are).
        overlaps: traces of one channel that overlap in a ``Stream``: ``"merge"`` (default:
            identical samples merge into one copy; where they differ, the later trace wins,
            as ObsPy's ``Stream.merge(method=1)``; each overlap is reported in the messages)
            or ``"raise"`` (refuse overlapping traces whose samples differ).

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
    window = check_positive_int(window, "window", minimum=2)
    overlap = check_positive_int(overlap, "overlap", minimum=0)
    if overlap >= window:
        raise InvalidArgumentError(f"overlap: expected an int in [0, window={window}), got {overlap}")
    blinding = check_positive_int(blinding, "blinding", minimum=0)
    if 2 * blinding > overlap:
        raise InvalidArgumentError(
            f"blinding: expected at most overlap / 2 = {overlap // 2} (else some samples get no prediction), got {blinding}"
        )
    check_choice(stacking, "stacking", ("avg", "max"))
    check_choice(short, "short", ("pad", "skip", "raise"))
    min_distance = check_positive_int(min_distance, "min_distance")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not isinstance(component_order, str) or not component_order or len(set(component_order)) != len(component_order):
        raise InvalidArgumentError(f"component_order: expected distinct component letters such as 'ENZ', got {component_order!r}")
    phases = tuple(phases)
    if not phases or not all(isinstance(p, str) for p in phases) or len(set(phases)) != len(phases):
        raise InvalidArgumentError(f"phases: expected distinct names of the model's output channels, got {phases!r}")
    if pick_phases is None:
        pick_phases = tuple(p for p in phases if p.lower() not in ("noise", "n"))
    unknown = [p for p in pick_phases if p not in phases]
    if unknown:
        raise InvalidArgumentError(f"pick_phases: expected names among phases {list(phases)}, got {unknown}")
    thresholds = _thresholds(threshold, pick_phases)
    if not (is_real(target_rate) and math.isfinite(target_rate) and target_rate > 0):
        raise InvalidArgumentError(f"target_rate: expected a positive float, got {target_rate!r}")
    act = (lambda t: t) if activation is None else resolve_activation(activation)
    if activation == "softmax" and len(phases) == 1:
        raise InvalidArgumentError(
            "activation: expected 'sigmoid' (or a callable) for a model with one output channel, got 'softmax' "
            "(a softmax over one channel is 1.0 everywhere: no picks could be told apart)"
        )
    check_choice(overlaps, "overlaps", ("merge", "raise"))
    normalize = check_bool(normalize, "normalize")
    if device is not None:
        try:
            torch.device(device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidArgumentError(f"device: expected a device torch knows ('cpu', 'cuda:0', ...), got {device!r}") from exc

    messages: list[str] = []
    if is_stream(data):
        segments = stream_segments(data, component_order, float(target_rate), messages, overlaps)
    else:
        if sampling_rate is None:
            raise InvalidArgumentError("sampling_rate: expected the array's sampling rate in Hz, got None")
        segments = array_segments(data, check_rate(sampling_rate, ""), start_time, float(target_rate), messages)
        if segments and segments[0].data.shape[0] != len(component_order):
            raise ShapeMismatchError(
                f"data: expected {len(component_order)} components ({component_order}) as (C, N), "
                f"got {segments[0].data.shape[0]}"
            )

    # Windows of every segment, batched together.
    plans: list[tuple[Segment, np.ndarray, int]] = []  # (segment, starts, padded length)
    kept: list[Segment] = []
    for seg in segments:
        n = seg.data.shape[1]
        if n < window:
            where = f"{seg.trace_id}: segment of {n} samples ({n / target_rate:.2f} s) starting at {seg.start_time}"
            if short == "raise":
                raise InvalidArgumentError(
                    f"data: expected segments of at least window={window} samples ({window / target_rate:.2f} s), "
                    f"got {where}"
                )
            if short == "skip" or n < 2:
                messages.append(f"{where} is shorter than the {window}-sample window; skipped")
                continue
            messages.append(f"{where} is shorter than the {window}-sample window; annotated as one zero-padded window")
        kept.append(seg)
        plans.append((seg, _window_starts(max(n, window), window, window - overlap), n))
    for message in messages:
        warnings.warn(message, UserWarning, stacklevel=2)

    dev, dtype = _model_device_dtype(model, device)
    index = [(k, int(s)) for k, (_, starts, _) in enumerate(plans) for s in starts]
    stacks = [np.zeros((len(phases), max(n, window)), dtype=np.float32) for _, _, n in plans]
    counts = [np.zeros(max(n, window), dtype=np.float32) for _, _, n in plans]
    was_training = model.training if isinstance(model, nn.Module) else None
    if isinstance(model, nn.Module):
        model.eval()
    try:
        with torch.inference_mode():
            for first in range(0, len(index), batch_size):
                chunk = index[first : first + batch_size]
                batch = np.zeros((len(chunk), len(component_order), window), dtype=np.float32)
                for b, (k, s) in enumerate(chunk):
                    piece = plans[k][0].data[:, s : s + window]
                    batch[b, :, : piece.shape[1]] = normalize_windows(piece) if normalize else piece
                out = act(model(torch.from_numpy(batch).to(dev, dtype)))
                if not isinstance(out, Tensor) or tuple(out.shape) != (len(chunk), len(phases), window):
                    got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
                    raise ShapeMismatchError(
                        f"model output: expected (B, {len(phases)}, {window}) for phases {list(phases)}, got {got}"
                    )
                probs = out.float().cpu().numpy()
                _check_probabilities(probs, chunk, plans, activation)
                for b, (k, s) in enumerate(chunk):
                    total = stacks[k].shape[1]
                    w = _window_weight(s, total, window, blinding)
                    if stacking == "avg":
                        stacks[k][:, s : s + window] += probs[b] * w
                        counts[k][s : s + window] += w
                    else:
                        np.maximum(stacks[k][:, s : s + window], np.where(w > 0, probs[b], 0.0), out=stacks[k][:, s : s + window])
    finally:
        if was_training is not None:
            model.train(was_training)

    traces: list[ProbabilityTrace] = []
    picks: list[Pick] = []
    for (seg, _, n), stack, count in zip(plans, stacks, counts):
        if stacking == "avg":
            stack = stack / np.maximum(count, 1e-12)
        trace = ProbabilityTrace(seg.trace_id, seg.start_time, float(target_rate), np.ascontiguousarray(stack[:, :n]), phases)
        traces.append(trace)
        for phase in pick_phases:
            row = trace[phase]
            for pos in find_peaks(row, height=thresholds[phase], distance=min_distance):
                picks.append(Pick(seg.trace_id, phase, trace.time_of(int(pos)), int(pos), float(row[pos])))
    picks.sort(key=lambda p: (p.trace_id, seconds(p.time)))
    return Annotation(traces, picks, messages)


def _check_probabilities(probs: np.ndarray, chunk: list[tuple[int, int]], plans: list, activation: object) -> None:
    """The stacked traces must be probabilities: finite, in [0, 1] (the numpy copy is checked, no extra sync)."""
    finite = np.isfinite(probs)
    if not finite.all():
        bad = sorted({f"{plans[k][0].trace_id} window at sample {s}" for b, (k, s) in enumerate(chunk) if not finite[b].all()})
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


def _thresholds(threshold: float | Mapping[str, float], phases: Sequence[str]) -> dict[str, float]:
    if isinstance(threshold, Mapping):
        missing = [p for p in phases if p not in threshold]
        if missing:
            raise InvalidArgumentError(f"threshold: expected a value for every picked phase {list(phases)}, got none for {missing}")
        values = {p: threshold[p] for p in phases}
    else:
        values = {p: threshold for p in phases}
    for phase, value in values.items():
        if not is_real(value) or not math.isfinite(value):
            raise InvalidArgumentError(f"threshold: expected a finite float for phase {phase!r}, got {value!r}")
        if not 0.0 <= float(value) <= 1.0:
            raise InvalidArgumentError(f"threshold: expected a probability in [0, 1] for phase {phase!r}, got {value!r}")
    return {p: float(v) for p, v in values.items()}
