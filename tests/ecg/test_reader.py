"""LUDB reader on two shared records, the WFDB parsers on hand-made files, targets and split."""

import struct
from pathlib import Path

import numpy as np
import pytest

from shapeloss.ecg import (
    BOUNDARIES,
    Wave,
    annotated_span,
    annotation_mask,
    boundary_targets,
    default_ludb_root,
    parse_waves,
    read_annotations,
    read_header,
    read_record,
    read_signals,
    segment_masks,
    split_records,
)
from shapeloss.ecg.wfdb_format import Annotation
from shapeloss.errors import DataFormatError

ROOT = default_ludb_root()
needs_ludb = pytest.mark.skipif(ROOT is None, reason="LUDB not found in ../shared/data/ludb (set SHAPELOSS_LUDB)")


def _annotation_bytes(items):
    """Encode (sample, code) pairs in MIT format (with SKIP for long intervals)."""
    out, last = b"", 0
    for sample, code in items:
        d = sample - last
        if d > 1023:
            out += struct.pack("<H", 59 << 10) + struct.pack("<HH", d >> 16, d & 0xFFFF)
            d = 0
        out += struct.pack("<H", (code << 10) | d)
        last = sample
    return out + b"\x00\x00"


def _write_record(tmp: Path, digital: np.ndarray, gains, baselines, names, checksum=True):
    n_sig, n = digital.shape
    digital.T.astype("<i2").tofile(tmp / "r.dat")
    lines = [f"r {n_sig} 500 {n}"]
    for i in range(n_sig):
        cs = int(digital[i].sum()) & 0xFFFF
        cs = cs - 0x10000 if cs >= 0x8000 else cs
        if not checksum:
            cs += 1
        lines.append(f"r.dat 16 {gains[i]}({baselines[i]})/mV 0 0 {digital[i, 0]} {cs} 0 {names[i]}")
    (tmp / "r.hea").write_text("\n".join(lines) + "\n#<age>: 1\n")


def test_reader_applies_gain_and_baseline(tmp_path):
    digital = np.array([[10, 20, -30, 40], [1000, 0, 5, 7]], dtype=np.int64)
    _write_record(tmp_path, digital, [100.0, 2.5], [10, -5], ["i", "ii"])
    x, h = read_signals(tmp_path / "r")
    assert h.names == ["i", "ii"] and h.n_samples == 4 and h.sampling_rate == 500
    np.testing.assert_allclose(x[0], (digital[0] - 10) / 100.0, rtol=1e-6)
    np.testing.assert_allclose(x[1], (digital[1] + 5) / 2.5, rtol=1e-6)
    assert h.comments == ("<age>: 1",)


def test_reader_refuses_bad_checksum_and_truncation(tmp_path):
    digital = np.arange(8).reshape(2, 4)
    _write_record(tmp_path, digital, [1, 1], [0, 0], ["a", "b"], checksum=False)
    with pytest.raises(DataFormatError, match="checksum"):
        read_signals(tmp_path / "r")
    read_signals(tmp_path / "r", verify=False)
    _write_record(tmp_path, digital, [1, 1], [0, 0], ["a", "b"])
    (tmp_path / "r.dat").write_bytes((tmp_path / "r.dat").read_bytes()[:-2])
    with pytest.raises(DataFormatError, match="size"):
        read_signals(tmp_path / "r")
    (tmp_path / "bad.hea").write_text("bad 2 500 4\nbad.dat 212 200 0 0\nbad.dat 212 200 0 0\n")
    with pytest.raises(DataFormatError, match="format 16"):
        read_signals(tmp_path / "bad")


def test_annotations_with_skip_and_aux(tmp_path):
    items = [(5, 39), (10, 24), (15, 40), (3000, 39), (3010, 1), (3020, 40)]
    data = _annotation_bytes(items)
    # an AUX field of 3 bytes (padded to 4) after the first annotation is skipped
    aux = struct.pack("<H", (63 << 10) | 3) + b"abc\x00"
    data = data[:2] + aux + data[2:]
    (tmp_path / "r.i").write_bytes(data)
    got = read_annotations(tmp_path / "r.i")
    assert [(a.sample, a.symbol) for a in got] == [(5, "("), (10, "p"), (15, ")"), (3000, "("), (3010, "N"), (3020, ")")]


def test_parse_waves_triplets_and_partial():
    ann = [Annotation(s, c) for s, c in [(5, "p"), (9, ")"), (20, "("), (25, "N"), (30, ")"), (40, "("), (50, "t")]]
    waves = parse_waves(ann)
    assert waves == [Wave("P", None, 5, 9), Wave("QRS", 20, 25, 30), Wave("T", 40, 50, None)]
    slip = [Annotation(s, c) for s, c in [(10, "N"), (11, "("), (20, ")")]]
    assert parse_waves(slip) == [Wave("QRS", None, 10, None)]
    with pytest.raises(DataFormatError, match="unpaired"):
        parse_waves(slip, strict=True)
    with pytest.raises(DataFormatError, match="symbol"):
        parse_waves([Annotation(3, "V")])


def test_masks_and_targets_cover_only_annotated_spans():
    waves = [Wave("P", 100, 110, 120), Wave("QRS", 150, 160, 170), Wave("T", 200, 230, 260)]
    m = annotation_mask(waves, 400)
    assert annotated_span(waves) == (100, 261)
    assert m[100:261].all() and not m[:100].any() and not m[261:].any()
    seg = segment_masks(waves, 400)
    assert seg.shape == (3, 400)
    assert seg[0, 100:121].all() and seg[0].sum() == 21 and seg[1].sum() == 21 and seg[2].sum() == 61
    assert not (seg.any(0) & ~m).any()
    b = boundary_targets(waves, 400, width=3.0)
    assert b.shape == (6, 400)
    for c, pos in enumerate([100, 120, 150, 170, 200, 260]):
        assert b[c].argmax() == pos and b[c, pos] == 1.0, BOUNDARIES[c]
    assert annotation_mask([], 10).sum() == 0


def test_split_is_deterministic_by_record():
    ids = [str(i) for i in range(1, 161)]
    a = split_records(ids, seed=0)
    b = split_records(list(reversed(ids)), seed=0)
    assert a == b
    assert len(a["train"]) == 112 and len(a["validation"]) == 16 and len(a["test"]) == 32
    assert set(a["train"]).isdisjoint(a["test"]) and set(a["train"]) | set(a["validation"]) | set(a["test"]) == set(ids)
    assert split_records(ids, seed=1) != a


@needs_ludb
@pytest.mark.parametrize("record", ["1", "7"])
def test_ludb_records(record):
    h = read_header(ROOT / "data" / f"{record}.hea")
    assert h.n_samples == 5000 and len(h.signals) == 12 and h.sampling_rate == 500
    rec = read_record(ROOT, record)
    assert rec.signals.shape == (12, 5000) and rec.signals.dtype == np.float32
    # Gain applied: the digital values divided by gains of hundreds to thousands give mV.
    digital = np.fromfile(ROOT / "data" / f"{record}.dat", dtype="<i2").reshape(5000, 12).T
    s = h.signals[1]
    np.testing.assert_allclose(rec.signals[1], (digital[1] - s.baseline) / s.gain, rtol=1e-5)
    assert 0.05 < np.abs(rec.signals).max() < 10
    for lead, waves in rec.waves.items():
        assert waves, lead
        assert {w.kind for w in waves} <= {"P", "QRS", "T"}
        complete = [w for w in waves if w.onset is not None and w.offset is not None]
        assert all(w.onset <= w.peak <= w.offset for w in complete)
        start, stop = annotated_span(waves)
        assert 100 < start < 1500 and 3000 < stop < 4900  # first and last beats unannotated
        m = annotation_mask(waves, 5000)
        assert not (segment_masks(waves, 5000).any(0) & ~m).any()


@needs_ludb
def test_ludb_record_1_lead_ii_first_waves():
    rec = read_record(ROOT, "1", leads=["ii"])
    assert rec.waves["ii"][:2] == [Wave("QRS", 644, 662, 682), Wave("T", 776, 843, 878)]


@needs_ludb
@pytest.mark.parametrize("record", ["1", "7", "160"])
def test_wfdb_cross_check(record):
    wfdb = pytest.importorskip("wfdb")
    ours = read_record(ROOT, record)
    theirs = wfdb.rdrecord(str(ROOT / "data" / record))
    assert theirs.sig_name == ours.leads
    np.testing.assert_allclose(ours.signals, theirs.p_signal.T, rtol=1e-5, atol=1e-6)
    for lead in ours.leads:
        ann = wfdb.rdann(str(ROOT / "data" / record), lead)
        ours_ann = read_annotations(ROOT / "data" / f"{record}.{lead}")
        assert [a.sample for a in ours_ann] == list(ann.sample), lead
        assert [a.symbol for a in ours_ann] == list(ann.symbol), lead
