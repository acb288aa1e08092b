"""shapeloss.lightning: manual optimisation, same step as AdversarialTrainer, checkpoints, DDP on CPU."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

L = pytest.importorskip("lightning", reason="PyTorch Lightning (extra 'lightning') not installed")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from shapeloss import AdversarialTrainer, ShapeLoss  # noqa: E402
from shapeloss.discriminators import GlobalCritic  # noqa: E402
from shapeloss.lightning import ShapeLossModule  # noqa: E402
from shapeloss.nets import UNet1d  # noqa: E402

HERE = Path(__file__).resolve().parent


def _parts(seed: int = 0, adversarial: bool = True):
    torch.manual_seed(seed)
    net = UNet1d(1, 1, widths=(4, 8), norm="group")
    critic = GlobalCritic(1, 1, width=8, depth=2, norm="none") if adversarial else None
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=10.0, adversarial=adversarial)
    return net, loss


def _data(n: int = 16):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 1, 64, generator=g)
    return TensorDataset(x, torch.sigmoid(4 * x))


def _trainer(tmp_path, **kw):
    kw.setdefault("max_steps", 4)
    return L.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path, **kw)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*number of training batches.*")
        warnings.filterwarnings("ignore", ".*no `val_dataloader`.*")
        warnings.filterwarnings("ignore", ".*LeafSpec.*")
        yield


def test_one_batch_matches_adversarial_trainer(tmp_path):
    """Critic step on the detached prediction, then generator step: the same update as our helper."""
    ds = _data(4)
    net, loss = _parts()
    module = ShapeLossModule(net, loss, lr=1e-2, d_lr=5e-3)
    _trainer(tmp_path, max_steps=2).fit(module, DataLoader(ds, batch_size=4))

    net2, loss2 = _parts()
    helper = AdversarialTrainer(
        net2, loss2, torch.optim.Adam(net2.parameters(), lr=1e-2),
        torch.optim.Adam(loss2.discriminator.parameters(), lr=5e-3, betas=(0.5, 0.999)), progress=False,
    )
    helper.step(ds.tensors)
    for (k, a), b in zip(module.generator.state_dict().items(), net2.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    for (k, a), b in zip(module.loss.state_dict().items(), loss2.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    assert module.batches_seen == 1


def test_logs_the_helpers_metrics(tmp_path):
    net, loss = _parts()
    module = ShapeLossModule(net, loss)
    trainer = _trainer(tmp_path, max_steps=4)
    trainer.fit(module, DataLoader(_data(8), batch_size=4))
    logged = set(trainer.callback_metrics)
    assert {"base", "adversarial", "total", "discriminator", "real_score", "fake_score"} <= logged
    assert trainer.global_step == 4  # optimizer steps: critic + generator per batch


def test_base_loss_only_has_one_optimizer(tmp_path):
    net, loss = _parts(adversarial=False)
    module = ShapeLossModule(net, loss)
    trainer = _trainer(tmp_path, max_steps=3)
    trainer.fit(module, DataLoader(_data(8), batch_size=4))
    assert len(trainer.optimizers) == 1
    assert module.batches_seen == 3
    assert "discriminator" not in trainer.callback_metrics


def test_checkpoint_holds_both_optimizers_and_schedulers_and_resumes_exactly(tmp_path):
    def make():
        net, loss = _parts()
        return ShapeLossModule(
            net, loss, lr=1e-2, d_lr=1e-2,
            g_scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.9),
            d_scheduler=lambda o: torch.optim.lr_scheduler.StepLR(o, 1, gamma=0.7),
        )

    loader = lambda: DataLoader(_data(8), batch_size=4)  # noqa: E731 - two batches per epoch
    straight = make()
    # whole epochs: a checkpoint written when max_steps stops a run mid-epoch resumes Lightning's
    # loop at the wrong batch (a Lightning behaviour, not ours)
    _trainer(tmp_path / "a", max_steps=-1, max_epochs=2).fit(straight, loader())

    first = make()
    t1 = _trainer(tmp_path / "b", max_steps=-1, max_epochs=1)
    t1.fit(first, loader())
    ckpt_path = tmp_path / "half.ckpt"
    t1.save_checkpoint(ckpt_path)
    ckpt = torch.load(ckpt_path, weights_only=False)
    assert len(ckpt["optimizer_states"]) == 2
    assert [s["_step_count"] for s in ckpt["lr_schedulers"]] == [3, 3]
    assert ckpt["shapeloss_batches_seen"] == 2

    resumed = make()
    _trainer(tmp_path / "c", max_steps=-1, max_epochs=2).fit(resumed, loader(), ckpt_path=ckpt_path)
    assert resumed.batches_seen == 4
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)


def test_invalid_arguments():
    net, loss = _parts()
    with pytest.raises(TypeError, match="loss: expected a shapeloss.ShapeLoss"):
        ShapeLossModule(net, torch.nn.BCEWithLogitsLoss())
    with pytest.raises(TypeError, match="g_optimizer: expected a factory"):
        ShapeLossModule(net, loss, g_optimizer="adam")


def test_ddp_two_cpu_processes_end_with_identical_weights(tmp_path):
    """Trainer(accelerator="cpu", strategy="ddp", devices=2) in a fresh process (Lightning
    re-executes the script for rank 1); each rank saves its weights after 4 batches."""
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    done = subprocess.run([sys.executable, str(HERE / "ddp_worker.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    r0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    r1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert r0["world_size"] == r1["world_size"] == 2
    assert r0["seen"] != r1["seen"], "each rank must see its own share of the data"
    assert r0["batches_seen"] == r1["batches_seen"] == 4
    assert r0["global_step"] == 8
    assert set(r0["state"]) == set(r1["state"])
    assert any(k.startswith("loss.discriminator.") for k in r0["state"])
    for key, value in r0["state"].items():
        assert torch.equal(value, r1["state"][key]), f"{key} differs between the ranks"
        if value.is_floating_point() and key.endswith("weight"):
            assert not torch.equal(value, r0["initial"][key]), f"{key} did not train"
    ckpt = torch.load(tmp_path / "last.ckpt", weights_only=False)
    assert len(ckpt["optimizer_states"]) == 2 and len(ckpt["lr_schedulers"]) == 2


def test_tracked_samples_go_to_the_tensorboard_logger(tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard (extra 'logging') not installed")
    from lightning.pytorch.loggers import TensorBoardLogger
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from shapeloss.lightning import TrackedSamples

    ds = _data(8)
    net, loss = _parts()
    tracked = TrackedSamples(ds.tensors[0][:2], every=2)
    logger = TensorBoardLogger(tmp_path, name="tb", version=0)
    L.Trainer(accelerator="cpu", devices=1, max_steps=8, logger=logger, enable_checkpointing=False,
              enable_progress_bar=False, enable_model_summary=False, callbacks=[tracked],
              log_every_n_steps=1).fit(ShapeLossModule(net, loss), DataLoader(ds, batch_size=4))
    assert [s for s, _ in tracked.history] == [0, 2, 4]
    assert tracked.history[0][1].shape == (2, 1, 64)
    logger.experiment.flush()
    acc = EventAccumulator(str(tmp_path / "tb" / "version_0")).Reload()
    assert [e.step for e in acc.Images("tracked")] == [0, 2, 4]
    assert "base" in acc.Tags()["scalars"]


class _NanGradAt(torch.nn.Module):
    """A net whose output's gradient is NaN on the listed training batches (finite forward)."""

    def __init__(self, batches):
        super().__init__()
        self.inner = UNet1d(1, 1, widths=(4, 8), norm="group")
        self.batches, self.calls = set(batches), 0

    def forward(self, x):
        out = self.inner(x)
        if self.training and torch.is_grad_enabled():
            self.calls += 1
            if self.calls - 1 in self.batches:
                out.register_hook(lambda g: torch.full_like(g, float("nan")))
        return out


def test_nan_gradient_stops_before_the_generators_optimizer_step(tmp_path):
    """The Lightning module checks gradients as the trainer does (it did not in v0.1)."""
    from shapeloss.errors import NonFiniteLossError

    torch.manual_seed(0)
    net = _NanGradAt({1})
    _, loss = _parts()
    module = ShapeLossModule(net, loss)
    trainer = _trainer(tmp_path, max_steps=-1, max_epochs=1)
    seen = {}

    class Snapshot(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            seen["weights"] = [p.detach().clone() for p in pl_module.generator.parameters()]

    trainer.callbacks.append(Snapshot())
    with pytest.raises(NonFiniteLossError, match=r"^step 1: the generator's gradient is not finite .*stopped before "
                                                  r"the generator's optimizer step"):
        trainer.fit(module, DataLoader(_data(12), batch_size=4))
    assert all(torch.equal(a, b) for a, b in zip(seen["weights"], module.generator.parameters()))
    assert all(torch.isfinite(p).all() for p in module.generator.parameters())


def test_deferred_checks_are_read_every_check_every_batches(tmp_path):
    from shapeloss.errors import NonFiniteLossError

    torch.manual_seed(0)
    _, loss = _parts()
    loss.validate = False  # the loss's own checks would read the NaN logits of batch 1 at once
    module = ShapeLossModule(_NanGradAt({0}), loss, check_every=3)
    with pytest.raises(NonFiniteLossError, match=r"^step 0: the generator's gradient is not finite .*after batch 3 "
                                                  r"\(check_every=3"):
        _trainer(tmp_path, max_steps=-1, max_epochs=2).fit(module, DataLoader(_data(16), batch_size=4))
    assert module.batches_seen == 3


def test_step_metrics_are_logged_as_device_tensors_from_the_critics_pass(tmp_path):
    net, loss = _parts()
    module = ShapeLossModule(net, loss)
    logged = {}
    module.log_dict = lambda metrics, **kw: logged.update(metrics)  # what the step hands Lightning
    _trainer(tmp_path, max_steps=2).fit(module, DataLoader(_data(4), batch_size=4))
    assert {"base", "adversarial", "total", "discriminator", "real_score", "fake_score"} <= set(logged)
    assert all(isinstance(v, torch.Tensor) and v.ndim == 0 and not v.requires_grad for v in logged.values())


def test_tracked_history_survives_a_resume(tmp_path):
    """TrackedSamples' history is in Lightning's checkpoint: a resumed run continues it."""
    from shapeloss.lightning import TrackedSamples

    ds = _data(8)
    inputs = ds.tensors[0][:2]
    loader = lambda: DataLoader(ds, batch_size=4)  # noqa: E731 - two batches per epoch

    def make():
        net, loss = _parts()
        return ShapeLossModule(net, loss, lr=1e-2, d_lr=1e-2)

    straight = TrackedSamples(inputs, every=1)
    _trainer(tmp_path / "a", max_steps=-1, max_epochs=2, callbacks=[straight]).fit(make(), loader())

    first = TrackedSamples(inputs, every=1)
    t1 = _trainer(tmp_path / "b", max_steps=-1, max_epochs=1, callbacks=[first])
    t1.fit(make(), loader())
    t1.save_checkpoint(tmp_path / "half.ckpt")
    resumed = TrackedSamples(inputs, every=1)
    _trainer(tmp_path / "c", max_steps=-1, max_epochs=2, callbacks=[resumed]).fit(make(), loader(), ckpt_path=tmp_path / "half.ckpt")
    assert [s for s, _ in straight.history] == [0, 1, 2, 3, 4]
    assert [s for s, _ in resumed.history] == [s for s, _ in straight.history]
    for (_, a), (_, b) in zip(resumed.history, straight.history):
        assert (a == b).all()
