"""Lead sets and training windows: windows stay inside annotated spans."""

import numpy as np
import pytest

from shapeloss.ecg import make_synthetic_ecg
from shapeloss.ecg.dataset import build_lead_set, normalize_lead, sample_windows
from shapeloss.errors import InvalidArgumentError


def test_normalize_lead_removes_wander_and_scales():
    t = np.arange(5000) / 500
    x = 2.0 + 0.5 * np.sin(2 * np.pi * 0.2 * t) + 0.1 * np.sin(2 * np.pi * 10 * t)
    y = normalize_lead(x)
    assert abs(y.std() - 1) < 1e-3 and abs(y.mean()) < 0.1
    # the 10 Hz component dominates what is left
    spec = np.abs(np.fft.rfft(y))
    assert spec.argmax() == 100


def test_lead_set_and_windows_inside_spans():
    recs = make_synthetic_ecg(3, seed=0)
    data = build_lead_set(recs, width=4.0)
    assert data.signals.shape == (3, 5000) and data.targets.shape == (3, 6, 5000) and data.masks.shape == (3, 5000)
    # boundary peaks lie inside the annotated span (only their tails reach outside)
    assert (data.targets[~np.broadcast_to(data.masks[:, None], data.targets.shape)] < 0.97).all()
    seg = build_lead_set(recs, target="segments")
    assert seg.targets.shape == (3, 3, 5000)
    # mark each sample with its own index to recover where windows were cut
    data.signals = np.tile(np.arange(5000, dtype=np.float32), (3, 1))
    x, y = sample_windows(data, 50, 512, np.random.default_rng(0))
    assert x.shape == (50, 1, 512) and y.shape == (50, 6, 512)
    starts = x[:, 0, 0].numpy().astype(int)
    assert all(any(s >= a and s + 512 <= b for a, b in data.spans) for s in starts)
    x2, _ = sample_windows(data, 50, 512, np.random.default_rng(0))
    assert np.array_equal(x.numpy(), x2.numpy())


def test_lead_set_checks():
    recs = make_synthetic_ecg(1, seed=0)
    with pytest.raises(InvalidArgumentError):
        build_lead_set(recs, target="points")
    with pytest.raises(InvalidArgumentError):
        build_lead_set(recs, leads=["v1"])
    with pytest.raises(InvalidArgumentError):
        sample_windows(build_lead_set(recs), 2, 6000, np.random.default_rng(0))
