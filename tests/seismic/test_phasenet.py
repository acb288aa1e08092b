import pytest
import torch

from shapeloss.errors import ShapeMismatchError
from shapeloss.seismic import PHASES, PhaseNet


def test_parameter_count_matches_phasenet():
    n = sum(p.numel() for p in PhaseNet().parameters())
    assert 260_000 <= n <= 280_000


@pytest.mark.parametrize("length", [3001, 3000, 1024, 101])
def test_output_has_input_length_and_three_logit_channels(length):
    net = PhaseNet().eval()
    with torch.no_grad():
        out = net(torch.randn(2, 3, length))
    assert out.shape == (2, 3, length)
    assert len(PHASES) == 3 and PHASES[:2] == ("P", "S")


def test_down_path_lengths_match_seisbench_for_3001_samples():
    net = PhaseNet().eval()
    lengths = []
    hook = lambda m, i, o: lengths.append(o.shape[-1])  # noqa: E731
    for conv_same, _, _, _ in net.down_branch:
        conv_same.register_forward_hook(hook)
    with torch.no_grad():
        net(torch.randn(1, 3, 3001))
    assert lengths == [3001, 751, 188, 47, 12]


def test_too_short_or_wrong_channels_raise_clear_errors():
    net = PhaseNet()
    with pytest.raises(ShapeMismatchError, match="at least 101"):
        net(torch.randn(2, 3, 100))
    with pytest.raises(ShapeMismatchError, match="3 input channels"):
        net(torch.randn(2, 1, 3001))


def test_gradients_reach_every_parameter():
    net = PhaseNet()
    net(torch.randn(2, 3, 400)).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
