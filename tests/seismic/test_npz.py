from pathlib import Path

import numpy as np
import pytest

from shapeloss.errors import DataFormatError
from shapeloss.seismic import (
    jitter_s_picks,
    load_phasenet_folder,
    random_crops,
    read_phasenet_npz,
    s_onset_sharpness,
    split_by_trace,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "phasenet_ncedc"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/phasenet_ncedc is absent")


@pytest.fixture(scope="module")
def traces():
    return load_phasenet_folder(SHARED)


@needs_shared
def test_reads_all_shared_traces_with_single_component_ones(traces):
    assert len(traces) == 124
    single = [t for t in traces if t.components == 1]
    assert single and all(np.all(t.data[:2] == 0) and np.any(t.data[2] != 0) for t in single)
    assert all(t.data.shape == (3, 9001) and t.itp == 3000 and t.its > t.itp for t in traces)


@needs_shared
def test_crops_keep_both_picks_inside_and_are_seeded(traces):
    idx = np.arange(len(traces))
    w, y, starts = random_crops(traces, idx, np.random.default_rng(0))
    w2, _, starts2 = random_crops(traces, idx, np.random.default_rng(0))
    np.testing.assert_array_equal(starts, starts2)
    np.testing.assert_array_equal(w, w2)
    assert w.shape == (124, 3, 3001) and np.isfinite(w).all()
    p, s = y[:, 0].argmax(-1), y[:, 1].argmax(-1)
    assert np.all((p >= 100) & (p <= 2900) & (s >= 100) & (s <= 2900))
    np.testing.assert_array_equal(p, [t.itp for t in traces] - starts)
    assert len(set(starts.tolist())) > 50  # the P pick does not sit at a fixed position


@needs_shared
def test_split_is_by_trace_deterministic_and_disjoint(traces):
    a, b = split_by_trace(traces), split_by_trace(list(reversed(traces)))
    names = {k: {t.name for t in v} for k, v in a.items()}
    assert names == {k: {t.name for t in v} for k, v in b.items()}
    assert sum(len(v) for v in names.values()) == 124
    assert not (names["train"] & names["dev"]) and not (names["train"] & names["test"]) and not (names["dev"] & names["test"])


def _write(path, **fields):
    np.savez(path, **fields)
    return path


def test_single_column_file_and_channel_order(tmp_path):
    data = np.zeros((4000, 1))
    data[:, 0] = np.arange(4000)
    t = read_phasenet_npz(_write(tmp_path / "z.npz", data=data, itp=1000, its=1500, channels="HHZ"))
    assert t.components == 1 and np.all(t.data[:2] == 0) and t.data[2, 5] == 5
    data3 = np.stack([np.full(4000, 1.0), np.full(4000, 2.0), np.full(4000, 3.0)], axis=1)
    t3 = read_phasenet_npz(_write(tmp_path / "zne.npz", data=data3, itp=10, its=20, channels="HHZ_HHN_HHE"))
    assert t3.data[:, 0].tolist() == [3.0, 2.0, 1.0]  # reordered to E, N, Z


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"itp": 1, "its": 2, "channels": "EHZ"}, "data"),
        ({"data": np.zeros((100, 2)), "itp": 1, "its": 2, "channels": "EHZ"}, "data"),
        ({"data": np.zeros((100, 3)), "its": 2, "channels": "E_N_Z"}, "itp"),
        ({"data": np.zeros((100, 3)), "itp": 1, "its": 500, "channels": "E_N_Z"}, "its"),
        ({"data": np.full((100, 3), np.nan), "itp": 1, "its": 2, "channels": "E_N_Z"}, "data"),
        ({"data": np.zeros((100, 3)), "itp": 1, "its": 2, "channels": "EHX_EHN_EHZ"}, "channels"),
    ],
)
def test_malformed_files_name_file_and_field(tmp_path, fields, field):
    path = _write(tmp_path / "bad.npz", **fields)
    with pytest.raises(DataFormatError, match=rf"bad\.npz: field '{field}'"):
        read_phasenet_npz(path)


def test_truncated_or_missing_file(tmp_path):
    path = tmp_path / "cut.npz"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataFormatError, match="cut.npz"):
        read_phasenet_npz(path)
    with pytest.raises(DataFormatError, match="no such file"):
        read_phasenet_npz(tmp_path / "absent.npz")
    with pytest.raises(DataFormatError, match="no such folder"):
        load_phasenet_folder(tmp_path / "nowhere")


@needs_shared
def test_label_jitter_moves_only_emergent_s_picks(traces):
    new, emergent = jitter_s_picks(traces, seed=0, emergent_share=0.5)
    again, _ = jitter_s_picks(traces, seed=0, emergent_share=0.5)
    shift = np.array([n.its - t.its for n, t in zip(new, traces)])
    assert [t.its for t in new] == [t.its for t in again]  # seeded
    assert abs(emergent.mean() - 0.5) < 0.05
    assert np.all(shift[~emergent] == 0) and shift[emergent].std() > 10
    assert all(n.itp == t.itp and n.data is t.data for n, t in zip(new, traces))
    sharp = np.array([s_onset_sharpness(t) for t in traces])
    assert sharp[emergent].max() <= sharp[~emergent].min()


@needs_shared
def test_analyst_picks_scatter_per_window_for_emergent_traces_only(traces):
    from shapeloss.seismic import AnalystSPicks, NpzBatches

    emergent = np.arange(len(traces)) % 2 == 0
    sampler = AnalystSPicks(traces, emergent)
    idx = np.array([0] * 200 + [1] * 200)
    its = sampler(idx, np.random.default_rng(0))
    assert its[:200].std() > 10 and np.all(its[200:] == traces[1].its)
    x, y = NpzBatches(traces[:4], 3, seed=1, s_pick_sampler=AnalystSPicks(traces[:4], np.ones(4, bool)))(0)
    assert x.shape == (3, 3, 3001) and float(y[:, 1].max()) > 0.99
