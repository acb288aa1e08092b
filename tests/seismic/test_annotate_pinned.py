"""annotate gives the same picks as before its restructuring (values pinned at commit 7f54cfe).

The expected numbers below were computed once by running this module's cases with the
``annotate`` of commit 7f54cfe (one 185-line function) in a temporary clone; the
restructured ``annotate`` (settings object + overridable steps) must reproduce them. The
model is a fixed random convolution (float64) on a synthetic record with a gap, so every
step runs: segments, windows, batches, stacking (avg, max, blinding), picking, padding.
"""

from __future__ import annotations

import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from shapeloss.seismic import synthetic_record
from shapeloss.seismic.annotate import annotate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pickers import FixedPicker  # noqa: E402


CASES = {
    "avg": dict(threshold=0.9),
    "max_blinding": dict(threshold=0.95, stacking="max", blinding=200, overlap=1000, window=2001),
    "dict_threshold": dict(threshold={"P": 0.9, "S": 0.93}, window=1001, overlap=500, min_distance=50, batch_size=3),
    "short_pad": dict(threshold=0.9, window=6001, overlap=3000),
}

# name: (number of picks, sha256[:16] of "trace.phase.sample;...", sum of pick probabilities,
#        sum of each trace's probabilities, number of messages) -- from commit 7f54cfe
PINNED = {
    "avg": (39, "cc289c9a3f0cbd8b", 37.301, [7904.865, 11779.824], 1),
    "max_blinding": (74, "737dad2fc545511b", 73.077, [9001.113, 12574.522], 1),
    "dict_threshold": (175, "e39042f93017ce28", 171.751, [9622.715, 13143.993], 1),
    "short_pad": (13, "c0707774ea63cf3c", 12.503, [7906.902, 10790.593], 2),
}


@pytest.fixture(scope="module")
def record() -> np.ndarray:
    rec = synthetic_record(duration_s=120.0, n_events=3, seed=5).waveforms.astype(np.float32)
    rec[:, 5000:5300] = np.nan  # a gap: two segments
    return rec


@pytest.mark.parametrize("name", sorted(CASES))
def test_annotate_reproduces_the_pinned_picks(record, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = annotate(record, FixedPicker(), sampling_rate=100.0, **CASES[name])
    n_picks, digest, prob_sum, trace_sums, n_messages = PINNED[name]
    key = ";".join(f"{p.trace_id}.{p.phase}.{p.sample}" for p in out.picks)
    assert len(out.picks) == n_picks
    assert hashlib.sha256(key.encode()).hexdigest()[:16] == digest
    assert sum(p.probability for p in out.picks) == pytest.approx(prob_sum, abs=2e-3)
    assert [t.data.shape[1] for t in out.traces] == [5000, 6700]
    assert [float(t.start_time) for t in out.traces] == [0.0, 53.0]
    assert [float(t.data.astype(np.float64).sum()) for t in out.traces] == pytest.approx(trace_sums, abs=2e-2)
    assert len(out.messages) == n_messages
