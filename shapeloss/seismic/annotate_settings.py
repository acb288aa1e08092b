"""Every setting of continuous picking, with its documentation, in one place (as SeisBench lists them).

:class:`AnnotateSettings` is what :func:`~shapeloss.seismic.annotate.annotate` and
:class:`~shapeloss.seismic.annotate.Annotator` run with. Its values are checked once, when it
is made, with messages that name the setting (``"<setting>: expected <X>, got <Y>"``), and
normalised (``phases`` and ``pick_phases`` become tuples, ``threshold`` one value per picked
phase): the picking steps trust them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import Tensor

from .._validation import check_bool, check_choice, check_positive_int, is_real
from ..activations import resolve_activation
from ..errors import InvalidArgumentError
from .phasenet import PHASES

__all__ = ["AnnotateSettings", "TARGET_RATE"]

#: Sampling rate the pickers are trained at (Hz); records are resampled to it.
TARGET_RATE = 100.0


@dataclass(frozen=True)
class AnnotateSettings:
    """How a record is cut into windows, run through the picker, stacked and picked.

    Attributes:
        phases: the name of each output channel of the model, in order.
        pick_phases: the phases to pick (default: all but ``"noise"``/``"N"``); a tuple once made.
        activation: maps the model's output to probabilities: ``"sigmoid"`` (our PhaseNet),
            ``"softmax"`` (over channels), a callable, or ``None`` when the model already
            returns probabilities (SeisBench models do by default).
        window: window length in samples at ``target_rate``.
        overlap: samples shared by consecutive windows (``0 <= overlap < window``).
        stacking: ``"avg"`` (mean of the overlapping predictions) or ``"max"``.
        blinding: samples ignored at each inner edge of every window, where a picker sees
            only part of an arrival (``2 * blinding <= overlap``); the record's own ends
            are kept.
        threshold: minimum probability of a pick, one value or ``{phase: value}``; once
            made, a ``{phase: value}`` dict with one value per picked phase.
        min_distance: minimum samples between two picks of one phase.
        batch_size: windows per forward pass.
        normalize: demean and peak-normalise each window per component (turn off for a
            model that normalises itself).
        component_order: the model's input components, e.g. ``"ENZ"`` (ours) or ``"ZNE"``.
        short: a segment shorter than ``window``: ``"pad"`` (one zero-padded window),
            ``"skip"`` or ``"raise"``.
        target_rate: the model's sampling rate; other rates are resampled to it.
        device: where to run the model (default: where its parameters are).
        overlaps: traces of one channel that overlap in a ``Stream``: ``"merge"`` (identical
            samples merge into one copy; where they differ, the later trace wins, as ObsPy's
            ``Stream.merge(method=1)``; each overlap is reported in the messages) or
            ``"raise"`` (refuse overlapping traces whose samples differ).

    Raises:
        InvalidArgumentError: a setting out of its range or of the wrong kind (the message
            names it), e.g. ``overlap >= window`` or a threshold outside [0, 1].

    Example:
        >>> AnnotateSettings(window=1001, overlap=500, threshold={"P": 0.3, "S": 0.5}).threshold
        {'P': 0.3, 'S': 0.5}
    """

    phases: Sequence[str] = PHASES
    pick_phases: Sequence[str] | None = None
    activation: str | Callable[[Tensor], Tensor] | None = "sigmoid"
    window: int = 3001
    overlap: int = 1500
    stacking: str = "avg"
    blinding: int = 0
    threshold: float | Mapping[str, float] = 0.5
    min_distance: int = 100
    batch_size: int = 64
    normalize: bool = True
    component_order: str = "ENZ"
    short: str = "pad"
    target_rate: float = TARGET_RATE
    device: str | torch.device | None = None
    overlaps: str = "merge"

    def __post_init__(self) -> None:
        for name, value in _checked(self).items():
            object.__setattr__(self, name, value)

    @property
    def step(self) -> int:
        """Samples between the starts of two consecutive windows (``window - overlap``)."""
        return self.window - self.overlap

    def as_dict(self) -> dict[str, Any]:
        """The settings as keyword arguments of :func:`~shapeloss.seismic.annotate.annotate`."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _checked(s: AnnotateSettings) -> dict[str, Any]:
    """Every setting checked (in the order annotate always checked them) and normalised."""
    window = check_positive_int(s.window, "window", minimum=2)
    overlap = check_positive_int(s.overlap, "overlap", minimum=0)
    if overlap >= window:
        raise InvalidArgumentError(f"overlap: expected an int in [0, window={window}), got {overlap}")
    blinding = check_positive_int(s.blinding, "blinding", minimum=0)
    if 2 * blinding > overlap:
        raise InvalidArgumentError(
            f"blinding: expected at most overlap / 2 = {overlap // 2} (else some samples get no prediction), got {blinding}"
        )
    check_choice(s.stacking, "stacking", ("avg", "max"))
    check_choice(s.short, "short", ("pad", "skip", "raise"))
    min_distance = check_positive_int(s.min_distance, "min_distance")
    batch_size = check_positive_int(s.batch_size, "batch_size")
    order = s.component_order
    if not isinstance(order, str) or not order or len(set(order)) != len(order):
        raise InvalidArgumentError(f"component_order: expected distinct component letters such as 'ENZ', got {order!r}")
    phases = tuple(s.phases)
    if not phases or not all(isinstance(p, str) for p in phases) or len(set(phases)) != len(phases):
        raise InvalidArgumentError(f"phases: expected distinct names of the model's output channels, got {phases!r}")
    pick_phases = s.pick_phases
    if pick_phases is None:
        pick_phases = tuple(p for p in phases if p.lower() not in ("noise", "n"))
    unknown = [p for p in pick_phases if p not in phases]
    if unknown:
        raise InvalidArgumentError(f"pick_phases: expected names among phases {list(phases)}, got {unknown}")
    thresholds = _thresholds(s.threshold, pick_phases)
    if not (is_real(s.target_rate) and math.isfinite(s.target_rate) and s.target_rate > 0):
        raise InvalidArgumentError(f"target_rate: expected a positive float, got {s.target_rate!r}")
    if s.activation is not None:
        resolve_activation(s.activation)
    if s.activation == "softmax" and len(phases) == 1:
        raise InvalidArgumentError(
            "activation: expected 'sigmoid' (or a callable) for a model with one output channel, got 'softmax' "
            "(a softmax over one channel is 1.0 everywhere: no picks could be told apart)"
        )
    check_choice(s.overlaps, "overlaps", ("merge", "raise"))
    normalize = check_bool(s.normalize, "normalize")
    if s.device is not None:
        try:
            torch.device(s.device)
        except (RuntimeError, TypeError) as exc:
            raise InvalidArgumentError(f"device: expected a device torch knows ('cpu', 'cuda:0', ...), got {s.device!r}") from exc
    return {
        "window": window, "overlap": overlap, "blinding": blinding, "min_distance": min_distance,
        "batch_size": batch_size, "phases": phases, "pick_phases": tuple(pick_phases), "threshold": thresholds,
        "target_rate": float(s.target_rate), "normalize": normalize,
    }


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
