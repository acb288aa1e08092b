"""What :func:`~shapeloss.seismic.annotate.annotate` returns: picks, probability traces, messages.

Picks carry absolute times (:class:`obspy.UTCDateTime` when ObsPy is installed and the
record has a start time); :meth:`Annotation.to_stream` writes the probability traces as an
ObsPy ``Stream``, with SeisBench's channel naming.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from .records import add_seconds

__all__ = ["Pick", "ProbabilityTrace", "Annotation"]


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


def _require_obspy(what: str) -> Any:
    try:
        import obspy
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(f"{what} needs ObsPy: pip install 'shapeloss[seismic]'") from exc
    return obspy
