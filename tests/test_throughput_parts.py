"""The throughput benchmark's arithmetic count and its fused-critic experiment (no timings asserted)."""

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._throughput_fused import fuse_critic_passes  # noqa: E402
from benchmarks._throughput_macs import forward_macs, step_macs  # noqa: E402
from shapeloss import GlobalCritic, ShapeLoss  # noqa: E402
from shapeloss.errors import InvalidArgumentError  # noqa: E402


def test_forward_macs_count_each_layer_kind_by_hand():
    # Conv1d(2 -> 4, k=3, pad 1) on 10 samples: 4 * 10 outputs x 2 inputs x 3 taps = 240
    # ConvTranspose1d(4 -> 3, k=2, s=2): 4 * 10 inputs x 3 outputs x 2 taps = 240
    # Linear(60 -> 5): 5 outputs x 60 = 300
    net = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.ConvTranspose1d(4, 3, 2, stride=2), nn.Flatten(), nn.Linear(60, 5))
    assert forward_macs(net, torch.zeros(1, 2, 10)) == (240 + 240 + 300, 240)


def test_step_macs_follow_the_documented_pass_count():
    net = nn.Conv1d(3, 3, 5, padding=2)  # G = 3 * 50 * 3 * 5 = 2250, all in its first layer

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv1d(6, 4, 5, stride=5), nn.Conv1d(4, 1, 10)  # 4*10*6*5 = 1200, 1*1*4*10 = 40

        def forward(self, label, condition):
            return self.b(self.a(torch.cat([label, condition], 1))).flatten(1)

    g, c, c1 = 2250, 1240, 1200
    for d_every in (1, 2, 3):
        out = step_macs(net, Critic(), 3, 3, 50, d_every)
        assert out["net_macs_per_step"] == 3 * g - g
        assert out["critic_macs_per_step"] == pytest.approx((2 * c + 2 * (2 * c - c1)) / d_every + 2 * c)
        assert out["mac_ratio_to_bce"] == pytest.approx(1 + out["critic_macs_per_step"] / (2 * g))
    assert step_macs(net, None, 3, 3, 50)["mac_ratio_to_bce"] == 1.0


def _loss(norm):
    torch.manual_seed(0)
    return ShapeLoss(nn.BCEWithLogitsLoss(), GlobalCritic(2, 1, width=4, depth=2, norm=norm), weight=3.0)


def test_fused_experiment_scores_what_the_two_calls_score_without_batch_statistics():
    plain, fused = _loss("none"), _loss("none")
    fuse_critic_passes(fused)
    g = torch.Generator().manual_seed(1)
    logits, target, cond = torch.randn(5, 2, 40, generator=g), torch.rand(5, 2, 40, generator=g), torch.randn(5, 1, 40, generator=g)
    a, b = plain.discriminator_terms(logits, target, cond), fused.discriminator_terms(logits, target, cond)
    for x, y in ((a.total, b.total), (a.real_score, b.real_score), (a.fake_score, b.fake_score)):
        torch.testing.assert_close(x, y, rtol=1e-5, atol=1e-6)
    a.total.backward()
    b.total.backward()
    for p, q in zip(plain.discriminator.parameters(), fused.discriminator.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6)


def test_fused_experiment_changes_a_batchnorm_critic_and_still_checks_inputs():
    plain, fused = _loss("batch"), _loss("batch")
    fuse_critic_passes(fused)
    g = torch.Generator().manual_seed(1)
    logits, target, cond = torch.randn(5, 2, 40, generator=g), torch.rand(5, 2, 40, generator=g), torch.randn(5, 1, 40, generator=g)
    assert not torch.allclose(plain.discriminator_terms(logits, target, cond).total,
                              fused.discriminator_terms(logits, target, cond).total)
    with pytest.raises(Exception, match="target: expected values in"):
        fused.discriminator_terms(logits, target * 3, cond)


def test_fused_experiment_refuses_penalised_critics():
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), GlobalCritic(2, 1, width=4, depth=2, norm="none"), objective="wasserstein")
    with pytest.raises(InvalidArgumentError, match="loss: expected a critic without gradient or R1 penalties"):
        fuse_critic_passes(loss)
