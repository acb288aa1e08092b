"""LUDB records, wave annotations and delineation targets.

LUDB (Kalyakulina et al., IEEE Access 8:186181, 2020) holds 10 s, 12-lead ECGs
at 500 Hz with, per lead, P, QRS and T waves annotated as WFDB triplets
``(``, peak, ``)`` with peak symbol ``p``, ``N`` or ``t``. The first and last
beats of each record are not annotated: :func:`annotation_mask` is true only
between the first ``(`` and the last ``)`` of a lead, and both the loss and the
metrics must ignore what lies outside.

Targets per lead, with ``L`` samples:

- :func:`segment_masks`: ``(3, L)`` 0/1 masks of the P, QRS and T spans.
- :func:`boundary_targets`: ``(6, L)`` Gaussian peaks (height 1) at the six
  boundaries, in the order of :data:`BOUNDARIES`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import check_choice, check_positive_int, is_real
from ..errors import DataFormatError, InvalidArgumentError
from .wfdb_format import Annotation, read_annotations, read_signals

__all__ = [
    "WAVES",
    "BOUNDARIES",
    "LEADS",
    "Wave",
    "EcgRecord",
    "parse_waves",
    "read_record",
    "load_ludb",
    "default_ludb_root",
    "record_ids",
    "annotation_mask",
    "annotated_span",
    "segment_masks",
    "boundary_positions",
    "boundary_targets",
    "split_records",
]

WAVES = ("P", "QRS", "T")
"""Wave kinds, in target channel order."""

BOUNDARIES = ("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off")
"""The six fiducials, in boundary-target channel order."""

LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")

_PEAK_TO_WAVE = {"p": "P", "N": "QRS", "t": "T"}


@dataclass(frozen=True)
class Wave:
    """One annotated wave: kind (``"P"``, ``"QRS"``, ``"T"``) and sample indices.

    ``onset`` or ``offset`` is ``None`` when the annotator left that boundary out
    (a few LUDB waves at the edges of the annotated span).
    """

    kind: str
    onset: int | None
    peak: int
    offset: int | None


@dataclass
class EcgRecord:
    """One record: signals in mV and the waves of every lead.

    Attributes:
        record: the record id (``"1"`` ... ``"200"``).
        signals: float32 ``(n_leads, L)`` in mV, gain and baseline applied.
        sampling_rate: Hz.
        leads: lead names, one per row of ``signals``.
        waves: ``{lead: [Wave, ...]}`` in time order.
    """

    record: str
    signals: np.ndarray
    sampling_rate: float
    leads: list[str]
    waves: dict[str, list[Wave]] = field(default_factory=dict)

    def lead(self, name: str) -> np.ndarray:
        """The signal of one lead, ``(L,)``."""
        if name not in self.leads:
            raise InvalidArgumentError(f"name: expected one of {self.leads}, got {name!r}")
        return self.signals[self.leads.index(name)]


def parse_waves(annotations: Sequence[Annotation], source: str = "annotations", strict: bool = False) -> list[Wave]:
    """Group ``(``, peak, ``)`` annotations into waves.

    A peak without its ``(`` or ``)`` gets ``None`` there. A few LUDB leads
    hold annotator slips (record 7, lead v1: a QRS peak one sample *before*
    its ``(``); a boundary that belongs to no peak is dropped, or, with
    ``strict=True``, raises :class:`DataFormatError` naming ``source`` and the
    sample. A symbol other than ``(``, ``)``, ``p``, ``N``, ``t`` always raises.
    """
    waves: list[Wave] = []
    pending_onset: int | None = None
    current: list | None = None  # [kind, onset, peak]

    def orphan(sample: int, what: str) -> None:
        if strict:
            raise DataFormatError(f"{source}: sample {sample}: expected {what}, got an unpaired boundary")

    for a in annotations:
        if a.symbol == "(":
            if current is not None:
                waves.append(Wave(current[0], current[1], current[2], None))
                current = None
            if pending_onset is not None:
                orphan(pending_onset, "a wave peak after '('")
            pending_onset = a.sample
        elif a.symbol in _PEAK_TO_WAVE:
            if current is not None:
                waves.append(Wave(current[0], current[1], current[2], None))
            current = [_PEAK_TO_WAVE[a.symbol], pending_onset, a.sample]
            pending_onset = None
        elif a.symbol == ")":
            if current is None:
                orphan(a.sample, "')' after a wave peak")
                pending_onset = None
                continue
            waves.append(Wave(current[0], current[1], current[2], a.sample))
            current = None
        else:
            raise DataFormatError(
                f"{source}: sample {a.sample}: expected a symbol among '(', ')', 'p', 'N', 't', got {a.symbol!r}"
            )
    if current is not None:
        waves.append(Wave(current[0], current[1], current[2], None))
    elif pending_onset is not None:
        orphan(pending_onset, "a wave peak after '('")
    return waves


def default_ludb_root() -> Path | None:
    """Where LUDB lives: ``$SHAPELOSS_LUDB``, else ``../shared/data/ludb`` next to
    the repository; ``None`` when neither holds a ``RECORDS`` file."""
    candidates = []
    if os.environ.get("SHAPELOSS_LUDB"):
        candidates.append(Path(os.environ["SHAPELOSS_LUDB"]))
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo.parent / "shared" / "data" / "ludb", Path.cwd().parent / "shared" / "data" / "ludb"]
    for c in candidates:
        if (c / "RECORDS").is_file():
            return c
    return None


def record_ids(root: str | Path) -> list[str]:
    """Record ids listed in ``root/RECORDS`` (``"data/1"`` -> ``"1"``)."""
    path = Path(root) / "RECORDS"
    try:
        lines = path.read_text().split()
    except OSError as e:
        raise DataFormatError(f"{path}: expected a readable record list, got {type(e).__name__}: {e.strerror or e}") from None
    return [ln.split("/")[-1] for ln in lines]


def read_record(root: str | Path, record: str | int, leads: Iterable[str] | None = None) -> EcgRecord:
    """Read one LUDB record with the annotations of every lead (or of ``leads``).

    Args:
        root: the LUDB folder (holding ``RECORDS`` and ``data/``).
        record: the record id, e.g. ``"1"`` or ``1``.
        leads: lead names to read annotations for (default: all in the header).
    """
    root = Path(root)
    name = str(record)
    if not name or Path(name).name != name or name in (".", ".."):
        # an id from a RECORDS file or a caller must not read outside root/data
        raise InvalidArgumentError(f"record: expected a record id such as '1', got {record!r}")
    if isinstance(leads, (str, bytes)):
        raise TypeError(f"leads: expected a list of lead names such as ['ii'], got {type(leads).__name__} {leads!r}")
    base = root / "data" / name
    signals, header = read_signals(base)
    names = header.names
    wanted = names if leads is None else list(leads)
    waves = {}
    for lead in wanted:
        if lead not in names:
            raise InvalidArgumentError(f"leads: expected names among {names}, got {lead!r}")
        path = base.with_name(f"{base.name}.{lead}")
        waves[lead] = parse_waves(read_annotations(path), source=str(path))
        n = signals.shape[1]
        for part in ("onset", "peak", "offset"):
            outside = [getattr(w, part) for w in waves[lead]
                       if getattr(w, part) is not None and not 0 <= getattr(w, part) < n]
            if outside:
                raise DataFormatError(
                    f"{path}: sample: expected wave {part}s inside the record [0, {n}), got {outside[:5]}"
                )
    return EcgRecord(str(record), signals, header.sampling_rate, names, waves)


def load_ludb(
    root: str | Path | None = None, records: Iterable[str | int] | None = None, on_error: str = "raise"
) -> list[EcgRecord]:
    """Read several records (default: all in ``RECORDS``) from ``root`` (default :func:`default_ludb_root`).

    ``on_error="skip"`` leaves out records that cannot be read (a truncated
    signal file, a damaged header or annotation) and lists them in one
    ``UserWarning``; ``"raise"`` (default) stops at the first with its error.
    """
    check_choice(on_error, "on_error", ("raise", "skip"))
    if root is None:
        root = default_ludb_root()
        if root is None:
            raise DataFormatError("root: expected a LUDB folder (set SHAPELOSS_LUDB), got none found")
    if isinstance(records, (str, bytes)):
        raise TypeError(f"records: expected a list of record ids such as ['1', '2'], got {type(records).__name__} {records!r}")
    ids = record_ids(root) if records is None else [str(r) for r in records]
    if on_error == "raise":
        return [read_record(root, r) for r in ids]
    out, bad = [], []
    for r in ids:
        try:
            out.append(read_record(root, r))
        except DataFormatError as error:
            bad.append(f"record {r}: {error}")
    if ids and not out:
        raise DataFormatError(f"{root}: expected at least one readable record, got {len(bad)} unreadable: {bad[0]}")
    if bad:
        listing = "\n  ".join(bad)
        warnings.warn(f"{root}: skipped {len(bad)} of {len(ids)} unreadable record(s):\n  {listing}", UserWarning, stacklevel=2)
    return out


def annotated_span(waves: Sequence[Wave]) -> tuple[int, int] | None:
    """``(start, stop)``: from the first annotated sample to one past the last; ``None`` without waves."""
    if not waves:
        return None
    starts = [w.onset if w.onset is not None else w.peak for w in waves]
    stops = [w.offset if w.offset is not None else w.peak for w in waves]
    return min(starts), max(stops) + 1


def annotation_mask(waves: Sequence[Wave], length: int) -> np.ndarray:
    """Boolean ``(length,)``: true between the first ``(`` and the last ``)`` of a lead."""
    length = check_positive_int(length, "length")
    mask = np.zeros(length, dtype=bool)
    span = annotated_span(waves)
    if span is not None:
        mask[max(span[0], 0) : min(span[1], length)] = True
    return mask


def segment_masks(waves: Sequence[Wave], length: int) -> np.ndarray:
    """float32 ``(3, length)``: 1 inside each P, QRS and T wave (onset to offset inclusive).

    A wave without onset (offset) starts (ends) at its peak.
    """
    length = check_positive_int(length, "length")
    out = np.zeros((len(WAVES), length), dtype=np.float32)
    for w in waves:
        lo = w.onset if w.onset is not None else w.peak
        hi = w.offset if w.offset is not None else w.peak
        out[WAVES.index(w.kind), max(lo, 0) : min(hi + 1, length)] = 1.0
    return out


def boundary_positions(waves: Sequence[Wave]) -> list[np.ndarray]:
    """Sample indices of each boundary, in the order of :data:`BOUNDARIES`."""
    pos: list[list[int]] = [[] for _ in BOUNDARIES]
    for w in waves:
        k = WAVES.index(w.kind)
        if w.onset is not None:
            pos[2 * k].append(w.onset)
        if w.offset is not None:
            pos[2 * k + 1].append(w.offset)
    return [np.asarray(sorted(p), dtype=np.int64) for p in pos]


def boundary_targets(waves: Sequence[Wave], length: int, width: float = 5.0) -> np.ndarray:
    """float32 ``(6, length)``: a Gaussian peak (standard deviation ``width``
    samples, height 1) at each boundary, channels as in :data:`BOUNDARIES`.
    Overlapping peaks of one channel combine by maximum."""
    length = check_positive_int(length, "length")
    if not is_real(width) or not width > 0:
        raise InvalidArgumentError(f"width: expected a positive float (samples), got {width!r}")
    t = np.arange(length, dtype=np.float64)
    out = np.zeros((len(BOUNDARIES), length))
    for c, positions in enumerate(boundary_positions(waves)):
        for p in positions:
            lo, hi = max(int(p - 6 * width), 0), min(int(p + 6 * width) + 1, length)
            if lo < hi:
                out[c, lo:hi] = np.maximum(out[c, lo:hi], np.exp(-0.5 * ((t[lo:hi] - p) / width) ** 2))
    return out.astype(np.float32)


def split_records(
    ids: Sequence[str | int], fractions: tuple[float, float, float] = (0.7, 0.1, 0.2), seed: int = 0
) -> dict[str, list[str]]:
    """Deterministic split by record (never by lead or beat, so no patient leaks).

    The ids are sorted numerically (then as text), shuffled with ``seed`` and
    cut by ``fractions`` (train, validation, test). The same ids and seed give
    the same split, whatever their input order.

    Returns:
        ``{"train": [...], "validation": [...], "test": [...]}``.
    """
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"ids: expected a list of record ids such as ['1', '2'], got {type(ids).__name__} {ids!r}")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise InvalidArgumentError(f"fractions: expected three non-negative numbers summing to 1, got {fractions!r}")
    keys = sorted({str(i) for i in ids}, key=lambda s: (0, int(s), s) if s.isdigit() else (1, 0, s))
    order = np.random.default_rng(seed).permutation(len(keys))
    shuffled = [keys[i] for i in order]
    n_train = int(round(fractions[0] * len(keys)))
    n_val = int(round(fractions[1] * len(keys)))
    return {
        "train": shuffled[:n_train],
        "validation": shuffled[n_train : n_train + n_val],
        "test": shuffled[n_train + n_val :],
    }
