"""Synthetic edge generators: determinism, parameter ranges, label placement."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.edges.synthetic import (
    ContourConfig,
    OnsetBurstConfig,
    gaussian_peaks,
    make_contour_images,
    make_onset_burst,
)
from shapeloss.errors import InvalidArgumentError


def test_onset_burst_is_deterministic():
    a = make_onset_burst(5, seed=3)
    b = make_onset_burst(5, seed=3)
    c = make_onset_burst(5, seed=4)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    assert not torch.equal(a.signals, c.signals)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    length=st.integers(64, 400),
    jitter=st.floats(0, 10),
    bias=st.floats(-5, 5),
)
def test_onset_burst_ranges(seed, length, jitter, bias):
    cfg = OnsetBurstConfig(length=length, gap=(5.0, 20.0), label_jitter=jitter, label_bias=bias)
    d = make_onset_burst(4, seed=seed, config=cfg)
    assert d.signals.shape == d.targets.shape == (4, 1, length)
    assert d.signals.dtype == torch.float32
    assert torch.isfinite(d.signals).all()
    assert torch.allclose(d.signals.abs().amax(dim=-1), torch.ones(4, 1))
    assert (d.targets >= 0).all() and (d.targets <= 1).all()
    lo, hi = cfg.onset_range
    assert ((d.onsets >= int(lo * length)) & (d.onsets < hi * length)).all()
    gaps = d.bursts - d.onsets
    assert ((gaps >= 5) & (gaps <= 20)).all()
    assert ((d.labelled >= 0) & (d.labelled < length)).all()
    # The target peaks (height 1) sit at the labelled onsets.
    assert torch.equal(d.targets[:, 0].argmax(dim=-1), d.labelled)


def test_no_jitter_labels_the_true_onset_and_bias_shifts_it():
    exact = make_onset_burst(50, seed=0, label_jitter=0.0)
    assert torch.equal(exact.labelled, exact.onsets)
    late = make_onset_burst(50, seed=0, label_jitter=0.0, label_bias=7.0)
    assert torch.equal(late.labelled, exact.onsets + 7)


def test_jitter_sets_the_spread_of_label_errors():
    d = make_onset_burst(2000, seed=1, label_jitter=6.0)
    err = (d.labelled - d.onsets).double()
    assert abs(err.mean().item()) < 0.6
    assert 5.0 < err.std().item() < 7.0


def test_subtle_onset_is_weaker_than_the_burst():
    d = make_onset_burst(200, seed=2)
    s = d.signals[:, 0]
    pre = torch.stack([s[i, d.onsets[i] + 6 : d.bursts[i]].abs().mean() for i in range(200)])
    post = torch.stack([s[i, d.bursts[i] + 3 : d.bursts[i] + 20].abs().mean() for i in range(200)])
    assert (pre < post).float().mean() > 0.95


@pytest.mark.parametrize(
    "kwargs",
    [dict(length=8), dict(gap=(10.0, 5.0)), dict(label_width=0.0), dict(label_jitter=-1.0),
     dict(onset_range=(0.2, 1.0)), dict(nonsense=1)],
)
def test_onset_burst_bad_arguments(kwargs):
    with pytest.raises((InvalidArgumentError, TypeError)):
        make_onset_burst(2, **kwargs)


def test_gaussian_peaks():
    p = gaussian_peaks(np.array([3, 10]), 16, 2.0)
    assert p.shape == (2, 16)
    assert p[0, 3] == 1.0 and p[1, 10] == 1.0
    assert np.isclose(p[0, 5], np.exp(-0.5))


@pytest.mark.parametrize("size", [(48, 48), (37, 53), (21, 15)])
def test_contours_shapes_and_determinism(size):
    a = make_contour_images(3, seed=5, size=size)
    b = make_contour_images(3, seed=5, size=size)
    assert a.images.shape == (3, 1) + size
    assert a.targets.shape == a.true_boundaries.shape == (3, 2) + size
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    assert (a.targets >= 0).all() and (a.targets <= 1).all()
    assert a.true_boundaries.any(dim=(2, 3)).all()


def test_faint_contour_lies_inside_the_strong_one():
    d = make_contour_images(4, seed=0, label_jitter=0.0)
    for i in range(4):
        ys, xs = torch.nonzero(d.true_boundaries[i, 0], as_tuple=True)
        yf, xf = torch.nonzero(d.true_boundaries[i, 1], as_tuple=True)
        cy, cx = ys.float().mean(), xs.float().mean()
        r_strong = torch.hypot(ys - cy, xs - cx).mean()
        r_faint = torch.hypot(yf - cy, xf - cx).mean()
        assert 1.0 < r_strong - r_faint < 5.0
    # Without jitter the label ridges sit on the true contours.
    assert (d.targets[d.true_boundaries] > 0.4).all()


def test_contour_bad_arguments():
    with pytest.raises(InvalidArgumentError):
        ContourConfig(size=(8, 8))
    with pytest.raises(InvalidArgumentError):
        make_contour_images(1, radius=(0.1, 0.6))
