"""Leads as training examples: normalised signals, boundary targets, annotation masks.

Every lead of every record becomes one example with its own annotations (LUDB
annotates each lead separately). Training windows are cropped *inside* the
annotated span of a lead, so the unannotated first and last beats never reach
the loss (a masked loss without any mask to carry); evaluation runs on whole
leads and counts only what falls inside :attr:`LeadSet.masks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .._validation import check_positive_int
from ..errors import InvalidArgumentError
from .ludb import EcgRecord, annotated_span, annotation_mask, boundary_positions, boundary_targets, segment_masks

__all__ = ["LeadSet", "build_lead_set", "normalize_lead", "sample_windows"]


def normalize_lead(x: np.ndarray, sampling_rate: float = 500.0) -> np.ndarray:
    """Remove baseline wander (a 1 s moving mean) and scale to unit standard deviation."""
    x = np.asarray(x, dtype=np.float64)
    w = max(int(sampling_rate), 1)
    pad = np.pad(x, (w // 2, w - w // 2 - 1), mode="edge")
    c = np.cumsum(np.concatenate(([0.0], pad)))
    trend = (c[w:] - c[:-w]) / w
    y = x - trend
    return (y / (y.std() + 1e-6)).astype(np.float32)


@dataclass
class LeadSet:
    """Per-lead arrays, one row per (record, lead).

    Attributes:
        signals: ``(N, L)`` float32, normalised (:func:`normalize_lead`).
        targets: ``(N, C, L)`` float32 (6 boundary peaks, or 3 segment masks).
        masks: ``(N, L)`` bool, true inside each lead's annotated span.
        spans: ``(N, 2)`` int64 ``[start, stop)`` of the annotated spans.
        boundaries: per lead, one int64 array of positions per boundary kind.
        records, leads: where each row came from.
        sampling_rate: Hz.
    """

    signals: np.ndarray
    targets: np.ndarray
    masks: np.ndarray
    spans: np.ndarray
    boundaries: list[list[np.ndarray]]
    records: list[str]
    leads: list[str]
    sampling_rate: float

    def __len__(self) -> int:
        return len(self.signals)


def build_lead_set(
    records: Sequence[EcgRecord],
    leads: Sequence[str] | None = None,
    target: str = "boundaries",
    width: float = 5.0,
) -> LeadSet:
    """Collect the annotated leads of ``records`` (leads without waves are skipped).

    Args:
        records: records from :func:`~shapeloss.ecg.load_ludb` or
            :func:`~shapeloss.ecg.make_synthetic_ecg` (all of one length and rate).
        leads: lead names to keep (default: every annotated lead).
        target: ``"boundaries"`` (6 Gaussian peaks) or ``"segments"`` (3 masks).
        width: standard deviation of the boundary peaks, samples.
    """
    if target not in ("boundaries", "segments"):
        raise InvalidArgumentError(f"target: expected 'boundaries' or 'segments', got {target!r}")
    if not records:
        raise InvalidArgumentError("records: expected at least one record, got none")
    lengths = {r.signals.shape[1] for r in records}
    rates = {r.sampling_rate for r in records}
    if len(lengths) != 1 or len(rates) != 1:
        raise InvalidArgumentError(
            f"records: expected one length and one sampling rate, got lengths {sorted(lengths)} and rates {sorted(rates)}"
        )
    L, fs = lengths.pop(), rates.pop()
    sig, tgt, msk, spans, bnd, rec_ids, lead_ids = [], [], [], [], [], [], []
    for r in records:
        for lead in (leads if leads is not None else list(r.waves)):
            waves = r.waves.get(lead)
            if not waves:
                continue
            sig.append(normalize_lead(r.lead(lead), fs))
            tgt.append(boundary_targets(waves, L, width) if target == "boundaries" else segment_masks(waves, L))
            msk.append(annotation_mask(waves, L))
            spans.append(annotated_span(waves))
            bnd.append(boundary_positions(waves))
            rec_ids.append(r.record)
            lead_ids.append(lead)
    if not sig:
        raise InvalidArgumentError(f"leads: expected annotated leads among the records, got none for {leads!r}")
    return LeadSet(
        signals=np.stack(sig),
        targets=np.stack(tgt),
        masks=np.stack(msk),
        spans=np.asarray(spans, dtype=np.int64),
        boundaries=bnd,
        records=rec_ids,
        leads=lead_ids,
        sampling_rate=float(fs),
    )


def sample_windows(
    data: LeadSet, n: int, window: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random windows lying inside annotated spans.

    Leads whose span is shorter than ``window`` are cropped from their span's
    start as far as it goes and then from the start of the span backwards, so a
    few unannotated samples can appear only for such short spans.

    Returns:
        ``(signals (n, 1, window), targets (n, C, window))`` float32 tensors.
    """
    n = check_positive_int(n, "n")
    window = check_positive_int(window, "window")
    if window > data.signals.shape[1]:
        raise InvalidArgumentError(f"window: expected at most the lead length {data.signals.shape[1]}, got {window}")
    rows = rng.integers(0, len(data), size=n)
    L = data.signals.shape[1]
    x = np.empty((n, 1, window), dtype=np.float32)
    y = np.empty((n, data.targets.shape[1], window), dtype=np.float32)
    for i, row in enumerate(rows):
        start, stop = data.spans[row]
        room = stop - start - window
        s = start + int(rng.integers(0, room + 1)) if room >= 0 else max(min(start, L - window), 0)
        x[i, 0] = data.signals[row, s : s + window]
        y[i] = data.targets[row, :, s : s + window]
    return torch.from_numpy(x), torch.from_numpy(y)
