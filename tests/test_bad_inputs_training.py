"""Bad inputs, round 2: the trainer, its checkpoints and its logs.

Two tables. ``CASES``: a hostile call that must raise ``error`` (or, for a
``Warning`` subclass, emit it) with a message naming ``argument`` and reading
``"... expected <X>, got <Y>"``. ``CHECKS``: a hostile call whose right outcome
is a result, not an error (a symlink followed, a stale file removed, a skipped
batch, a header grown); the call asserts it. docs/reliability.md, section
"Round 2: training, checkpoints and logs", has one row per case of either
table, and no other: checked both ways below.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import warnings
from collections.abc import Callable
from itertools import repeat
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from shapeloss import AdversarialTrainer, GlobalCritic, ShapeLoss, load_checkpoint, save_atomic, seed_everything
from shapeloss.errors import CheckpointError, InvalidArgumentError, NonFiniteLossError
from shapeloss.training import MetricsLogger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bad_input_cases import Case, Check, assert_named_error, unique_ids  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
L = 16
NAN = float("nan")


# --------------------------------------------------------------------------- helpers


class _NanGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):  # noqa: ANN001, ANN205
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):  # noqa: ANN001, ANN205
        return grad * NAN


def nan_grad_bce(logits: Tensor, target: Tensor) -> Tensor:
    """A finite loss whose gradient is NaN."""
    return nn.functional.binary_cross_entropy_with_logits(_NanGrad.apply(logits), target)


class NanGradCritic(nn.Module):
    """Finite scores, NaN gradients into the critic's weights."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = GlobalCritic(1, 1, width=4, depth=2)

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        return _NanGrad.apply(self.inner(label, condition))


def net() -> nn.Module:
    return nn.Sequential(nn.Conv1d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv1d(4, 1, 3, padding=1))


def critic(width: int = 4) -> nn.Module:
    return GlobalCritic(1, 1, width=width, depth=2)


def make(
    *,
    model: nn.Module | None = None,
    critic_net: nn.Module | None = None,
    base: Callable[[Tensor, Tensor], Tensor] | None = None,
    adversarial: bool = True,
    opt: type[torch.optim.Optimizer] = torch.optim.Adam,
    lr: float = 1e-3,
    weight: float = 1.0,
    objective: str = "vanilla",
    scheduler: bool = False,
    seed: int = 0,
    **kw: object,
) -> AdversarialTrainer:
    seed_everything(seed)
    model = model or net()
    c = critic_net if critic_net is not None else (critic() if adversarial else None)
    loss = ShapeLoss(base or nn.BCEWithLogitsLoss(), c, weight=weight, objective=objective, adversarial=adversarial)
    g = opt(model.parameters(), lr=lr)
    d = opt(c.parameters(), lr=lr) if c is not None else None
    if scheduler:
        kw["g_scheduler"] = torch.optim.lr_scheduler.StepLR(g, 2)
    kw.setdefault("divergence_window", 0)
    kw.setdefault("progress", False)
    return AdversarialTrainer(model, loss, g, d, **kw)  # type: ignore[arg-type]


def batch(draw: int = 0, bad: bool = False) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(draw)
    x = torch.randn(2, 1, L, generator=g)
    y = torch.rand(2, 1, L, generator=g)
    if bad:
        x[0, 0, 0] = NAN
    return x, y


def weights(t: AdversarialTrainer) -> list[Tensor]:
    return [p.detach().clone() for p in list(t.model.parameters()) + list(t.loss.parameters())]


def same(a: list[Tensor], b: list[Tensor]) -> bool:
    return len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))


def saved(tmp: Path, steps: int = 2, **kw: object) -> Path:
    """A checkpoint of a trainer built by ``make(**kw)`` after ``steps`` steps."""
    t = make(**kw)
    t.fit(lambda i: batch(i), steps=steps)
    return t.save_checkpoint(tmp / "ckpt.pt")


def load_into(tmp: Path, saved_kw: dict, **kw: object) -> object:
    path = saved(tmp, **saved_kw)
    return make(**kw).load_checkpoint(path)


def tampered(tmp: Path, change: Callable[[dict], None]) -> object:
    state = load_checkpoint(saved(tmp))
    change(state)
    return make().load_state_dict(state)


def quiet(fn: Callable[[], object]) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


def full_state(t: AdversarialTrainer) -> dict:
    """Everything a failed load must leave alone (RNG states excepted: checked apart)."""
    s = t.state_dict()
    s.pop("rng")
    return s


def deep_equal(a: object, b: object) -> bool:
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(deep_equal(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)


# --------------------------------------------------------------------------- hostile calls: trainer


def g_opt_over_critic(tmp: Path) -> object:
    m, c = net(), critic()
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), c)
    return AdversarialTrainer(m, loss, torch.optim.Adam(c.parameters()), torch.optim.Adam(c.parameters()))


def d_opt_over_model(tmp: Path) -> object:
    m, c = net(), critic()
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), c)
    return AdversarialTrainer(m, loss, torch.optim.Adam(m.parameters()), torch.optim.Adam(m.parameters()))


def one_optimizer_for_both(tmp: Path) -> object:
    m, c = net(), critic()
    opt = torch.optim.Adam(list(m.parameters()) + list(c.parameters()))
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), opt, opt)


def g_opt_missing_layer(tmp: Path) -> object:
    m, c = net(), critic()
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.Adam(m[0].parameters()), torch.optim.Adam(c.parameters()))


def g_opt_foreign_param(tmp: Path) -> object:
    m, c = net(), critic()
    extra = nn.Parameter(torch.zeros(3))
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.Adam([*m.parameters(), extra]), torch.optim.Adam(c.parameters()))


def model_all_frozen(tmp: Path) -> object:
    m, c = net().requires_grad_(False), critic()
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.Adam(m.parameters()), torch.optim.Adam(c.parameters()))


def per_sample_loss(tmp: Path) -> object:
    m, c = net(), critic()
    loss = ShapeLoss(nn.BCEWithLogitsLoss(reduction="none"), c, reduction="none")
    return AdversarialTrainer(m, loss, torch.optim.Adam(m.parameters()), torch.optim.Adam(c.parameters()))


def critic_all_frozen(tmp: Path) -> object:
    m, c = net(), critic().requires_grad_(False)
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.Adam(m.parameters()), torch.optim.Adam(c.parameters()))


class _SharingCritic(nn.Module):
    def __init__(self, shared: nn.Module) -> None:
        super().__init__()
        self.shared = shared  # the generator's first layer, inside the critic
        self.inner = critic()

    def forward(self, label: Tensor, condition: Tensor) -> Tensor:
        return self.inner(label, condition)


def critic_shares_model(tmp: Path) -> object:
    m = net()
    c = _SharingCritic(m[0])
    return AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.Adam(m.parameters()), torch.optim.Adam(c.parameters()))


def d_opt_without_critic(tmp: Path) -> object:
    m = net()
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), None, adversarial=False)
    return AdversarialTrainer(m, loss, torch.optim.Adam(m.parameters()), torch.optim.Adam(net().parameters()))


def d_opt_string() -> object:
    m = net()
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), None, adversarial=False)
    return AdversarialTrainer(m, loss, torch.optim.SGD(m.parameters(), lr=0.1), "adam")  # type: ignore[arg-type]


def scheduler_of_other_optimizer(tmp: Path) -> object:
    other = torch.optim.SGD(net().parameters(), lr=0.1)
    return make(g_scheduler=torch.optim.lr_scheduler.StepLR(other, 2))


def d_scheduler_without_d_optimizer(tmp: Path) -> object:
    other = torch.optim.SGD(net().parameters(), lr=0.1)
    return make(adversarial=False, d_scheduler=torch.optim.lr_scheduler.StepLR(other, 2))


def foreign_csv_log(tmp: Path) -> object:
    (tmp / "notes.csv").write_text("name,age\nada,36\n")
    t = make(log_path=tmp / "notes.csv")
    return t.fit(lambda i: batch(i), steps=1)


def foreign_jsonl_log(tmp: Path) -> object:
    (tmp / "notes.jsonl").write_text("not json\n")
    return make(log_path=tmp / "notes.jsonl").fit(lambda i: batch(i), steps=1)


# --------------------------------------------------------------------------- hostile calls: non-finite


def nan_generator_gradient(tmp: Path) -> object:
    return make(base=nan_grad_bce).step(batch())


def nan_critic_gradient(tmp: Path) -> object:
    return make(critic_net=NanGradCritic()).step(batch())


def same_bad_batch_forever(tmp: Path) -> object:
    t = make(on_nonfinite="skip", max_consecutive_skips=5)
    return quiet(lambda: t.fit(repeat(batch(bad=True)), steps=3))


def every_gradient_nan(tmp: Path) -> object:
    t = make(base=nan_grad_bce, on_nonfinite="skip", max_consecutive_skips=4)
    return quiet(lambda: t.fit(lambda i: batch(i), steps=3))


def save_nonfinite_weights(tmp: Path) -> object:
    t = make()
    with torch.no_grad():
        next(t.model.parameters())[0, 0, 0] = NAN
    return t.save_checkpoint(tmp / "ckpt.pt")


def generator_infinite_lr(tmp: Path) -> object:
    """The generator's lr is inf: step 1 completes with Inf weights; its checkpoint must be refused."""
    seed_everything(0)
    m, c = net(), critic()
    t = AdversarialTrainer(m, ShapeLoss(nn.BCEWithLogitsLoss(), c), torch.optim.SGD(m.parameters(), lr=float("inf")),
                           torch.optim.SGD(c.parameters(), lr=0.1), checkpoint_path=tmp / "ckpt.pt", checkpoint_every=1,
                           divergence_window=0, progress=False)
    try:
        return t.fit(lambda i: batch(i), steps=3)
    finally:
        assert not (tmp / "ckpt.pt").exists()


# --------------------------------------------------------------------------- hostile calls: save_atomic / load


def make_fifo(tmp: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp / "pipe.pt")
    return tmp / "pipe.pt"


def save_to_device(tmp: Path) -> object:
    """A character device. Root makes its own null device in tmp (never touches /dev)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        node = tmp / "null"
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    else:
        node = Path("/dev/null")  # a non-root process cannot replace it even if the check regressed
        if not node.exists():
            pytest.skip("no /dev/null")
    try:
        return save_atomic({"x": 1}, node)
    finally:
        assert stat.S_ISCHR(node.stat().st_mode), "the device node was replaced"


def save_to_fifo(tmp: Path) -> object:
    fifo = make_fifo(tmp)
    try:
        return save_atomic({"x": 1}, fifo)
    finally:
        assert stat.S_ISFIFO(fifo.lstat().st_mode)


def save_with_prev_directory(tmp: Path) -> object:
    save_atomic({"x": 1}, tmp / "ckpt.pt")
    (tmp / "ckpt.pt.prev").mkdir()
    return save_atomic({"x": 2}, tmp / "ckpt.pt")


def save_under_a_file(tmp: Path) -> object:
    (tmp / "afile").write_text("x")
    return save_atomic({"x": 1}, tmp / "afile" / "ckpt.pt")


def save_symlink_loop(tmp: Path) -> object:
    os.symlink(tmp / "b.pt", tmp / "a.pt")
    os.symlink(tmp / "a.pt", tmp / "b.pt")
    return save_atomic({"x": 1}, tmp / "a.pt")


def load_from_fifo(tmp: Path) -> object:
    return load_checkpoint(make_fifo(tmp))  # must not block reading the pipe


# --------------------------------------------------------------------------- hostile calls: resume


def resume_other_lr(tmp: Path) -> object:
    return load_into(tmp, {"lr": 1e-2}, lr=1e-3)


CASES = [
    # ---- optimizers that do not own their net's parameters
    Case("trainer-g-optimizer-over-critic", g_opt_over_critic, InvalidArgumentError, "g_optimizer"),
    Case("trainer-d-optimizer-over-model", d_opt_over_model, InvalidArgumentError, "d_optimizer"),
    Case("trainer-one-optimizer-for-both", one_optimizer_for_both, InvalidArgumentError, "g_optimizer"),
    Case("trainer-g-optimizer-missing-layer", g_opt_missing_layer, InvalidArgumentError, "g_optimizer"),
    Case("trainer-g-optimizer-foreign-parameter", g_opt_foreign_param, InvalidArgumentError, "g_optimizer"),
    Case("trainer-model-all-frozen", model_all_frozen, InvalidArgumentError, "model"),
    Case("trainer-critic-all-frozen", critic_all_frozen, InvalidArgumentError, "loss.discriminator"),
    Case("trainer-critic-shares-model-parameters", critic_shares_model, InvalidArgumentError, "loss.discriminator"),
    Case("trainer-d-optimizer-without-critic", d_opt_without_critic, InvalidArgumentError, "d_optimizer"),
    Case("trainer-d-optimizer-not-optimizer", lambda t: d_opt_string(), TypeError, "d_optimizer"),
    # ---- other constructor options
    Case("trainer-amp-string", lambda t: make(amp="yes"), TypeError, "amp"),
    Case("trainer-grad-clip-zero", lambda t: make(grad_clip=0.0), InvalidArgumentError, "grad_clip"),
    Case("trainer-checkpoint-every-without-path", lambda t: make(checkpoint_every=10), InvalidArgumentError, "checkpoint_path"),
    Case("trainer-checkpoint-path-directory", lambda t: make(checkpoint_path=t), CheckpointError, "path"),
    Case("trainer-callbacks-none", lambda t: make(callbacks=None), TypeError, "callbacks"),
    Case("trainer-callback-not-callable", lambda t: make(callbacks=[print, 3]), TypeError, "callbacks"),
    Case("trainer-scheduler-of-other-optimizer", scheduler_of_other_optimizer, InvalidArgumentError, "g_scheduler"),
    Case("trainer-scheduler-not-scheduler", lambda t: make(g_scheduler=0.5), TypeError, "g_scheduler"),
    Case("trainer-d-scheduler-without-d-optimizer", d_scheduler_without_d_optimizer, InvalidArgumentError, "d_scheduler"),
    Case("trainer-max-consecutive-skips-zero", lambda t: make(max_consecutive_skips=0), InvalidArgumentError, "max_consecutive_skips"),
    Case("trainer-log-every-zero", lambda t: make(log_every=0), InvalidArgumentError, "log_every"),
    Case("trainer-loss-reduction-none", per_sample_loss, InvalidArgumentError, "loss.reduction"),
    Case("trainer-log-path-directory", lambda t: make(log_path=(t / "log.csv").mkdir() or t / "log.csv"), InvalidArgumentError, "log_path"),
    Case("trainer-log-path-not-a-path", lambda t: make(log_path=3), TypeError, "log_path"),
    Case("trainer-log-path-is-checkpoint-path", lambda t: make(log_path=t / "run.csv", checkpoint_path=t / "run.csv"), InvalidArgumentError, "log_path"),
    Case("log-foreign-csv", foreign_csv_log, InvalidArgumentError, "log_path"),
    Case("log-foreign-jsonl", foreign_jsonl_log, InvalidArgumentError, "log_path"),
    Case("logger-flush-every-zero", lambda t: MetricsLogger(t / "log.csv", flush_every=0), InvalidArgumentError, "flush_every"),
    Case("fit-data-none", lambda t: make().fit(None, steps=1), TypeError, "data"),  # type: ignore[arg-type]
    Case("fit-data-tensor", lambda t: make().fit(torch.zeros(3, 1, L), steps=1), TypeError, "data"),
    # ---- non-finite gradients and weights
    Case("step-nan-generator-gradient", nan_generator_gradient, NonFiniteLossError, "generator's gradient"),
    Case("step-nan-critic-gradient", nan_critic_gradient, NonFiniteLossError, "critic's gradient"),
    Case("fit-skip-same-bad-batch-forever", same_bad_batch_forever, NonFiniteLossError, "max_consecutive_skips"),
    Case("fit-skip-every-gradient-nan", every_gradient_nan, NonFiniteLossError, "max_consecutive_skips"),
    Case("save-nonfinite-weights", save_nonfinite_weights, CheckpointError, "checkpoint"),
    Case("fit-generator-infinite-lr", generator_infinite_lr, CheckpointError, "checkpoint"),
    # ---- save_atomic and load_checkpoint on what is at the path
    Case("save-to-directory", lambda t: save_atomic({"x": 1}, t), CheckpointError, "path"),
    Case("save-to-device", save_to_device, CheckpointError, "path"),
    Case("save-to-fifo", save_to_fifo, CheckpointError, "path"),
    Case("save-prev-is-directory", save_with_prev_directory, CheckpointError, "path"),
    Case("save-under-a-file", save_under_a_file, CheckpointError, "path"),
    Case("save-symlink-loop", save_symlink_loop, CheckpointError, "path"),
    Case("save-state-not-dict", lambda t: save_atomic([1, 2], t / "ckpt.pt"), TypeError, "state"),  # type: ignore[arg-type]
    Case("load-from-fifo", load_from_fifo, CheckpointError, "path"),
    Case("load-path-not-a-path", lambda t: load_checkpoint(3), CheckpointError, "path"),  # type: ignore[arg-type]
    # ---- loading a checkpoint that does not fit (all or nothing)
    Case("load-adam-into-sgd", lambda t: load_into(t, {"opt": torch.optim.Adam}, opt=torch.optim.SGD), CheckpointError, "g_optimizer"),
    Case("load-sgd-into-adam", lambda t: load_into(t, {"opt": torch.optim.SGD}, opt=torch.optim.Adam), CheckpointError, "g_optimizer"),
    Case("load-old-adam-into-sgd", lambda t: tampered_type(t), CheckpointError, "g_optimizer"),
    Case("load-base-only-into-adversarial", lambda t: load_into(t, {"adversarial": False}), CheckpointError, "d_optimizer"),
    Case("load-adversarial-into-base-only", lambda t: load_into(t, {}, adversarial=False), CheckpointError, "d_optimizer"),
    Case("load-scheduler-missing", lambda t: load_into(t, {}, scheduler=True), CheckpointError, "g_scheduler"),
    Case("load-scheduler-unexpected", lambda t: load_into(t, {"scheduler": True}), CheckpointError, "g_scheduler"),
    Case("load-critic-other-width", lambda t: load_into(t, {"critic_net": critic(8)}), CheckpointError, "loss"),
    Case("load-model-other-dtype", lambda t: tampered(t, lambda s: s["model"].update({k: v.double() for k, v in s["model"].items()})), CheckpointError, "model"),
    Case("load-optimizer-group-count", lambda t: tampered(t, lambda s: s["g_optimizer"]["param_groups"].append(dict(s["g_optimizer"]["param_groups"][0]))), CheckpointError, "g_optimizer"),
    Case("load-optimizer-state-shape", lambda t: tampered(t, lambda s: s["g_optimizer"]["state"][0].update(exp_avg=torch.zeros(7))), CheckpointError, "g_optimizer"),
    Case("load-step-negative", lambda t: tampered(t, lambda s: s.update(step=-3)), CheckpointError, "step"),
    Case("load-rng-damaged", lambda t: tampered(t, lambda s: s["rng"].update(torch=torch.zeros(3, dtype=torch.uint8))), CheckpointError, "rng"),
    Case("load-scaler-unexpected", lambda t: tampered(t, lambda s: s.update(scaler={"scale": 65536.0})), CheckpointError, "scaler"),
    Case("load-step-bool", lambda t: tampered(t, lambda s: s.update(step=True)), CheckpointError, "step"),
    Case("load-model-value-not-tensor", lambda t: tampered(t, lambda s: s["model"].update({"0.bias": [0.0] * 4})), CheckpointError, "model"),
    Case("load-optimizer-state-index", lambda t: tampered(t, lambda s: s["g_optimizer"]["state"].update({99: {}})), CheckpointError, "g_optimizer"),
    Case("load-history-damaged", lambda t: tampered(t, lambda s: s.update(history=[(1, "probabilities")])), CheckpointError, "history"),
    Case("load-state-not-dict", lambda t: make().load_state_dict([1, 2]), CheckpointError, "checkpoint"),  # type: ignore[arg-type]
    Case("load-format-other", lambda t: tampered(t, lambda s: s.update(format="v0")), CheckpointError, "format"),
    # ---- resuming with other settings: a warning naming each difference
    Case("resume-other-learning-rate", resume_other_lr, UserWarning, "lr"),
    Case("resume-other-weight", lambda t: load_into(t, {"weight": 5.0}, weight=1.0), UserWarning, "weight"),
    Case("resume-other-objective", lambda t: load_into(t, {"objective": "hinge"}, objective="vanilla"), UserWarning, "objective"),
]


def tampered_type(tmp: Path) -> object:
    """A checkpoint without the recorded optimizer type (written before it was recorded)."""
    state = load_checkpoint(saved(tmp, opt=torch.optim.Adam))
    del state["g_optimizer_type"]
    return make(opt=torch.optim.SGD).load_state_dict(state)


# --------------------------------------------------------------------------- checks: the right outcome


def check_nan_gradient_keeps_weights(tmp: Path) -> None:
    t = make(base=nan_grad_bce, checkpoint_path=tmp / "ckpt.pt")
    t.save_checkpoint(tmp / "ckpt.pt")
    before = [p.detach().clone() for p in t.model.parameters()]
    with pytest.raises(NonFiniteLossError) as caught:
        t.step(batch())
    assert same(before, [p.detach().clone() for p in t.model.parameters()])
    message = str(caught.value)
    assert "critic has already taken its step" in message and "ckpt.pt, step 0) is intact" in message
    assert "0.weight" in message  # names the parameter whose gradient is NaN


def check_nan_gradient_skip(tmp: Path) -> None:
    t = make(base=nan_grad_bce, on_nonfinite="skip")
    before = [p.detach().clone() for p in t.model.parameters()]
    with pytest.warns(RuntimeWarning, match="non-finite generator gradient"):
        row = t.step(batch())
    assert row["skipped"] == 1.0 and t.skipped == 1 and t.step_count == 0
    assert same(before, [p.detach().clone() for p in t.model.parameters()])
    assert all(p.grad is None for p in t.model.parameters())


def check_same_batch_reported(tmp: Path) -> None:
    with pytest.raises(NonFiniteLossError, match="at most 5 batch.*got 6 in a row.*same bad batch all 6 times"):
        same_bad_batch_forever(tmp)
    with pytest.raises(NonFiniteLossError, match="at most 4 batch.*got 5 in a row.*5 different bad batches"):
        every_gradient_nan(tmp)


def check_callable_moves_past_bad_batch(tmp: Path) -> None:
    t = make(on_nonfinite="skip", max_consecutive_skips=1)
    rows = quiet(lambda: t.fit(lambda draw: batch(draw, bad=draw == 3), steps=6))
    assert t.step_count == 6 and t.skipped == 1 and len(rows) == 7  # type: ignore[arg-type]


def check_infinite_learning_rate_says_not_finite(tmp: Path) -> None:
    t = make(opt=torch.optim.SGD, lr=float("inf"), checkpoint_path=tmp / "ckpt.pt", checkpoint_every=1)
    with pytest.raises(NonFiniteLossError) as caught:
        t.fit(lambda i: batch(i), steps=3)
    assert "the critic's weights are NOT finite" in str(caught.value)
    assert not (tmp / "ckpt.pt").exists()


def check_nonfinite_weights_keep_checkpoint(tmp: Path) -> None:
    t = make()
    t.fit(lambda i: batch(i), steps=2)
    t.save_checkpoint(tmp / "ckpt.pt")
    with torch.no_grad():
        next(t.model.parameters()).fill_(float("inf"))
    with pytest.raises(CheckpointError, match="still holds step 2"):
        t.save_checkpoint(tmp / "ckpt.pt")
    assert load_checkpoint(tmp / "ckpt.pt")["step"] == 2
    assert not (tmp / "ckpt.pt.prev").exists()


def check_failed_loads_change_nothing(tmp: Path) -> None:
    """The trainer's whole state is equal before and after each failed load."""
    for i, (saved_kw, kw) in enumerate([
        ({"opt": torch.optim.Adam}, {"opt": torch.optim.SGD}),  # model loads fine, optimizer does not
        ({"critic_net": critic(8)}, {}),  # model fine, critic not
        ({"adversarial": False}, {}),  # no critic optimizer in the checkpoint
        ({"scheduler": True}, {}),
    ]):
        folder = tmp / str(i)
        folder.mkdir()
        path = saved(folder, steps=3, **saved_kw)
        t = make(seed=5, **kw)
        t.fit(lambda j: batch(100 + j), steps=1)
        before, rng = full_state(t), torch.get_rng_state()
        with pytest.raises(CheckpointError):
            t.load_checkpoint(path)
        assert deep_equal(before, full_state(t)), saved_kw
        assert torch.equal(rng, torch.get_rng_state())


def check_apply_failure_rolls_back(tmp: Path) -> None:
    """Past the checks, a failure while applying (here: the optimizer refuses) still restores everything."""
    path = saved(tmp, steps=3)
    t = make(seed=5)
    t.fit(lambda j: batch(100 + j), steps=1)
    before = full_state(t)

    original, calls = t.g_optimizer.load_state_dict, []

    def refuse_once(state: dict) -> None:  # the load fails; the rollback's own load works
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk read error")
        original(state)

    t.g_optimizer.load_state_dict = refuse_once  # type: ignore[method-assign]
    with pytest.raises(CheckpointError, match="disk read error"):
        t.load_checkpoint(path)
    del t.g_optimizer.load_state_dict
    assert deep_equal(before, full_state(t))  # the model, loaded before the optimizer failed, is restored


def check_resume_warning_names_each_difference(tmp: Path) -> None:
    path = saved(tmp, lr=1e-2, weight=5.0)
    t = make(lr=1e-3, weight=1.0)
    with pytest.warns(UserWarning) as caught:
        t.load_checkpoint(path)
    text = " ".join(str(w.message) for w in caught)
    assert "g_optimizer group 0 lr: expected 0.001" in text and "d_optimizer group 0 lr" in text
    assert "weight: expected 1.0 (this trainer's, which is used), got 5.0" in text
    assert t.loss.weight == 1.0 and t.g_optimizer.param_groups[0]["lr"] == 1e-2  # the documented winners


def check_resume_keeps_history(tmp: Path) -> None:
    t = make()
    t.max_history = 4
    t.track(batch(7)[0], every=1)
    t.fit(lambda i: batch(i), steps=9)
    t.save_checkpoint(tmp / "ckpt.pt")
    full = make()
    full.max_history = 4
    full.track(batch(7)[0], every=1)
    full.fit(lambda i: batch(i), steps=14)
    resumed = make(seed=3)
    resumed.max_history = 4
    resumed.load_checkpoint(tmp / "ckpt.pt")
    resumed.track(batch(7)[0], every=1)
    resumed.fit(lambda i: batch(i), steps=14)
    assert [s for s, _ in resumed.history] == [s for s, _ in full.history]
    assert all((a == b).all() for (_, a), (_, b) in zip(resumed.history, full.history))


def check_symlink_followed(tmp: Path) -> None:
    real = tmp / "store" / "real.pt"
    save_atomic({"format": "shapeloss-checkpoint-v1", "n": 1}, real)
    link = tmp / "link.pt"
    os.symlink(real, link)
    written = save_atomic({"format": "shapeloss-checkpoint-v1", "n": 2}, link)
    assert link.is_symlink() and Path(os.readlink(link)) == real
    assert written == real and load_checkpoint(link)["n"] == 2
    assert load_checkpoint(tmp / "store" / "real.pt.prev")["n"] == 1


def check_stale_temporaries_removed(tmp: Path) -> None:
    dead = _dead_pid()
    stale = tmp / f".ckpt.pt.tmp-{dead}"
    stale.write_bytes(b"\0" * 4096)
    stale_prev = tmp / f".ckpt.pt.prev-tmp-{dead}"
    stale_prev.write_bytes(b"\0" * 10)
    live = tmp / f".ckpt.pt.tmp-{os.getppid()}"  # a running process: maybe saving now
    live.write_bytes(b"x")
    other = tmp / f".other.pt.tmp-{dead}"  # not ours
    other.write_bytes(b"x")
    save_atomic({"x": 1}, tmp / "ckpt.pt")
    assert not stale.exists() and not stale_prev.exists()
    assert live.exists() and other.exists()


def _dead_pid() -> int:
    pid = 2**22 - 3
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def check_planted_temp_symlink(tmp: Path) -> None:
    victim = tmp / "victim.txt"
    victim.write_text("precious")
    os.symlink(victim, tmp / f".ckpt.pt.tmp-{os.getpid()}")
    save_atomic({"x": 1}, tmp / "ckpt.pt")
    assert victim.read_text() == "precious"
    assert torch.load(tmp / "ckpt.pt", weights_only=True) == {"x": 1}


def check_csv_grows_adversarial_columns(tmp: Path) -> None:
    log = tmp / "log.csv"
    make(adversarial=False, log_path=log).fit(lambda i: batch(i), steps=2)
    make(log_path=log).fit(lambda i: batch(i), steps=2)
    import csv

    rows = list(csv.DictReader(log.open()))
    assert len(rows) == 4
    assert {"discriminator", "real_score", "fake_score", "adversarial"} <= set(rows[0])
    assert rows[0]["discriminator"] == "" and float(rows[3]["discriminator"]) > 0
    assert all(r["base"] != "" for r in rows)
    from shapeloss.diagnostics import load_metrics

    columns = load_metrics(log)  # the diagnostics reader takes the grown log: NaN where a column was absent
    assert list(columns["step"]) == [1, 2, 1, 2] and torch.isnan(torch.tensor(columns["discriminator"][:2])).all()


def check_resume_drops_log_rows_after_checkpoint(tmp: Path) -> None:
    for suffix in ("csv", "jsonl"):
        log, ckpt = tmp / f"log.{suffix}", tmp / f"ckpt-{suffix}.pt"
        t = make(log_path=log, checkpoint_path=ckpt, checkpoint_every=3)
        t.fit(lambda i: batch(i), steps=5)  # checkpoints at 3 and 5 ...
        save_atomic(load_checkpoint(str(ckpt) + ".prev"), ckpt)  # ... as if killed after step 5 before its save
        with log.open("a") as f:
            f.write('{"step": 6, "ba' if suffix == "jsonl" else "6,0.5")  # and mid-row
        resumed = make(log_path=log, checkpoint_path=ckpt)
        resumed.load_checkpoint(ckpt)
        with pytest.warns(RuntimeWarning, match=r"half-written last line \(a run killed while writing it\) and 2 row"):
            resumed.fit(lambda i: batch(i), steps=6)
        text = log.read_text().splitlines()
        steps = [int(float(re.split(r"[,:} ]+", line.split('"step"')[-1].strip(": "))[0])) if suffix == "jsonl"
                 else int(float(line.split(",")[0])) for line in text[(suffix == "csv"):]]
        assert steps == [1, 2, 3, 4, 5, 6], (suffix, text)


def check_grad_check_one_sync(tmp: Path) -> None:
    """The gradient check is one fused reduction: `.item()`/`bool()` syncs do not grow with the parameter count."""
    from shapeloss import _guards

    calls = []
    original = torch._foreach_norm

    def counting(tensors, *a, **k):  # noqa: ANN001, ANN002, ANN003
        calls.append(len(tensors))
        return original(tensors, *a, **k)

    deep = nn.Sequential(*[nn.Conv1d(1, 1, 3, padding=1) for _ in range(12)])
    t = make(model=deep)
    try:
        torch._foreach_norm = counting
        t.step(batch())
    finally:
        torch._foreach_norm = original
    assert 2 * 12 in calls  # all the generator's 24 gradients in one call
    assert _guards.all_finite([torch.ones(2), torch.tensor([1e38, 3e38])])  # a huge finite gradient is finite


def check_fast_soak(tmp: Path) -> None:
    """The fault-injection soak, fast: 40 steps, faults, one SIGKILL, resumed; weights equal an uninterrupted run's."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import soak

    result = soak.run_soak(steps=40, kills=1, seed=0, workdir=tmp / "soak", checkpoint_every=5, rate=0.05, pause=0.02)
    assert result["weights_equal"] and result["weights_finite"], result
    assert result["skipped_resumed"] == result["skipped_reference"] == result["skip_warnings"] > 0
    assert sum(result["faults_met"][k] for k in soak.SKIP_KINDS) == result["skipped_reference"]
    assert result["faults_met"]["critic-wins"] > 0 and result["won_outright_warnings"] == 1
    assert 0 < result["resumed_from_steps"][0] < 40  # the kill landed mid-run, after a checkpoint
    assert result["stale_temporaries"] == []


CHECKS = [
    Check("step-nan-gradient-keeps-weights", check_nan_gradient_keeps_weights),
    Check("step-nan-gradient-skip", check_nan_gradient_skip),
    Check("fit-skip-reports-same-batch", check_same_batch_reported),
    Check("fit-callable-moves-past-bad-batch", check_callable_moves_past_bad_batch),
    Check("save-nonfinite-keeps-checkpoint", check_nonfinite_weights_keep_checkpoint),
    Check("fit-infinite-lr-says-not-finite", check_infinite_learning_rate_says_not_finite),
    Check("load-failure-changes-nothing", check_failed_loads_change_nothing),
    Check("load-apply-failure-rolls-back", check_apply_failure_rolls_back),
    Check("resume-warning-names-each-difference", check_resume_warning_names_each_difference),
    Check("resume-keeps-tracked-history", check_resume_keeps_history),
    Check("save-through-symlink", check_symlink_followed),
    Check("save-removes-stale-temporaries", check_stale_temporaries_removed),
    Check("save-planted-temp-symlink", check_planted_temp_symlink),
    Check("log-csv-grows-adversarial-columns", check_csv_grows_adversarial_columns),
    Check("log-resume-drops-rows-after-checkpoint", check_resume_drops_log_rows_after_checkpoint),
    Check("step-gradient-check-fused", check_grad_check_one_sync),
    Check("soak-kill-resume-fast", check_fast_soak),
]


# --------------------------------------------------------------------------- the tests


def test_ids_are_unique():
    unique_ids([*CASES, *CHECKS])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_a_named_error(case: Case, tmp_path: Path):
    assert_named_error(case, tmp_path)


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_hostile_call_has_the_right_outcome(check: Check, tmp_path: Path):
    torch.set_num_threads(1)
    check.call(tmp_path)


def _doc_section_ids() -> list[str]:
    doc = (ROOT / "docs" / "reliability.md").read_text()
    heading = "## Round 2: training, checkpoints and logs"
    assert heading in doc, f"docs/reliability.md lacks the section {heading!r}"
    section = doc.split(heading, 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M)


def test_docs_section_and_tests_agree_both_ways():
    documented = _doc_section_ids()
    tested = [c.id for c in [*CASES, *CHECKS]]
    assert len(documented) == len(set(documented)), "a row appears twice in the docs section"
    missing = sorted(set(tested) - set(documented))
    orphan = sorted(set(documented) - set(tested))
    assert not missing, f"add these rows to docs/reliability.md (Round 2 section): {missing}"
    assert not orphan, f"these documented rows have no test: {orphan}"
    assert len(tested) >= 35
