"""Continuous picking: windows, stacking, picks with absolute times, resampling, gaps, short traces."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from shapeloss.errors import InvalidArgumentError, ShapeMismatchError
from shapeloss.seismic import PhaseNet, synthetic_record
from shapeloss.seismic.annotate import annotate
from shapeloss.seismic.labels import gaussian_labels


class OracleModel(nn.Module):
    """A stand-in for a trained picker on a synthetic record whose picks are known.

    Each window it receives is located in the record by normalised cross-correlation of
    the vertical component (the window is demeaned and peak-normalised, which
    correlation ignores); it answers with the record's labels at that place, shifted by
    a random few samples and lowered to 0.9 (an imperfect picker), as logits. It knows
    nothing about how annotate cuts, batches or stacks.
    """

    def __init__(self, record: np.ndarray, labels: np.ndarray, max_shift: int = 4, seed: int = 0) -> None:
        super().__init__()
        self.record, self.labels = record.astype(np.float64), labels
        self.max_shift = max_shift
        self.rng = np.random.default_rng(seed)
        self.calls = 0

    def locate(self, window: np.ndarray) -> int:
        z, w = self.record[2], window[2].astype(np.float64)
        n, length = z.size, w.size
        w = w - w.mean()
        size = 1 << int(np.ceil(np.log2(n + length)))
        corr = np.fft.irfft(np.fft.rfft(z, size) * np.conj(np.fft.rfft(w, size)), size)[: n - length + 1]
        c1 = np.concatenate(([0.0], np.cumsum(z)))
        c2 = np.concatenate(([0.0], np.cumsum(z * z)))
        s1, s2 = c1[length:] - c1[:-length], c2[length:] - c2[:-length]
        local_std = np.sqrt(np.maximum(s2 - s1 * s1 / length, 1e-12))
        return int(np.argmax(corr / local_std))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        out = []
        for window in x.numpy():
            start = self.locate(window)
            shift = int(self.rng.integers(-self.max_shift, self.max_shift + 1))
            lo = min(max(start + shift, 0), self.labels.shape[1] - x.shape[-1])
            p = 0.9 * self.labels[:, lo : lo + x.shape[-1]]
            out.append(np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1)))
        return torch.from_numpy(np.stack(out)).float()


@pytest.fixture(scope="module")
def record():
    return synthetic_record(duration_s=300.0, n_events=6, seed=3)


def test_synthetic_multi_minute_record_recovers_known_picks(record):
    n = record.waveforms.shape[1]
    labels = gaussian_labels([0.0], [0.0], n)[0] * 0  # (3, N)
    for p in record.p_picks:
        labels[0] += gaussian_labels([p], [np.nan], n)[0, 0]
    for s in record.s_picks:
        labels[1] += gaussian_labels([np.nan], [s], n)[0, 1]
    labels[2] = np.clip(1 - labels[0] - labels[1], 0, 1)
    model = OracleModel(record.waveforms, labels)
    start = "2021-03-04T05:06:07"
    out = annotate(record.waveforms, model, sampling_rate=100.0, start_time=start, batch_size=8)

    assert out.probabilities.shape == (3, n)
    assert out.traces[0].sampling_rate == 100.0
    windows = int(np.ceil((n - 3001) / 1501)) + 1
    assert model.calls == int(np.ceil(windows / 8))  # batched, not one call per window
    for phase, known in (("P", record.p_picks), ("S", record.s_picks)):
        found = np.array([p.sample for p in out.picks_of(phase)])
        assert len(found) == len(known), (phase, found, known)
        assert np.max(np.abs(np.sort(found) - np.sort(known))) <= 10
    # absolute times: start + sample / rate
    base = out.traces[0].start_time
    for pick in out.picks:
        assert abs(float(pick.time - base) - pick.sample / 100.0) < 1e-6
    obspy = pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")
    assert isinstance(out.picks[0].time, obspy.UTCDateTime)
    assert out.traces[0].start_time == obspy.UTCDateTime(start)


class Pointwise(nn.Module):
    """A 1x1 convolution: its output at a sample depends only on that sample."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv1d(3, 3, 1)

    def forward(self, x):
        return self.conv(x)


@pytest.mark.parametrize("stacking", ["avg", "max"])
@pytest.mark.parametrize("overlap,blinding", [(0, 0), (700, 0), (1500, 300)])
def test_stacking_a_local_model_equals_one_pass_over_the_record(stacking, overlap, blinding):
    x = np.random.default_rng(1).standard_normal((3, 9_123)).astype(np.float32)
    model = Pointwise()
    out = annotate(x, model, sampling_rate=100.0, normalize=False, overlap=overlap, blinding=blinding,
                   stacking=stacking, window=2000, batch_size=3)
    with torch.no_grad():
        whole = torch.sigmoid(model(torch.from_numpy(x)[None]))[0].numpy()
    np.testing.assert_allclose(out.probabilities, whole, rtol=1e-5, atol=1e-6)
    assert out.traces[0].start_time == 0.0  # no start_time: seconds from the first sample


def test_model_mode_restored_and_no_gradients():
    model = PhaseNet().train()
    x = np.random.default_rng(2).standard_normal((3, 4000)).astype(np.float32)
    out = annotate(x, model, sampling_rate=100.0)
    assert model.training
    assert out.probabilities.dtype == np.float32
    assert ((out.probabilities >= 0) & (out.probabilities <= 1)).all()


def test_resampling_array_to_100_hz_keeps_start_and_duration():
    x = np.random.default_rng(3).standard_normal((3, 4000)).astype(np.float32)
    with pytest.warns(UserWarning, match="resampled from 40 Hz to 100 Hz"):
        out = annotate(x, PhaseNet(), sampling_rate=40.0, start_time=dt.datetime(2020, 1, 1))
    assert out.probabilities.shape == (3, 10_000)
    assert out.traces[0].sampling_rate == 100.0


def test_gaps_in_an_array_split_it_into_segments():
    x = np.random.default_rng(4).standard_normal((3, 10_000)).astype(np.float32)
    x[:, 4000:4500] = np.nan
    with pytest.warns(UserWarning, match="gap"):
        out = annotate(x, PhaseNet(), sampling_rate=100.0, start_time=0.0)
    assert [t.data.shape[1] for t in out.traces] == [4000, 5500]
    assert float(out.traces[1].start_time) == pytest.approx(45.0)
    assert any("gap" in m for m in out.messages)


def test_short_record_is_padded_skipped_or_refused():
    x = np.random.default_rng(5).standard_normal((3, 1200)).astype(np.float32)
    with pytest.warns(UserWarning, match="shorter than the 3001-sample window; annotated as one zero-padded"):
        out = annotate(x, PhaseNet(), sampling_rate=100.0)
    assert out.probabilities.shape == (3, 1200)
    with pytest.warns(UserWarning, match="skipped"):
        assert annotate(x, PhaseNet(), sampling_rate=100.0, short="skip").traces == []
    with pytest.raises(InvalidArgumentError, match="data: expected segments of at least window=3001 samples"):
        annotate(x, PhaseNet(), sampling_rate=100.0, short="raise")


def test_invalid_arguments_name_the_argument():
    x = np.zeros((3, 5000), dtype=np.float32)
    with pytest.raises(InvalidArgumentError, match="sampling_rate: expected"):
        annotate(x, PhaseNet())
    with pytest.raises(InvalidArgumentError, match="overlap: expected an int in"):
        annotate(x, PhaseNet(), sampling_rate=100.0, overlap=3001)
    with pytest.raises(InvalidArgumentError, match="blinding: expected at most"):
        annotate(x, PhaseNet(), sampling_rate=100.0, overlap=100, blinding=60)
    with pytest.raises(InvalidArgumentError, match="stacking: expected one of"):
        annotate(x, PhaseNet(), sampling_rate=100.0, stacking="median")
    with pytest.raises(InvalidArgumentError, match="threshold: expected a value for every picked phase"):
        annotate(x, PhaseNet(), sampling_rate=100.0, threshold={"P": 0.5})
    with pytest.raises(ShapeMismatchError, match="data: expected 3 components"):
        annotate(np.zeros((2, 5000), dtype=np.float32), PhaseNet(), sampling_rate=100.0)
    with pytest.raises(ShapeMismatchError, match="model output: expected"):
        annotate(x, PhaseNet(), sampling_rate=100.0, phases=("P", "S"))
    with pytest.raises(TypeError, match="model: expected"):
        annotate(x, "phasenet", sampling_rate=100.0)


# ------------------------------------------------------------------ ObsPy streams

def test_obspy_example_stream():
    obspy = pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")
    stream = obspy.read()  # ObsPy's bundled example: BW.RJOB EHZ/EHN/EHE, 100 Hz, 3000 samples
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # 3000 < 3001 samples: padded, reported
        out = annotate(stream, PhaseNet(), threshold=0.0)
    assert len(out.traces) == 1
    trace = out.traces[0]
    assert trace.trace_id == "BW.RJOB..EH"
    assert trace.data.shape == (3, 3000)
    assert trace.start_time == stream[0].stats.starttime
    assert all(isinstance(p.time, obspy.UTCDateTime) for p in out.picks)
    probs = out.to_stream()
    assert [tr.stats.channel for tr in probs] == ["shapeloss_P", "shapeloss_S", "shapeloss_noise"]
    assert all(tr.stats.npts == 3000 and tr.stats.sampling_rate == 100.0 for tr in probs)

    # 50 Hz: resampled to 100 Hz, same start and duration
    with pytest.warns(UserWarning, match="resampled from 50 Hz"):
        out50 = annotate(stream.copy().resample(50.0), PhaseNet(), short="pad")
    assert out50.traces[0].data.shape == (3, 3000)
    assert any("resampled from 50 Hz" in m for m in out50.messages)


def test_stream_with_gap_and_missing_component_and_two_stations():
    obspy = pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")
    rng = np.random.default_rng(6)
    t0 = obspy.UTCDateTime(2022, 5, 1)
    traces = []
    for comp in "ENZ":
        traces.append(obspy.Trace(rng.standard_normal(5000).astype(np.float32),
                                  {"network": "XX", "station": "A", "channel": f"HH{comp}", "starttime": t0, "sampling_rate": 100.0}))
        traces.append(obspy.Trace(rng.standard_normal(4000).astype(np.float32),
                                  {"network": "XX", "station": "A", "channel": f"HH{comp}", "starttime": t0 + 60, "sampling_rate": 100.0}))
    traces.append(obspy.Trace(rng.standard_normal(6000).astype(np.float32),
                              {"network": "XX", "station": "B", "channel": "HHZ", "starttime": t0, "sampling_rate": 100.0}))
    with pytest.warns(UserWarning):
        out = annotate(obspy.Stream(traces), PhaseNet())
    a = [t for t in out.traces if t.trace_id == "XX.A..HH"]
    b = [t for t in out.traces if t.trace_id == "XX.B..HH"]
    assert [t.data.shape[1] for t in a] == [5000, 4000]
    assert a[1].start_time == t0 + 60
    assert [t.data.shape[1] for t in b] == [6000]
    assert any("XX.B..HH: no E/N component; filled with zeros" in m for m in out.messages)
    assert any("XX.A..HH: gaps" in m for m in out.messages)
