"""benchmarks/_results.py: a result JSON is written whole or not at all, numpy values as numbers."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._results import json_default, write_json  # noqa: E402


def test_numpy_values_are_written_as_numbers(tmp_path):
    path = write_json(tmp_path / "r.json", {"n": np.int64(3), "x": np.float32(0.5), "a": np.arange(3)}, default=json_default)
    assert json.loads(path.read_text()) == {"n": 3, "x": 0.5, "a": [0, 1, 2]}


def test_a_failed_write_keeps_the_earlier_result_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = write_json(tmp_path / "r.json", {"ok": 1}, indent=1, end="\n")
    assert path.read_text() == '{\n "ok": 1\n}\n'
    with pytest.raises(ValueError):  # NaN refused: nothing written
        write_json(path, {"x": float("nan")}, allow_nan=False)
    with pytest.raises(TypeError):  # not encodable without a default
        write_json(path, {"x": object()})

    real_write = Path.write_text

    def full_disk(self, text, *args, **kwargs):  # half the text lands in the temporary file, then the disk is full
        real_write(self, text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(OSError):
        write_json(path, {"ok": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"ok": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=5)), max_size=5))
@settings(max_examples=30, deadline=None)
def test_what_is_written_reads_back_equal(tmp_path_factory, obj):
    path = write_json(tmp_path_factory.mktemp("w") / "r.json", obj)
    assert json.loads(path.read_text()) == obj
