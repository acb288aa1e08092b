"""GlobalCritic and PatchCritic share one constructor: what a user sees of them is pinned.

The signatures (names, order, defaults, kinds) and, for fixed seeds, the state_dict keys, the
initial parameters and the scores on a fixed input were recorded from the constructors before
they were merged (one ``__init__`` each, at 0e9272f); the merged one must give the same.
"""

from __future__ import annotations

import hashlib
import inspect

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from shapeloss.discriminators import GlobalCritic, PatchCritic, build_discriminator
from shapeloss.errors import InvalidArgumentError

SIGNATURE = (
    "(label_channels: 'int', condition_channels: 'int', dims: 'int' = 1, width: 'int' = 32, depth: 'int | None' = None, "
    "kernel_size: 'int' = 7, stride: 'int' = 2, first_stride: 'int | None' = None, norm: 'str' = 'batch', "
    "spectral_norm: 'bool' = False, max_width: 'int' = 256, downsample: 'int' = 1) -> 'None'"
)

CASES = {
    "global": lambda: GlobalCritic(2, 1),
    "global-2d-spectral-group": lambda: GlobalCritic(1, 2, dims=2, width=8, depth=3, norm="group", spectral_norm=True),
    "patch": lambda: PatchCritic(2, 1),
    "patch-2d-instance-stride": lambda: PatchCritic(
        1, 2, dims=2, width=8, first_stride=4, norm="instance", downsample=2
    ),
    "preset-light": lambda: build_discriminator("light", 2, 1),
    "preset-patch-2d": lambda: build_discriminator("patch", 1, 2, dims=2, width=8, depth=2),
}

# (number of state_dict entries, sha1 of the keys joined by spaces, sum of every entry after
# torch.manual_seed(0), the first float64 scores on the fixed input below), from 0e9272f
PINNED = {
    "global": (25, "4b5f09f6b53fea72f081e8e7e56b8d38edff7911", 900.2429034184911,
               [0.07616272573803877, 0.07851460641918481]),
    "global-2d-spectral-group": (20, "d8497266068f8b2cbf539e18ca7f46d342424524", 51.59442183568194,
                                 [0.17056990612857917, 0.23234974343426457]),
    "patch": (18, "15752ab51f6630373e16b12820575cf049975302", 387.0393028144366,
              [0.014260915664423083, 0.04272987101998264, 0.008710338935076195, 0.043694419747984346]),
    "patch-2d-instance-stride": (12, "bae27ee3146e52669b4ff10f904c42f348d609f6", 52.86903468493779,
                                 [0.08746079751972757, 0.09554264546181088, 0.20312640175655955, -0.176501923828917]),
    "preset-light": (18, "15752ab51f6630373e16b12820575cf049975302", 192.89918309001587,
                     [-0.02189624114986844, -0.019704297259819196]),
    "preset-patch-2d": (11, "4028b28de63bfbc99c02a955503cd0479b1bdb07", 30.290134383894838,
                        [-0.0854641346357215, -0.018969210419755533, -0.07767448762070107, -0.015259167199731683]),
}


def _inputs(m):
    g = torch.Generator().manual_seed(1)
    shape = (2, m.label_channels, 64) if m.dims == 1 else (2, m.label_channels, 64, 48)
    cond_shape = (shape[0], m.condition_channels) + shape[2:]
    return torch.rand(shape, generator=g, dtype=torch.float64), torch.randn(cond_shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize(("cls", "depth"), [(GlobalCritic, 4), (PatchCritic, 3)])
def test_each_critic_shows_every_argument_with_its_default(cls, depth):
    # one shared signature; depth=None is each class's default_depth (4 and 3, as before the merge)
    assert str(inspect.signature(cls)) == SIGNATURE
    params = list(inspect.signature(cls.__init__).parameters.values())
    assert params[0].name == "self"
    assert {p.kind for p in params} == {inspect.Parameter.POSITIONAL_OR_KEYWORD}
    assert cls.default_depth == depth
    torch.manual_seed(0)
    implicit = cls(2, 1).state_dict()
    torch.manual_seed(0)
    explicit = cls(2, 1, depth=depth).state_dict()
    assert implicit.keys() == explicit.keys() and all(torch.equal(implicit[k], explicit[k]) for k in implicit)


def test_the_default_depths_differ_only_in_the_default():
    assert sum(isinstance(m, torch.nn.Conv1d) for m in GlobalCritic(1, 1).features) == 4
    assert sum(isinstance(m, torch.nn.Conv1d) for m in PatchCritic(1, 1).features) == 3
    # positional calls reach the same parameters as before: depth is the fifth argument
    for cls in (GlobalCritic, PatchCritic):
        d = cls(1, 1, 1, 4, 2)
        assert sum(isinstance(m, torch.nn.Conv1d) for m in d.features) == 2 and d.features[0].out_channels == 4
    assert not issubclass(PatchCritic, GlobalCritic) and not issubclass(GlobalCritic, PatchCritic)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_seed_same_keys_parameters_and_scores_as_before_the_merge(name):
    n_keys, keys_sha1, total, scores = PINNED[name]
    torch.manual_seed(0)
    m = CASES[name]()
    sd = m.state_dict()
    assert len(sd) == n_keys and hashlib.sha1(" ".join(sd).encode()).hexdigest() == keys_sha1
    assert sum(float(v.double().sum()) for v in sd.values()) == total  # the same draws, in the same order
    m = m.double().eval()
    with torch.no_grad():
        got = m(*_inputs(m)).reshape(-1)[: len(scores)]
    torch.testing.assert_close(got, torch.tensor(scores, dtype=torch.float64), rtol=0, atol=1e-12)


def test_patch_keys_read_as_before():
    assert list(PatchCritic(2, 1).state_dict()) == [
        "features.0.weight", "features.0.bias",
        "features.2.weight", "features.2.bias",
        "features.3.weight", "features.3.bias", "features.3.running_mean", "features.3.running_var",
        "features.3.num_batches_tracked",
        "features.5.weight", "features.5.bias",
        "features.6.weight", "features.6.bias", "features.6.running_mean", "features.6.running_var",
        "features.6.num_batches_tracked",
        "score.weight", "score.bias",
    ]


@settings(max_examples=15, deadline=None)
@given(
    width=st.integers(1, 8), depth=st.integers(1, 4), kernel=st.integers(1, 7), stride=st.integers(1, 3),
    norm=st.sampled_from(["batch", "instance", "group", "none"]), spectral=st.booleans(), dims=st.sampled_from([1, 2]),
)
def test_both_critics_build_the_same_trunk_for_the_same_options_and_seed(width, depth, kernel, stride, norm, spectral, dims):
    options = dict(dims=dims, width=width, depth=depth, kernel_size=kernel, stride=stride, norm=norm, spectral_norm=spectral)
    torch.manual_seed(3)
    g = GlobalCritic(2, 1, **options)
    torch.manual_seed(3)
    p = PatchCritic(2, 1, **options)
    gs, ps = g.features.state_dict(), p.features.state_dict()
    assert list(gs) == list(ps)
    assert all(torch.equal(gs[k], ps[k]) for k in gs)
    assert isinstance(g.score, torch.nn.Linear) and isinstance(p.score, (torch.nn.Conv1d, torch.nn.Conv2d))


@pytest.mark.parametrize("cls", [GlobalCritic, PatchCritic])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"depth": 0}, "depth: expected"),
        ({"width": 0}, "width: expected"),
        ({"norm": "layer"}, "norm: expected"),
        ({"dims": 3}, "dims: expected 1 or 2, got 3"),
        ({"first_stride": 0}, "first_stride: expected"),
        ({"downsample": 0}, "downsample: expected"),
    ],
)
def test_both_critics_check_their_options_alike(cls, kwargs, match):
    with pytest.raises(InvalidArgumentError, match=match):
        cls(1, 1, **kwargs)
