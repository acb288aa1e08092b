"""Seismic phase picking with shape losses: PhaseNet, labels, synthetic and real waveforms.

Depends on the core (``shapeloss.losses``, ``shapeloss.training``, ``shapeloss.metrics``); the
core never imports this package.
"""

from .annotate import AnnotateSettings, Annotation, Annotator, Pick, ProbabilityTrace, annotate
from .labels import LABEL_SIGMA, gaussian_labels, normalize_windows, widen_labels, widened_sigma
from .npz import (
    DEFAULT_NCEDC_PATH,
    AnalystSPicks,
    NpzBatches,
    PhaseNetTrace,
    jitter_s_picks,
    load_phasenet_folder,
    random_crops,
    read_phasenet_npz,
    s_burst_offset,
    s_onset_sharpness,
    split_by_trace,
)
from .phasenet import PHASES, PhaseNet
from .synthetic_records import EventRecord, event_record
from .synthetic import (
    SyntheticBatches,
    SyntheticConfig,
    SyntheticRecord,
    SyntheticWindows,
    synthetic_record,
    synthetic_windows,
)

__all__ = [
    "annotate",
    "Annotator",
    "AnnotateSettings",
    "Annotation",
    "Pick",
    "ProbabilityTrace",
    "PHASES",
    "PhaseNet",
    "LABEL_SIGMA",
    "gaussian_labels",
    "normalize_windows",
    "widened_sigma",
    "widen_labels",
    "SyntheticConfig",
    "SyntheticWindows",
    "SyntheticBatches",
    "SyntheticRecord",
    "synthetic_windows",
    "synthetic_record",
    "EventRecord",
    "event_record",
    "PhaseNetTrace",
    "read_phasenet_npz",
    "load_phasenet_folder",
    "split_by_trace",
    "random_crops",
    "NpzBatches",
    "s_onset_sharpness",
    "jitter_s_picks",
    "s_burst_offset",
    "AnalystSPicks",
    "DEFAULT_NCEDC_PATH",
]
