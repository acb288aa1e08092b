"""AdversarialTrainer: one generator forward per step, exact resume, safe checkpoints, NaN handling."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

from shapeloss import AdversarialTrainer, GlobalCritic, ShapeLoss, load_checkpoint, seed_everything
from shapeloss.errors import CheckpointError, NonFiniteInputError, NonFiniteLossError


def toy_batch(step, batch=8, length=64):
    g = torch.Generator().manual_seed(1000 + step)
    centre = torch.randint(10, length - 10, (batch, 1, 1), generator=g)
    t = torch.arange(length).view(1, 1, -1)
    target = torch.exp(-0.5 * ((t - centre) / 3.0) ** 2)
    inputs = (t >= centre).float() + 0.1 * torch.randn(batch, 1, length, generator=g)
    return inputs, target


def make_trainer(seed=0, weight=10.0, adversarial=True, base_loss=None, **kw):
    seed_everything(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(1, 8, 9, padding=4), torch.nn.ReLU(), torch.nn.Conv1d(8, 1, 9, padding=4)
    )
    critic = GlobalCritic(1, 1, width=8, depth=2)
    loss = ShapeLoss(base_loss or torch.nn.BCEWithLogitsLoss(), critic, weight=weight, adversarial=adversarial)
    g_opt = torch.optim.Adam(net.parameters(), 1e-3, betas=(0.0, 0.999))
    d_opt = torch.optim.Adam(critic.parameters(), 1e-3, betas=(0.0, 0.999))
    return AdversarialTrainer(net, loss, g_opt, d_opt, divergence_window=0, **kw)


def test_one_generator_forward_per_step():
    trainer = make_trainer(d_steps=3)
    calls = []
    trainer.model.register_forward_hook(lambda *a: calls.append(1))
    for s in range(4):
        trainer.step(toy_batch(s))
    assert len(calls) == 4 and trainer.generator_forwards == 4


def test_step_reports_all_terms():
    m = make_trainer().step(toy_batch(0))
    assert {"step", "base", "adversarial", "total", "discriminator", "real_score", "fake_score"} <= set(m)


def test_base_only_arm_skips_critic():
    trainer = make_trainer(adversarial=False)
    before = [p.clone() for p in trainer.loss.discriminator.parameters()]
    m = trainer.step(toy_batch(0))
    assert "discriminator" not in m and "adversarial" not in m
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.loss.discriminator.parameters()))


def test_d_every_updates_critic_on_schedule():
    trainer = make_trainer(d_every=3)
    rows = [trainer.step(toy_batch(s)) for s in range(6)]
    assert ["discriminator" in r for r in rows] == [True, False, False, True, False, False]


def _weights(trainer):
    return [p.detach().clone() for p in list(trainer.model.parameters()) + list(trainer.loss.parameters())]


def test_resume_is_bit_exact(tmp_path):
    full = make_trainer()
    full.fit(toy_batch, steps=20)
    half = make_trainer()
    half.fit(toy_batch, steps=10)
    half.save_checkpoint(tmp_path / "ckpt.pt")
    resumed = make_trainer(seed=123)  # different init: everything must come from the checkpoint
    assert resumed.load_checkpoint(tmp_path / "ckpt.pt") == 10
    resumed.fit(toy_batch, steps=20)
    assert all(torch.equal(a, b) for a, b in zip(_weights(full), _weights(resumed)))


def test_crash_mid_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    trainer = make_trainer()
    trainer.fit(toy_batch, steps=3)
    path = tmp_path / "ckpt.pt"
    trainer.save_checkpoint(path)
    trainer.fit(toy_batch, steps=5)

    def broken_save(obj, f, *a, **k):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        trainer.save_checkpoint(path)
    monkeypatch.undo()
    assert load_checkpoint(path)["step"] == 3
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_previous_checkpoint_kept(tmp_path):
    trainer = make_trainer()
    path = tmp_path / "ckpt.pt"
    trainer.fit(toy_batch, steps=2)
    trainer.save_checkpoint(path)
    trainer.fit(toy_batch, steps=4)
    trainer.save_checkpoint(path)
    assert load_checkpoint(path)["step"] == 4
    assert load_checkpoint(str(path) + ".prev")["step"] == 2


def test_corrupt_checkpoint_named(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="bad.pt"):
        make_trainer().load_checkpoint(bad)


def test_nan_input_raises_with_step(tmp_path):
    trainer = make_trainer()
    x, y = toy_batch(0)
    x[0, 0, 3] = float("nan")
    with pytest.raises(NonFiniteInputError, match="step 0"):
        trainer.step((x, y))


def test_nan_loss_raises_naming_term_and_keeps_weights():
    trainer = make_trainer(base_loss=lambda logits, target: logits.mean() * float("nan"))
    before = _weights(trainer)
    with pytest.raises(NonFiniteLossError, match="step 0: the base loss"):
        trainer.step(toy_batch(0))
    # the critic stepped before the generator term was seen; the generator must be untouched
    assert all(torch.equal(a, b) for a, b in zip(before, list(trainer.model.parameters())))


def test_skip_option_counts_bad_batches():
    trainer = make_trainer(on_nonfinite="skip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in range(6):
            x, y = toy_batch(s)
            if s % 2:
                x[0, 0, 0] = float("inf")
            trainer.step((x, y))
    assert trainer.skipped == 3 and trainer.step_count == 3


def test_logging_and_callbacks(tmp_path):
    seen = []
    trainer = make_trainer(log_path=tmp_path / "log.jsonl", callbacks=[lambda t, m: seen.append(m["step"])])
    trainer.fit(toy_batch, steps=5)
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3, 4, 5] == seen
    trainer2 = make_trainer(log_path=tmp_path / "log.csv")
    trainer2.fit(toy_batch, steps=3)
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].startswith("step,") and len(lines) == 4


def test_tracking_is_bounded_and_spans_run():
    trainer = make_trainer()
    trainer.max_history = 8
    trainer.track(toy_batch(99)[0][:2], every=1)
    trainer.fit(toy_batch, steps=30)
    steps = [s for s, _ in trainer.history]
    assert len(steps) <= 8 and steps[0] == 0 and steps[-1] >= 16
    assert trainer.history[-1][1].shape == (2, 1, 64)


def test_tracking_does_not_change_the_run():
    a = make_trainer()
    a.fit(toy_batch, steps=6)
    b = make_trainer()
    b.track(toy_batch(50)[0], every=2)
    b.fit(toy_batch, steps=6)
    assert all(torch.equal(x, y) for x, y in zip(_weights(a), _weights(b)))


def test_divergence_watch_warns_once_when_critic_wins():
    trainer = make_trainer()
    trainer.watch = __import__("shapeloss.training", fromlist=["DivergenceWatch"]).DivergenceWatch(window=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for s in range(12):
            trainer.watch.update(0.999, 0.001, 0.001, True, s)
    assert sum("won outright" in str(w.message) for w in caught) == 1


def test_end_to_end_shape_loss_trains():
    """A few hundred steps on toy data: the base loss still falls under the critic."""
    torch.set_num_threads(1)
    trainer = make_trainer(weight=10.0)
    rows = trainer.fit(toy_batch, steps=300)
    first = sum(r["base"] for r in rows[:20]) / 20
    last = sum(r["base"] for r in rows[-20:]) / 20
    assert last < 0.7 * first
    assert all(torch.isfinite(p).all() for p in _weights(trainer))


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time, torch
    sys.path.insert(0, {root!r})
    from tests.test_training import make_trainer, toy_batch
    torch.set_num_threads(1)
    path, steps, slow = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "slow"
    t = make_trainer(checkpoint_path=path, checkpoint_every=5)
    import os
    if os.path.exists(path):
        t.load_checkpoint(path)
    if slow:
        t.callbacks.append(lambda tr, m: (print("STEP", tr.step_count, flush=True), time.sleep(0.05)))
    t.fit(toy_batch, steps=steps)
    torch.save([p.detach() for p in list(t.model.parameters()) + list(t.loss.parameters())], path + ".final")
    """
)


def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = tmp_path / "train.py"
    script.write_text(KILL_SCRIPT.format(root=root))
    ckpt = str(tmp_path / "run.pt")
    proc = subprocess.Popen([sys.executable, str(script), ckpt, "40", "slow"], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("STEP") and int(line.split()[1]) >= 17:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(ckpt)["step"]
    assert 0 < killed_at < 40
    subprocess.run([sys.executable, str(script), ckpt, "40", "fast"], check=True)
    resumed = torch.load(ckpt + ".final")
    reference = make_trainer()
    reference.fit(toy_batch, steps=40)
    assert all(torch.equal(a, b) for a, b in zip(_weights(reference), resumed))


def test_real_and_fake_scores_come_from_the_same_critic_pass():
    """Both logged scores are the critic's pass on this batch, before its update (v0.1 logged a
    fake score from the generator's pass, after the critic's update, beside a real score from before it)."""
    import copy

    trainer = make_trainer()
    trainer.step(toy_batch(0))
    inputs, target = toy_batch(1)
    model, loss = copy.deepcopy(trainer.model), copy.deepcopy(trainer.loss)
    before = loss.discriminator_terms(model(inputs).detach(), target, inputs)
    metrics = trainer.step((inputs, target))
    assert metrics["real_score"] == float(before.real_score)
    assert metrics["fake_score"] == float(before.fake_score)
    # and not the generator pass's score through the updated critic
    after_update = trainer.loss.generator_terms(model(inputs), target, inputs).fake_score
    assert metrics["fake_score"] != float(after_update)
