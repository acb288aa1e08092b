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
* a missing component (a vertical-only station): filled with zeros, as in training.

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

import datetime as _dt
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._validation import check_choice, check_positive_int, is_real
from ..errors import DataFormatError, InvalidArgumentError, ShapeMismatchError
from ..losses import resolve_activation
from ..metrics import find_peaks
from .labels import normalize_windows
from .phasenet import PHASES

__all__ = ["annotate", "Annotation", "ProbabilityTrace", "Pick", "TARGET_RATE"]

#: Sampling rate the pickers are trained at (Hz); records are resampled to it.
TARGET_RATE = 100.0

# Seismometers with numbered horizontals: 1 is (roughly) north, 2 east, 3 vertical.
_COMPONENT_ALIASES = {"1": "N", "2": "E", "3": "Z"}


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
        return _add_seconds(self.start_time, float(sample) / self.sampling_rate)

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


# --------------------------------------------------------------------------- times


def _require_obspy(what: str) -> Any:
    try:
        import obspy
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"{what} needs ObsPy: pip install 'shapeloss[seismic]'") from exc
    return obspy


def _time_base(start_time: Any) -> Any:
    """``start_time`` as UTCDateTime when ObsPy is installed, else datetime or float seconds."""
    if start_time is None:
        return 0.0
    try:
        from obspy import UTCDateTime
    except ImportError:
        UTCDateTime = None  # noqa: N806
    if UTCDateTime is not None:
        try:
            return UTCDateTime(start_time)
        except Exception as exc:
            raise InvalidArgumentError(
                f"start_time: expected a time ObsPy's UTCDateTime accepts (epoch seconds, ISO string, datetime), "
                f"got {start_time!r}"
            ) from exc
    if isinstance(start_time, _dt.datetime):
        return start_time
    if isinstance(start_time, str):
        try:
            return _dt.datetime.fromisoformat(start_time)
        except ValueError as exc:
            raise InvalidArgumentError(f"start_time: expected an ISO 8601 time, got {start_time!r}") from exc
    if is_real(start_time) and math.isfinite(start_time):
        return float(start_time)
    raise InvalidArgumentError(f"start_time: expected epoch seconds, an ISO string or a datetime, got {start_time!r}")


def _seconds(t: Any) -> float:
    """A sortable number for any of the time types (UTCDateTime, datetime, float)."""
    return t.timestamp() if isinstance(t, _dt.datetime) else float(t)


def _add_seconds(base: Any, seconds: float) -> Any:
    if isinstance(base, _dt.datetime):
        return base + _dt.timedelta(seconds=seconds)
    return base + seconds


# --------------------------------------------------------------------------- inputs


@dataclass
class _Segment:
    trace_id: str
    start_time: Any
    data: np.ndarray  # (C, n) float32 at the target rate, no NaN


def _resample(x: np.ndarray, rate: float, target: float, where: str) -> np.ndarray:
    if math.isclose(rate, target, rel_tol=1e-9):
        return x
    ratio = Fraction(target / rate).limit_denominator(1000)
    if not math.isclose(ratio.numerator / ratio.denominator, target / rate, rel_tol=1e-6):
        raise InvalidArgumentError(
            f"sampling_rate: expected a rate with a simple ratio to {target:g} Hz, got {rate:g} Hz ({where})"
        )
    try:
        from scipy.signal import resample_poly
    except ImportError as exc:  # pragma: no cover - scipy comes with the seismic extra
        raise ImportError(f"resampling {where} from {rate:g} Hz needs scipy: pip install 'shapeloss[seismic]'") from exc
    return resample_poly(x.astype(np.float64), ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of the runs of True."""
    edges = np.diff(np.concatenate(([0], valid.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _array_segments(
    data: Any, rate: float, start_time: Any, target: float, messages: list[str]
) -> list[_Segment]:
    if isinstance(data, Tensor):
        data = data.detach().cpu().numpy()
    x = np.asarray(data)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[-1] == 0 or not np.issubdtype(x.dtype, np.number):
        raise ShapeMismatchError(f"data: expected a (C, N) or (N,) numeric array, got shape {np.shape(data)} ({x.dtype})")
    x = x.astype(np.float32, copy=False)
    if np.isinf(x).any():
        raise DataFormatError(f"data: expected finite values (NaN marks a gap), got {int(np.isinf(x).sum())} infinite value(s)")
    base = _time_base(start_time)
    valid = ~np.isnan(x).any(axis=0)
    runs = _runs(valid)
    if len(runs) > 1 or (runs and runs[0] != (0, x.shape[1])):
        gaps = [(a, b) for (_, a), (b, _) in zip([(0, 0)] + runs, runs + [(x.shape[1], 0)]) if b > a]
        messages.append(
            f"record: {len(gaps)} gap(s) of NaN samples ({', '.join(f'{a}-{b}' for a, b in gaps[:5])}"
            f"{'...' if len(gaps) > 5 else ''}); annotated as {len(runs)} separate segment(s)"
        )
    if not math.isclose(rate, target, rel_tol=1e-9):
        messages.append(f"record: resampled from {rate:g} Hz to {target:g} Hz")
    return [
        _Segment("record", _add_seconds(base, a / rate), _resample(x[:, a:b], rate, target, "record"))
        for a, b in runs
    ]


def _component_index(channel: str, component_order: str) -> int | None:
    letter = channel[-1:].upper()
    letter = _COMPONENT_ALIASES.get(letter, letter) if letter not in component_order else letter
    return component_order.index(letter) if letter in component_order else None


def _stream_segments(stream: Any, component_order: str, target: float, messages: list[str]) -> list[_Segment]:
    groups: dict[str, list[Any]] = {}
    for trace in stream.copy().split():  # split: masked (gappy) traces become contiguous pieces
        s = trace.stats
        groups.setdefault(f"{s.network}.{s.station}.{s.location}.{s.channel[:-1]}", []).append(trace)
    if not groups:
        raise DataFormatError("data: expected a Stream with at least one trace holding samples, got an empty Stream")
    segments: list[_Segment] = []
    for trace_id, traces in sorted(groups.items()):
        pieces: list[tuple[int, Any, np.ndarray]] = []
        for tr in traces:
            idx = _component_index(tr.stats.channel, component_order)
            if idx is None:
                messages.append(f"{tr.id}: component {tr.stats.channel[-1:]!r} not in {component_order!r}; ignored")
                continue
            if tr.stats.npts == 0:
                continue
            data = _resample(np.asarray(tr.data, dtype=np.float32)[None, :], tr.stats.sampling_rate, target, tr.id)[0]
            pieces.append((idx, tr.stats.starttime, data))
        if not pieces:
            continue
        rates = sorted({tr.stats.sampling_rate for tr in traces})
        if any(not math.isclose(r, target, rel_tol=1e-9) for r in rates):
            messages.append(f"{trace_id}: resampled from {', '.join(f'{r:g}' for r in rates)} Hz to {target:g} Hz")
        t0 = min(start for _, start, _ in pieces)
        offsets = [int(round((start - t0) * target)) for _, start, _ in pieces]
        total = max(o + d.size for o, (_, _, d) in zip(offsets, pieces))
        grid = np.full((len(component_order), total), np.nan, dtype=np.float32)
        present = sorted({idx for idx, _, _ in pieces})
        for o, (idx, _, d) in zip(offsets, pieces):
            grid[idx, o : o + d.size] = d
        missing = [component_order[i] for i in range(len(component_order)) if i not in present]
        if missing:
            grid[[component_order.index(c) for c in missing]] = 0.0
            messages.append(f"{trace_id}: no {'/'.join(missing)} component; filled with zeros")
        runs = _runs(~np.isnan(grid).any(axis=0))
        if len(runs) > 1 or (runs and runs[0] != (0, total)):
            messages.append(
                f"{trace_id}: gaps or components covering different times; annotated as {len(runs)} "
                f"contiguous segment(s) where every component has data"
            )
        segments.extend(
            _Segment(trace_id, t0 + a / target, np.ascontiguousarray(grid[:, a:b])) for a, b in runs
        )
    return segments


def _is_stream(data: Any) -> bool:
    return type(data).__name__ == "Stream" and hasattr(data, "traces") and hasattr(data, "split")


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

    Returns:
        An :class:`Annotation`: probability traces, picks with absolute times, and the
        messages about resampling, gaps, padding and missing components.

    Raises:
        ShapeMismatchError: an array that is not ``(C, N)``, or a model output of the wrong shape.
        InvalidArgumentError: an invalid setting, or a segment shorter than ``window`` with
            ``short="raise"``.
        DataFormatError: an empty stream, infinite samples.
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
    if not phases or not all(isinstance(p, str) for p in phases):
        raise InvalidArgumentError(f"phases: expected the names of the model's output channels, got {phases!r}")
    if pick_phases is None:
        pick_phases = tuple(p for p in phases if p.lower() not in ("noise", "n"))
    unknown = [p for p in pick_phases if p not in phases]
    if unknown:
        raise InvalidArgumentError(f"pick_phases: expected names among phases {list(phases)}, got {unknown}")
    thresholds = _thresholds(threshold, pick_phases)
    if not (is_real(target_rate) and math.isfinite(target_rate) and target_rate > 0):
        raise InvalidArgumentError(f"target_rate: expected a positive float, got {target_rate!r}")
    act = (lambda t: t) if activation is None else resolve_activation(activation)

    messages: list[str] = []
    if _is_stream(data):
        segments = _stream_segments(data, component_order, float(target_rate), messages)
    else:
        if sampling_rate is None:
            raise InvalidArgumentError("sampling_rate: expected the array's sampling rate in Hz, got None")
        if not is_real(sampling_rate) or not sampling_rate > 0:
            raise InvalidArgumentError(f"sampling_rate: expected a positive float, got {sampling_rate!r}")
        segments = _array_segments(data, float(sampling_rate), start_time, float(target_rate), messages)
        if segments and segments[0].data.shape[0] != len(component_order):
            raise ShapeMismatchError(
                f"data: expected {len(component_order)} components ({component_order}) as (C, N), "
                f"got {segments[0].data.shape[0]}"
            )

    # Windows of every segment, batched together.
    plans: list[tuple[_Segment, np.ndarray, int]] = []  # (segment, starts, padded length)
    kept: list[_Segment] = []
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
    picks.sort(key=lambda p: (p.trace_id, _seconds(p.time)))
    return Annotation(traces, picks, messages)


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
    return {p: float(v) for p, v in values.items()}
