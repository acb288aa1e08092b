"""Records for continuous picking: a Stream or an array in, contiguous segments out.

:func:`annotate <shapeloss.seismic.annotate.annotate>` calls :func:`array_segments` or
:func:`stream_segments`; both check the input up front (sampling rates positive and finite,
samples real-valued and finite), split it at gaps, resample each piece to the model's rate
and report what they did as messages.

Overlapping traces of one channel (common in miniSEED archives: a file written twice, or
two files that share a few seconds) are merged with ObsPy's ``Stream.merge(method=1)`` rule:
identical overlapping samples are duplicates and merge silently into one copy; where the
overlapping samples differ, the later trace (by start time, then by order in the stream)
wins. Each overlap is reported in the messages, or refused with ``overlaps="raise"``.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from torch import Tensor

from .._validation import is_real
from ..errors import DataFormatError, InvalidArgumentError, ShapeMismatchError

__all__ = [
    "Segment", "array_segments", "stream_segments", "check_stream", "check_rate", "is_stream",
    "time_base", "seconds", "add_seconds",
]

# Seismometers with numbered horizontals: 1 is (roughly) north, 2 east, 3 vertical.
_COMPONENT_ALIASES = {"1": "N", "2": "E", "3": "Z"}


def time_base(start_time: Any) -> Any:
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


def seconds(t: Any) -> float:
    """A sortable number for any of the time types (UTCDateTime, datetime, float)."""
    return t.timestamp() if isinstance(t, _dt.datetime) else float(t)


def add_seconds(base: Any, offset: float) -> Any:
    """``base`` plus ``offset`` seconds, for any of the time types."""
    if isinstance(base, _dt.datetime):
        return base + _dt.timedelta(seconds=offset)
    return base + offset


# --------------------------------------------------------------------------- inputs


@dataclass
class Segment:
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


def check_rate(rate: object, where: str) -> float:
    """A sampling rate: a real number, positive and finite."""
    if not is_real(rate):
        raise TypeError(f"sampling_rate: expected a positive float (Hz), got {type(rate).__name__} {rate!r}{where}")
    if not (math.isfinite(float(rate)) and float(rate) > 0):  # type: ignore[arg-type]
        raise InvalidArgumentError(f"sampling_rate: expected a positive finite rate (Hz), got {rate!r}{where}")
    return float(rate)  # type: ignore[arg-type]


def _check_real_samples(x: np.ndarray, where: str) -> None:
    if np.iscomplexobj(x) or x.dtype == np.bool_:
        raise TypeError(f"data: expected real-valued samples, got dtype {x.dtype}{where}")


def array_segments(
    data: Any, rate: float, start_time: Any, target: float, messages: list[str]
) -> list[Segment]:
    """Segments of a ``(C, N)`` (or ``(N,)``) array with ``NaN`` marking gaps."""
    if isinstance(data, Tensor):
        data = data.detach().cpu().resolve_conj().numpy()
    x = np.asarray(data)
    _check_real_samples(x, "")
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[-1] == 0 or not np.issubdtype(x.dtype, np.number):
        raise ShapeMismatchError(f"data: expected a (C, N) or (N,) numeric array, got shape {np.shape(data)} ({x.dtype})")
    with np.errstate(over="ignore"):
        x = x.astype(np.float32, copy=False)  # cast, then check: 1e300 becomes inf
    if np.isinf(x).any():
        raise DataFormatError(f"data: expected finite values (NaN marks a gap), got {int(np.isinf(x).sum())} infinite value(s)")
    base = time_base(start_time)
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
        Segment("record", add_seconds(base, a / rate), _resample(x[:, a:b], rate, target, "record"))
        for a, b in runs
    ]


def _component_index(channel: str, component_order: str) -> int | None:
    letter = channel[-1:].upper()
    letter = _COMPONENT_ALIASES.get(letter, letter) if letter not in component_order else letter
    return component_order.index(letter) if letter in component_order else None


def check_stream(stream: Any) -> None:
    """Every trace up front: a positive finite sampling rate, real-valued finite samples."""
    for tr in stream:
        where = f" ({tr.id})"
        check_rate(tr.stats.sampling_rate, where)
        data = np.asarray(tr.data)
        _check_real_samples(data, where)
        if not np.issubdtype(data.dtype, np.number):
            raise TypeError(f"data: expected numeric samples, got dtype {data.dtype}{where}")
        with np.errstate(over="ignore"):
            inf = int(np.isinf(np.ma.filled(np.ma.asarray(tr.data).astype(np.float32), 0.0)).sum())
        if inf:
            raise DataFormatError(f"data: expected finite samples (gaps as masked samples), got {inf} infinite value(s){where}")


def _place(grid: np.ndarray, idx: int, offset: int, data: np.ndarray) -> tuple[int, bool]:
    """Write ``data`` into ``grid[idx]`` at ``offset``: the later trace wins where they overlap.

    Returns ``(overlapping samples, whether they were identical)``.
    """
    target = grid[idx, offset : offset + data.size]
    taken = ~np.isnan(target)
    n = int(taken.sum())
    same = bool(np.allclose(target[taken], data[taken], rtol=1e-6, atol=1e-6 * float(np.abs(data).max(initial=0.0)))) if n else True
    grid[idx, offset : offset + data.size] = data
    return n, same


def stream_segments(
    stream: Any, component_order: str, target: float, messages: list[str], overlaps: str = "merge"
) -> list[Segment]:
    """Segments of an ObsPy ``Stream``, grouped by station; see the module for the overlap rule."""
    check_stream(stream)
    groups: dict[str, list[Any]] = {}
    for trace in stream.copy().split():  # split: masked (gappy) traces become contiguous pieces
        s = trace.stats
        groups.setdefault(f"{s.network}.{s.station}.{s.location}.{s.channel[:-1]}", []).append(trace)
    if not groups:
        raise DataFormatError("data: expected a Stream with at least one trace holding samples, got an empty Stream")
    segments: list[Segment] = []
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
        pieces.sort(key=lambda piece: float(piece[1]))  # stable: equal starts keep the stream's order
        rates = sorted({tr.stats.sampling_rate for tr in traces})
        if any(not math.isclose(r, target, rel_tol=1e-9) for r in rates):
            messages.append(f"{trace_id}: resampled from {', '.join(f'{r:g}' for r in rates)} Hz to {target:g} Hz")
        t0 = min(start for _, start, _ in pieces)
        offsets = [int(round((start - t0) * target)) for _, start, _ in pieces]
        total = max(o + d.size for o, (_, _, d) in zip(offsets, pieces))
        grid = np.full((len(component_order), total), np.nan, dtype=np.float32)
        present = sorted({idx for idx, _, _ in pieces})
        overlapped: dict[str, list[int]] = {}  # component -> [samples, differing samples' traces]
        for o, (idx, _, d) in zip(offsets, pieces):
            n, same = _place(grid, idx, o, d)
            if n:
                seen = overlapped.setdefault(component_order[idx], [0, 0])
                seen[0] += n
                seen[1] += 0 if same else 1
        if overlapped:
            where = ", ".join(f"{c}: {n} samples" for c, (n, _) in sorted(overlapped.items()))
            if any(diff for _, diff in overlapped.values()):
                if overlaps == "raise":
                    raise DataFormatError(
                        f"data: expected traces that do not overlap with different samples (overlaps='raise'), "
                        f"got {trace_id}: overlapping traces ({where}) whose samples differ"
                    )
                messages.append(
                    f"{trace_id}: overlapping traces with differing samples ({where}); merged as ObsPy's "
                    "Stream.merge(method=1): where traces overlap, the later trace's samples are kept"
                )
            else:
                messages.append(
                    f"{trace_id}: overlapping traces with identical samples ({where}); merged into one copy "
                    "(as ObsPy's Stream.merge; had they differed, the later trace's samples would be kept)"
                )
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
            Segment(trace_id, t0 + a / target, np.ascontiguousarray(grid[:, a:b])) for a, b in runs
        )
    return segments


def is_stream(data: Any) -> bool:
    """Whether ``data`` is an ObsPy ``Stream`` (duck-typed: ObsPy is imported lazily)."""
    return type(data).__name__ == "Stream" and hasattr(data, "traces") and hasattr(data, "split")


