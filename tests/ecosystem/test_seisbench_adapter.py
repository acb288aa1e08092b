"""SeisBench interop: its PhaseNet under ShapeLoss, our picker as a WaveformModel, datasets on disk."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

pytest.importorskip("seisbench", reason="SeisBench (extra 'seismic') not installed")
obspy = pytest.importorskip("obspy", reason="ObsPy (extra 'seismic') not installed")

import seisbench  # noqa: E402
import seisbench.data as sbd  # noqa: E402
import seisbench.models as sbm  # noqa: E402

from shapeloss import AdversarialTrainer  # noqa: E402
from shapeloss.discriminators import GlobalCritic  # noqa: E402
from shapeloss.errors import DataFormatError  # noqa: E402
from shapeloss.seismic import NpzBatches, PhaseNet, synthetic_windows  # noqa: E402
from shapeloss.seismic.seisbench_adapter import (  # noqa: E402
    ShapeLossPicker,
    load_seisbench_splits,
    load_seisbench_traces,
    reorder_channels,
    resolve_seisbench_path,
    seisbench_shape_loss,
    soft_cross_entropy,
)


pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # SeisBench vs pandas 3


@pytest.fixture(autouse=True)
def _quiet_seisbench():
    level = seisbench.logger.level
    seisbench.logger.setLevel(logging.ERROR)
    yield
    seisbench.logger.setLevel(level)


def test_seisbench_phasenet_trains_under_shapeloss():
    torch.manual_seed(0)
    model = sbm.PhaseNet()  # labels "NPS", components "ZNE", softmax unless logits=True
    critic = GlobalCritic(3, 3, width=8, depth=2, first_stride=4, norm="none")
    generator, loss = seisbench_shape_loss(model, critic, weight=100.0)
    assert loss.activation_name == "softmax"

    w = synthetic_windows(2, seed=0)
    x = reorder_channels(torch.from_numpy(w.waveforms), "ENZ", model.component_order)
    y = reorder_channels(torch.from_numpy(w.labels), "PSN", "".join(model.labels))
    # the activation the critic sees is exactly what SeisBench's own forward returns
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(loss.activation(generator(x)), model(x))
    model.train()

    before = [p.detach().clone() for p in model.parameters()]
    trainer = AdversarialTrainer(generator, loss, torch.optim.Adam(generator.parameters(), 1e-3),
                                 torch.optim.Adam(critic.parameters(), 1e-4), progress=False)
    rows = trainer.fit(lambda step: (x, y), steps=3)
    assert len(rows) == 3
    assert all(np.isfinite(r["base"]) and np.isfinite(r["discriminator"]) and "adversarial" in r for r in rows)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_soft_cross_entropy_equals_torch_cross_entropy_with_probabilities():
    logits, target = torch.randn(2, 3, 10), torch.softmax(torch.randn(2, 3, 10), 1)
    torch.testing.assert_close(soft_cross_entropy(logits, target), torch.nn.functional.cross_entropy(logits, target))


def test_reorder_channels_round_trip():
    x = np.arange(12.0).reshape(1, 3, 4)
    y = reorder_channels(reorder_channels(x, "PSN", "NPS"), "NPS", "PSN")
    np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(reorder_channels(x[0], "ENZ", "ZNE")[0], x[0, 2])


def test_picker_as_waveform_model_annotates_obspy_example_stream():
    torch.manual_seed(0)
    picker = ShapeLossPicker(PhaseNet())
    stream = obspy.read()  # BW.RJOB, 3 components, 100 Hz, 3000 samples (one sample short of a window)
    out = picker.annotate(stream)
    assert sorted(tr.stats.channel for tr in out) == ["ShapeLossPicker_N", "ShapeLossPicker_P", "ShapeLossPicker_S"]
    for tr in out:
        assert tr.stats.sampling_rate == 100.0
        assert tr.stats.npts == 3000
        assert tr.stats.starttime == stream[0].stats.starttime
        assert np.all((tr.data >= 0) & (tr.data <= 1))
    picks = picker.classify(stream, P_threshold=0.05, S_threshold=0.05).picks
    assert all(p.phase in ("P", "S") for p in picks)

    # 50 Hz is resampled to the model's 100 Hz
    out50 = picker.annotate(stream.copy().resample(50.0))
    assert {tr.stats.sampling_rate for tr in out50} == {100.0}


def test_picker_on_a_long_stream_agrees_with_shapeloss_annotate():
    """SeisBench's windowing and stacking against ours, on a 90 s record: the same probabilities
    away from window edges (both average overlapping windows of the same net)."""
    from shapeloss.seismic.annotate import annotate

    torch.manual_seed(0)
    net = PhaseNet().eval()
    rng = np.random.default_rng(0)
    t0 = obspy.UTCDateTime(2020, 1, 1)
    data = rng.standard_normal((3, 9000)).astype(np.float32)
    stream = obspy.Stream([obspy.Trace(data[i], {"station": "X", "channel": f"HH{c}", "starttime": t0, "sampling_rate": 100.0})
                           for i, c in enumerate("ENZ")])
    theirs = ShapeLossPicker(net).annotate(stream)
    ours = annotate(stream, net).traces[0]
    p_theirs = theirs.select(channel="ShapeLossPicker_P")[0].data
    assert p_theirs.size == 9000
    assert np.corrcoef(p_theirs, ours["P"])[0, 1] > 0.95


def _write_tiny_dataset(folder):
    w = synthetic_windows(6, seed=1)
    with sbd.WaveformDataWriter(folder / "metadata.csv", folder / "waveforms.hdf5") as writer:
        writer.data_format = {"dimension_order": "CW", "component_order": "ZNE", "measurement": "velocity",
                              "unit": "counts", "instrument_response": "not restituted"}
        for i in range(6):
            zne = w.waveforms[i][[2, 1, 0]]
            rate = 100.0
            p, s = float(w.p_pick[i]), float(w.s_pick[i])
            if i == 5:  # a 50 Hz trace: samples and picks halve
                zne, rate, p, s = zne[:, ::2], 50.0, p / 2, s / 2
            meta = {"trace_name": f"tr{i}", "station_code": "STA", "trace_sampling_rate_hz": rate,
                    "trace_start_time": "2020-01-01T00:00:00", "trace_p_arrival_sample": p,
                    "trace_s_arrival_sample": s if i != 4 else np.nan,  # no S pick: left out
                    "split": ["train", "train", "dev", "test", "train", "train"][i]}
            writer.add_trace(meta, zne)
    return w


def test_tiny_seisbench_dataset_on_disk(tmp_path, monkeypatch):
    folder = tmp_path / "datasets" / "tiny"
    w = _write_tiny_dataset(folder)
    traces = load_seisbench_traces(folder)
    assert [t.name for t in traces] == ["tr0", "tr1", "tr2", "tr3", "tr5"]
    for t in traces[:4]:
        i = int(t.name[2:])
        assert t.data.shape == (3, 3001) and t.data.dtype == np.float32
        assert t.itp == round(w.p_pick[i]) and t.its == round(w.s_pick[i])
        np.testing.assert_allclose(t.data[0], w.waveforms[i][0], atol=1e-6)  # back in E, N, Z order
        assert t.components == 3
    assert abs(traces[4].itp - w.p_pick[5]) <= 1  # 50 Hz picks scaled to 100 Hz
    assert traces[4].data.shape[1] in (3001, 3002)

    splits = load_seisbench_splits(folder)
    assert [len(splits[k]) for k in ("train", "dev", "test")] == [3, 1, 1]

    # the benchmark's batches from real traces accept them as they are
    x, y = NpzBatches(splits["train"], batch_size=2, seed=0, length=2000)(0)
    assert x.shape == (2, 3, 2000) and y.shape == (2, 3, 2000)
    assert torch.allclose(y[:, 0].amax(-1), torch.ones(2), atol=1e-3)

    # "seisbench:<name>" looks in SeisBench's cache and never downloads
    monkeypatch.setattr(seisbench, "cache_data_root", tmp_path)
    assert resolve_seisbench_path("seisbench:tiny") == folder
    with pytest.raises(DataFormatError, match="never downloads"):
        resolve_seisbench_path("seisbench:stead")
    with pytest.raises(DataFormatError, match="expected split 'val'"):
        load_seisbench_traces(folder, split="val")


def test_shapeloss_annotate_runs_a_seisbench_phasenet():
    """Our continuous picker with SeisBench's PhaseNet: probabilities out (activation=None),
    channels noise/P/S, components Z/N/E."""
    from shapeloss.seismic.annotate import annotate

    torch.manual_seed(0)
    model = sbm.PhaseNet()
    stream = obspy.read()
    with pytest.warns(UserWarning, match="zero-padded"):
        out = annotate(stream, model, activation=None, phases=("noise", "P", "S"), component_order="ZNE")
    trace = out.traces[0]
    assert trace.data.shape == (3, 3000)
    np.testing.assert_allclose(trace.data.sum(axis=0), 1.0, rtol=1e-5)  # a softmax over the three
    assert {p.phase for p in out.picks} <= {"P", "S"}
