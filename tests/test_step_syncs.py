"""No host sync in the training step between log steps; the deferred finiteness checks still stop a NaN.

A host sync is a read of a tensor's value on the host: ``.item()``, ``float()``, ``int()``,
``bool()``, ``.tolist()``, ``.cpu()``, ``.numpy()``. The test patches each on ``torch.Tensor``
with a counting wrapper and counts every read except those made by ``torch.optim`` itself:
torch's optimizers read their step counter, a CPU tensor even on a GPU (``capturable=False``),
which is not a device sync. Reads inside other torch code (gradient clipping, autocast...) count.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from torch import nn

from shapeloss import AdversarialTrainer, GlobalCritic, ShapeLoss, seed_everything
from shapeloss.errors import NonFiniteLossError

READS = ("item", "__float__", "__int__", "__bool__", "__index__", "tolist", "cpu", "numpy")
OPTIM = str(Path(torch.optim.__file__).parent)


@contextmanager
def counted_reads():
    """Yield a list that receives ``(method, caller file:line)`` for every tensor read not made by torch.optim."""
    reads: list[tuple[str, str]] = []
    saved = {name: getattr(torch.Tensor, name) for name in READS}

    def wrap(name, original):
        def counting(self, *args, **kwargs):
            caller = sys._getframe(1)
            if not caller.f_code.co_filename.startswith(OPTIM):
                reads.append((name, f"{caller.f_code.co_filename}:{caller.f_lineno}"))
            return original(self, *args, **kwargs)
        return counting

    try:
        for name, original in saved.items():
            setattr(torch.Tensor, name, wrap(name, original))
        yield reads
    finally:
        for name, original in saved.items():
            setattr(torch.Tensor, name, original)


def batch(step, size=6, length=48):
    g = torch.Generator().manual_seed(step)
    x = torch.randn(size, 1, length, generator=g)
    return x, torch.sigmoid(4 * x)


class NanGradAt(nn.Module):
    """A net whose output's gradient is NaN on the steps listed (finite forward)."""

    def __init__(self, steps):
        super().__init__()
        self.inner = nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ReLU(), nn.Conv1d(4, 1, 5, padding=2))
        self.steps, self.calls = set(steps), 0

    def forward(self, x):
        out = self.inner(x)
        if self.training:
            self.calls += 1
            if self.calls - 1 in self.steps:
                out.register_hook(lambda g: torch.full_like(g, float("nan")))
        return out


def trainer(log_every=5, model=None, validate=False, **kw):
    seed_everything(0)
    net = model or nn.Sequential(nn.Conv1d(1, 4, 5, padding=2), nn.ReLU(), nn.Conv1d(4, 1, 5, padding=2))
    critic = GlobalCritic(1, 1, width=4, depth=2)
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), critic, weight=3.0, validate=validate)
    adam = lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.0, 0.999))  # noqa: E731
    return AdversarialTrainer(net, loss, adam(net.parameters()), adam(critic.parameters()), divergence_window=0,
                              progress=False, log_every=log_every, **kw)


@pytest.mark.parametrize("options", [dict(), dict(grad_clip=1.0, d_steps=2), dict(d_every=2), dict(amp=True)],
                         ids=["default", "clip-dsteps", "d_every", "amp-bf16"])
def test_no_host_read_between_log_steps(options, tmp_path):
    t = trainer(log_every=5, log_path=tmp_path / "log.csv", **options)
    t.step(batch(0))  # warm-up outside the count (first-call set-up)
    per_step = []
    for s in range(1, 10):
        with counted_reads() as reads:
            row = t.step(batch(s))
        per_step.append((t.step_count, len(reads), reads[:3]))
        if t.step_count % 5:
            assert row == {"step": float(t.step_count)}
    between = [(step, n, where) for step, n, where in per_step if step % 5]
    assert all(n == 0 for _, n, _ in between), between
    # at the log step: the deferred checks (one read) and the metrics (one read), nothing per term
    logged = [(n, where) for step, n, where in per_step if step % 5 == 0]
    assert len(logged) == 2 and all(1 <= n <= 2 for n, _ in logged), logged
    assert [m["step"] for m in t.metrics] == [5.0, 10.0] and {"base", "adversarial", "total"} <= set(t.metrics[-1])


def test_the_counter_sees_the_reads_of_a_per_step_check():
    """Control: with the checks read every step (log_every=1) the same counter finds reads at each step."""
    t = trainer(log_every=1)
    t.step(batch(0))
    with counted_reads() as reads:
        t.step(batch(1))
    assert len(reads) >= 8  # batch (3), logits, critic loss and gradient, three generator terms, its gradient
    assert all("shapeloss" in where for _, where in reads)


def test_deferred_and_per_step_checks_train_the_same_weights():
    a, b = trainer(log_every=1), trainer(log_every=4)
    rows_a = [a.step(batch(s)) for s in range(8)]
    rows_b = [b.step(batch(s)) for s in range(8)]
    assert all(torch.equal(p, q) for p, q in zip(a.model.state_dict().values(), b.model.state_dict().values()))
    assert all(torch.equal(p, q) for p, q in zip(a.loss.state_dict().values(), b.loss.state_dict().values()))
    assert rows_b[3] == rows_a[3] and rows_b[7] == rows_a[7]
    assert [len(r) for r in rows_b] == [1, 1, 1, len(rows_a[3]), 1, 1, 1, len(rows_a[7])]


def test_deferred_check_stops_the_run_at_the_next_log_step_naming_the_first_failure():
    t = trainer(log_every=4, model=NanGradAt({1}))
    t.step(batch(0))
    t.step(batch(1))  # the generator's gradient is NaN here: the weights go NaN, nothing is read yet
    t.step(batch(2))
    with pytest.raises(NonFiniteLossError, match=r"^step 1: the generator's gradient is not finite .*log_every=4"):
        t.step(batch(3))


def test_no_checkpoint_from_a_run_whose_deferred_check_failed(tmp_path):
    ckpt = tmp_path / "ckpt.pt"
    t = trainer(log_every=10, model=NanGradAt({4}), checkpoint_path=ckpt, checkpoint_every=3)
    with pytest.raises(NonFiniteLossError, match=r"^step 4: the generator's gradient is not finite"):
        t.fit(batch, steps=20)  # checkpoint at 3 (finite), then the save at 6 reads the checks first
    saved = torch.load(ckpt, weights_only=True)
    assert saved["step"] == 3
    assert all(torch.isfinite(v).all() for v in saved["model"].values())


def test_skip_still_checks_every_step_with_log_every():
    """on_nonfinite='skip' must know before the optimizer steps: it reads every step, whatever log_every."""
    t = trainer(log_every=4, model=NanGradAt({1}), on_nonfinite="skip")
    t.step(batch(0))
    before = [p.detach().clone() for p in t.model.parameters()]
    with pytest.warns(RuntimeWarning, match="non-finite generator gradient"):
        row = t.step(batch(1))
    assert row == {"step": 1.0, "skipped": 1.0} and t.skipped == 1
    assert all(torch.equal(a, b) for a, b in zip(before, t.model.parameters()))


def test_log_every_is_checked():
    with pytest.raises(Exception, match=r"log_every: expected an int >= 1, got 0"):
        trainer(log_every=0)


def test_fit_reads_the_checks_of_the_steps_after_the_last_log_step():
    t = trainer(log_every=5, model=NanGradAt({6}))
    with pytest.raises(NonFiniteLossError, match=r"^step 6: the generator's gradient is not finite"):
        t.fit(batch, steps=7)  # log steps 5 only: step 6's failure is read when fit ends


@pytest.mark.parametrize("d_steps", [1, 3])
def test_the_loss_checks_its_inputs_once_per_step(d_steps, monkeypatch):
    """``ShapeLoss(validate=True)`` reads the host to check its inputs; the step's later calls of the
    loss (more critic updates, the generator update) see the same tensors and do not repeat it."""
    import shapeloss.losses as losses_module

    t = trainer(log_every=5, validate=True, d_steps=d_steps)
    calls = []
    original = losses_module.ShapeLoss._check
    monkeypatch.setattr(losses_module.ShapeLoss, "_check", lambda self, *a: calls.append(1) or original(self, *a))
    t.step(batch(0))
    assert len(calls) == 1
    with counted_reads() as reads:
        t.step(batch(1))
    assert len(calls) == 2
    assert reads and all("_validation.py" in where for _, where in reads), reads  # the loss's checks, nothing else


@pytest.mark.parametrize("d_every", [1, 2])
def test_the_loss_checks_still_stop_a_bad_target_on_critic_and_generator_only_steps(d_every):
    from shapeloss.errors import OutOfDomainError

    t = trainer(log_every=1, validate=True, d_every=d_every)
    x, y = batch(0)
    t.step((x, y))  # step 1: the critic is due (and with d_every=2, step 2 is generator-only)
    with pytest.raises(OutOfDomainError, match="target: expected values in"):
        t.step((x, y * 2.0))
