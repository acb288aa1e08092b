"""The records that benchmarks/seismic_continuous.py picks: long synthetic records and whole NCEDC traces.

Each set is a list of groups (a record or a trace: the unit the bootstrap resamples) with the
waveforms, one or two catalogues (``analyst``: the picks a training set would carry; ``truth``:
the true onsets of the generator, or the original catalogue picks of the semi-real variant)
and the intervals that hold only noise.
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field

import numpy as np

from shapeloss.seismic import SyntheticConfig, event_record, jitter_s_picks, load_phasenet_folder, split_by_trace

#: Shifted synthetic distributions (SyntheticConfig overrides on top of the base settings).
SHIFTS: dict[str, dict] = {
    "scatter10": {"emergent_s_jitter": 10.0},
    "scatter40": {"emergent_s_jitter": 40.0},
    "snr0-12": {"snr_db": (0.0, 12.0)},
    "impulsive70": {"impulsive_s_fraction": 0.7},
}

#: Pre-event noise of an NCEDC trace ends this many samples before its P pick.
NCEDC_NOISE_GUARD = 200


@dataclass
class Group:
    name: str
    waveforms: np.ndarray  # (3, N) E, N, Z
    catalogues: dict[str, dict[str, np.ndarray]]  # {"analyst"|"truth": {"P": positions, "S": positions}}
    noise: np.ndarray  # (k, 2) [start, stop) noise-only intervals


@dataclass
class RecordSet:
    name: str
    kind: str  # "synthetic" or "real"
    groups: list[Group]
    description: dict = field(default_factory=dict)

    def summary(self) -> dict:
        samples = sum(g.waveforms.shape[1] for g in self.groups)
        noise = sum(float(np.sum(g.noise[:, 1] - g.noise[:, 0])) for g in self.groups)
        return {"kind": self.kind, "groups": len(self.groups), "hours": samples / 360000.0, "noise_hours": noise / 360000.0,
                "events": {p: int(sum(g.catalogues["analyst"][p].size for g in self.groups)) for p in ("P", "S")},
                "catalogues": sorted(self.groups[0].catalogues) if self.groups else [], **self.description}


def _round(x: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(x, dtype=np.float64)).astype(np.int64)


def synthetic_set(name: str, base: dict, overrides: dict, seed: int, records: int, record_s: float,
                  events_per_hour: float, close_fraction: float) -> RecordSet:
    """``records`` records of ``record_s`` seconds from ``SyntheticConfig(**base, **overrides)``; the
    records depend on the seed and the set's name only."""
    settings = {**base, **overrides}
    config = SyntheticConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in settings.items()})
    stream = zlib.crc32(name.encode())
    groups = []
    for k in range(records):
        rec = event_record(record_s, events_per_hour, close_fraction, seed=np.random.default_rng([2 * 10**6, stream, seed, k]),
                           config=config)
        groups.append(Group(f"{name}_{k}", rec.waveforms,
                            {"analyst": {"P": _round(rec.p_picks), "S": _round(rec.s_picks)},
                             "truth": {"P": _round(rec.p_onsets), "S": _round(rec.s_onsets)}},
                            rec.noise_intervals))
    return RecordSet(name, "synthetic", groups, {"overrides": overrides, "config": dataclasses.asdict(config),
                                                  "events_per_hour": events_per_hour, "close_fraction": close_fraction})


def ncedc_sets(path: str, jitter: bool, names: tuple[str, ...] = ("ncedc",)) -> dict[str, RecordSet]:
    """Whole NCEDC traces of the benchmark's split: ``ncedc`` (test) and ``ncedc_dev`` (dev).

    With ``jitter`` (the semi-real variant) the analyst's S picks are the benchmark's perturbed
    ones (``jitter_s_picks``, seed 0) and ``truth`` holds the original catalogue picks.
    """
    originals = load_phasenet_folder(path)
    traces = jitter_s_picks(originals, seed=0)[0] if jitter else originals
    by_name = {t.name: t for t in originals}
    splits = split_by_trace(traces)
    out = {}
    for name in names:
        part = splits["dev" if name == "ncedc_dev" else "test"]
        groups = []
        for t in part:
            cat = {"analyst": {"P": np.array([t.itp]), "S": np.array([t.its])}}
            if jitter:
                cat["truth"] = {"P": np.array([t.itp]), "S": np.array([by_name[t.name].its])}
            noise = np.array([[0, max(0, t.itp - NCEDC_NOISE_GUARD)]], dtype=np.int64)
            groups.append(Group(t.name, t.data, cat, noise))
        out[name] = RecordSet(name, "real", groups, {"split": "dev" if name == "ncedc_dev" else "test", "semi_real_jitter": jitter})
    return out
