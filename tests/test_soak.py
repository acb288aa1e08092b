"""Soak: 2,000 small adversarial steps with bad batches injected, under ``on_nonfinite="skip"``.

Every kind of bad batch the trainer guards against is injected at random
(NaN inputs, Inf targets, NaN conditions, a NaN base loss, a critic that
returns NaN scores). The run must reach its step count, skip exactly the
injected batches (counted in ``trainer.skipped`` and warned about once each),
keep its weights finite, keep its tracked histories bounded, and not grow in
memory. Marked slow (a few seconds on one core); CI runs it.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from shapeloss import AdversarialTrainer, ShapeLoss, load_checkpoint
from shapeloss.discriminators import GlobalCritic

STEPS = 2000
BAD_RATE = 0.05
KINDS = ("inputs-nan", "target-inf", "condition-nan", "base-loss-nan", "critic-nan")


class PoisonableBCE(nn.Module):
    """BCE with logits that returns NaN while ``poisoned`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.poisoned = False

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
        return loss * float("nan") if self.poisoned else loss


class PoisonableCritic(nn.Module):
    """A small critic whose scores turn NaN while ``poisoned`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = GlobalCritic(1, 1, width=4, depth=2, norm="none")
        self.poisoned = False

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        scores = self.inner(label, condition)
        return scores * float("nan") if self.poisoned else scores


def batches(base: PoisonableBCE, critic: PoisonableCritic, injected: Counter, seed: int = 0) -> Iterator[tuple[Tensor, ...]]:
    """An endless stream of (inputs, target, condition), a fraction of them bad.

    The poison flags are set when a batch is handed out: the trainer consumes
    each batch in the step that pulls it.
    """
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    while True:
        inputs = torch.randn(4, 1, 32, generator=gen)
        target = torch.rand(4, 1, 32, generator=gen)
        condition = inputs.clone()
        base.poisoned = critic.poisoned = False
        if rng.random() < BAD_RATE:
            kind = KINDS[rng.integers(len(KINDS))]
            injected[kind] += 1
            if kind == "inputs-nan":
                inputs[rng.integers(4), 0, rng.integers(32)] = float("nan")
            elif kind == "target-inf":
                target[rng.integers(4), 0, rng.integers(32)] = float("inf")
            elif kind == "condition-nan":
                condition[:, 0, rng.integers(32)] = float("nan")
            elif kind == "base-loss-nan":
                base.poisoned = True
            else:
                critic.poisoned = True
        yield inputs, target, condition


def rss_bytes() -> int | None:
    """Resident memory of this process (Linux), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


@pytest.mark.slow
def test_soak_skips_exactly_the_injected_batches_and_stays_bounded(tmp_path):
    torch.manual_seed(0)
    base, critic = PoisonableBCE(), PoisonableCritic()
    model = nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ReLU(), nn.Conv1d(4, 1, 5, padding=2))
    loss = ShapeLoss(base, critic, weight=10.0)
    memory: dict[int, int | None] = {}

    def sample_memory(trainer: AdversarialTrainer, metrics: dict[str, float]) -> None:
        if trainer.step_count in (400, STEPS):
            memory[trainer.step_count] = rss_bytes()

    trainer = AdversarialTrainer(
        model, loss,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        torch.optim.Adam(critic.parameters(), lr=1e-3),
        on_nonfinite="skip",
        max_metrics=300,
        divergence_window=100,
        checkpoint_path=tmp_path / "soak.pt",
        checkpoint_every=500,
        log_path=tmp_path / "soak.csv",
        callbacks=[sample_memory],
        progress=False,
    )
    trainer.max_history = 20
    trainer.track(torch.randn(2, 1, 32, generator=torch.Generator().manual_seed(1)), every=1)
    injected: Counter = Counter()

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trainer.fit(batches(base, critic, injected), steps=STEPS)
    finally:
        torch.set_num_threads(threads)
    print(f"soak: {STEPS} steps, injected {dict(injected)}, skipped {trainer.skipped}, rss {memory}")

    # finished, and skipped exactly what was injected, with one warning per skip
    assert trainer.step_count == STEPS
    assert set(injected) == set(KINDS), injected  # every kind was exercised
    assert trainer.skipped == sum(injected.values()) > 0
    skip_warnings = [w for w in caught if "skipped a batch" in str(w.message)]
    assert len(skip_warnings) == trainer.skipped

    # nothing bad reached the weights or the optimizers' state
    for p in list(model.parameters()) + list(critic.parameters()):
        assert torch.isfinite(p).all()
    for opt in (trainer.g_optimizer, trainer.d_optimizer):
        for state in opt.state.values():
            assert all(torch.isfinite(v).all() for v in state.values() if isinstance(v, Tensor))

    # histories bounded, yet spanning the run
    assert len(trainer.metrics) == 300
    assert trainer.metrics[-1]["step"] == STEPS
    assert 10 <= len(trainer.history) <= trainer.max_history
    assert trainer.history[0][0] == 0 and trainer.history[-1][0] > STEPS // 2

    # the log has one row per completed step, the last checkpoint is the final state
    with open(tmp_path / "soak.csv") as f:
        assert sum(1 for _ in f) == STEPS + 1
    state = load_checkpoint(tmp_path / "soak.pt")
    assert state["step"] == STEPS and state["skipped"] == trainer.skipped

    # memory does not grow with the step count (generous slack for allocator noise)
    if sys.platform.startswith("linux") and None not in memory.values():
        assert memory[STEPS] - memory[400] < 64 * 2**20, memory
