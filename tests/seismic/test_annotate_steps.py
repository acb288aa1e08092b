"""annotate's settings object and its overridable steps (segments, windows, batches, predict, stack, pick)."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from shapeloss.errors import InvalidArgumentError
from shapeloss.seismic import synthetic_record
from shapeloss.seismic.annotate import AnnotateSettings, Annotator, annotate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pickers import FixedPicker  # noqa: E402


@pytest.fixture(scope="module")
def record() -> np.ndarray:
    return synthetic_record(duration_s=70.0, n_events=2, seed=1).waveforms.astype(np.float32)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        (dict(window=1), "window: expected"),
        (dict(window=100, overlap=100), "overlap: expected an int in [0, window=100), got 100"),
        (dict(overlap=100, blinding=51), "blinding: expected at most overlap / 2 = 50"),
        (dict(stacking="median"), "stacking: expected"),
        (dict(short="crop"), "short: expected"),
        (dict(min_distance=0), "min_distance: expected"),
        (dict(batch_size=0), "batch_size: expected"),
        (dict(component_order="ZZE"), "component_order: expected distinct component letters"),
        (dict(phases=("P", "P")), "phases: expected distinct names"),
        (dict(pick_phases=("X",)), "pick_phases: expected names among phases"),
        (dict(threshold=1.5), "threshold: expected a probability in [0, 1] for phase 'P', got 1.5"),
        (dict(threshold={"P": 0.5}), "threshold: expected a value for every picked phase"),
        (dict(target_rate=0.0), "target_rate: expected a positive float, got 0.0"),
        (dict(activation="relu"), "activation: expected"),
        (dict(phases=("P",), activation="softmax"), "activation: expected 'sigmoid'"),
        (dict(overlaps="keep"), "overlaps: expected"),
        (dict(device="gpu7"), "device: expected a device torch knows"),
    ],
)
def test_each_bad_setting_is_named_when_the_settings_are_made(kwargs, named):
    with pytest.raises((InvalidArgumentError, TypeError)) as err:
        AnnotateSettings(**kwargs)
    assert named in str(err.value)


def test_settings_are_normalised_once_and_round_trip():
    s = AnnotateSettings(phases=["P", "S", "noise"], threshold=0.4, window=1001, overlap=400)
    assert s.phases == ("P", "S", "noise") and s.pick_phases == ("P", "S")
    assert s.threshold == {"P": 0.4, "S": 0.4} and s.step == 601
    assert AnnotateSettings(**s.as_dict()) == s
    assert dataclasses.replace(s, window=2001).step == 1601
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.window = 5  # type: ignore[misc]


def test_the_annotator_with_the_same_settings_gives_what_annotate_gives(record):
    kw = dict(window=1001, overlap=500, threshold=0.9)
    a = annotate(record, FixedPicker(), sampling_rate=100.0, **kw)
    b = Annotator(FixedPicker(), AnnotateSettings(**kw)).annotate(record, sampling_rate=100.0)
    assert [(p.phase, p.sample, p.probability) for p in a.picks] == [(p.phase, p.sample, p.probability) for p in b.picks]
    assert len(a.picks) > 0
    np.testing.assert_array_equal(a.probabilities, b.probabilities)


def test_a_subclass_overrides_the_pick_step(record):
    class StrongestOnly(Annotator):
        def pick(self, trace):
            picks = super().pick(trace)
            return [max(picks, key=lambda p: p.probability)] if picks else []

    settings = AnnotateSettings(window=1001, overlap=500, threshold=0.9)
    every = Annotator(FixedPicker(), settings).annotate(record, sampling_rate=100.0)
    one = StrongestOnly(FixedPicker(), settings).annotate(record, sampling_rate=100.0)
    assert len(every.picks) > 1 and len(one.picks) == 1
    assert one.picks[0].probability == max(p.probability for p in every.picks)


def test_a_subclass_overrides_predict_and_the_stack_follows(record):
    class Flat(Annotator):
        def predict(self, batch):
            out = np.full((batch.shape[0], 3, self.settings.window), 0.25, dtype=np.float32)
            out[:, 1] = 0.75
            return out

    out = Flat(FixedPicker(), AnnotateSettings(window=1001, overlap=500)).annotate(record, sampling_rate=100.0)
    assert np.allclose(out.probabilities[0], 0.25) and np.allclose(out.probabilities[1], 0.75)
    assert out.picks == []  # a flat trace has no peak


def test_windows_cover_the_segment_and_end_flush(record):
    annotator = Annotator(FixedPicker(), AnnotateSettings(window=1001, overlap=300))
    messages: list[str] = []
    segments = annotator.segments(record, 100.0, None, messages)
    (plan,) = annotator.windows(segments, messages)
    assert plan.starts[0] == 0 and plan.starts[-1] + 1001 == record.shape[1]
    assert np.all(np.diff(plan.starts)[:-1] == 701) and np.diff(plan.starts)[-1] <= 701
    chunks = list(annotator.batches([plan]))
    assert sum(len(c) for c, _ in chunks) == len(plan.starts)
    assert all(batch.shape[1:] == (3, 1001) and batch.dtype == np.float32 for _, batch in chunks)


def test_the_model_is_left_in_its_training_mode(record):
    model = FixedPicker().train()
    Annotator(model, AnnotateSettings(window=1001, overlap=500)).annotate(record, sampling_rate=100.0)
    assert model.training


def test_settings_must_be_a_settings_object():
    with pytest.raises(TypeError, match="settings: expected an AnnotateSettings, got dict"):
        Annotator(FixedPicker(), {"window": 1001})  # type: ignore[arg-type]


def test_warnings_point_at_the_callers_line(record):
    gap = record.copy()
    gap[:, 2000:2100] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        annotate(gap, FixedPicker(), sampling_rate=100.0, window=1001, overlap=500)
        Annotator(FixedPicker(), AnnotateSettings(window=1001, overlap=500)).annotate(gap, sampling_rate=100.0)
    assert caught and {w.filename for w in caught} == {__file__}
