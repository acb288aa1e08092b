"""ECG delineation: a LUDB reader (WFDB format 16 and annotation files, no
``wfdb`` dependency), delineation targets, a synthetic ECG generator and the
LUDB metrics (per-boundary sensitivity, PPV, F1 at 150 ms and timing error).
"""

from .ludb import (
    BOUNDARIES,
    LEADS,
    WAVES,
    EcgRecord,
    Wave,
    annotated_span,
    annotation_mask,
    boundary_positions,
    boundary_targets,
    default_ludb_root,
    load_ludb,
    parse_waves,
    read_record,
    record_ids,
    segment_masks,
    split_records,
)
from .metrics import DelineationCounts, delineation_metrics, match_boundaries, pick_boundaries
from .synthetic import SyntheticEcgConfig, make_synthetic_ecg
from .wfdb_format import Annotation, Header, SignalSpec, read_annotations, read_header, read_signals

__all__ = [
    "BOUNDARIES",
    "LEADS",
    "WAVES",
    "EcgRecord",
    "Wave",
    "annotated_span",
    "annotation_mask",
    "boundary_positions",
    "boundary_targets",
    "default_ludb_root",
    "load_ludb",
    "parse_waves",
    "read_record",
    "record_ids",
    "segment_masks",
    "split_records",
    "DelineationCounts",
    "delineation_metrics",
    "match_boundaries",
    "pick_boundaries",
    "SyntheticEcgConfig",
    "make_synthetic_ecg",
    "Annotation",
    "Header",
    "SignalSpec",
    "read_annotations",
    "read_header",
    "read_signals",
]
