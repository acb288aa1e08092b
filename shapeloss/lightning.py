"""PyTorch Lightning: train any generator with a :class:`~shapeloss.ShapeLoss` on Lightning's engine.

:class:`ShapeLossModule` is a ``LightningModule`` with manual optimisation: each training
step runs the generator once, updates the critic on the detached prediction, then updates
the generator: :func:`shapeloss.adversarial_step.adversarial_step`, the step
:class:`~shapeloss.AdversarialTrainer` runs, with Lightning's backward, clipping and
optimizer steps. Lightning then brings what
we do not reimplement: multi-GPU and multi-node data parallelism (``strategy="ddp"``),
mixed precision, checkpoints holding both optimizers and both schedulers, loggers.

Example::

    import lightning as L
    from shapeloss import REFERENCE_WEIGHT, ShapeLoss
    from shapeloss.discriminators import GlobalCritic
    from shapeloss.lightning import ShapeLossModule
    from shapeloss.seismic import PhaseNet

    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), GlobalCritic(3, 3), weight=REFERENCE_WEIGHT)
    module = ShapeLossModule(PhaseNet(), loss, lr=1e-3, d_lr=2e-4)
    L.Trainer(accelerator="gpu", devices=4, strategy="ddp", max_steps=20_000).fit(module, loader)

``max_steps`` counts optimizer steps, as Lightning does: two per batch while the critic is
updated (one critic step + one generator step), one otherwise.

Requires the ``lightning`` extra: ``pip install 'shapeloss[lightning]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

try:
    import lightning as L
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("shapeloss.lightning needs PyTorch Lightning: pip install 'shapeloss[lightning]'") from exc

from ._validation import check_positive_int, check_weight
from .adversarial_step import DeferredGuard, NonFinite, StepGuard, StepOps, adversarial_step, step_metrics, unpack_batch
from .errors import CheckpointError, InvalidArgumentError, NonFiniteInputError, NonFiniteLossError
from .losses import ShapeLoss

__all__ = ["ShapeLossModule", "TrackedSamples"]

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[[torch.optim.Optimizer], Any]


class ShapeLossModule(L.LightningModule):
    """A ``LightningModule`` training ``generator`` with a :class:`~shapeloss.ShapeLoss`.

    Args:
        generator: the segmentation net, ``inputs -> logits``.
        loss: the :class:`~shapeloss.ShapeLoss`; its critic is a submodule, so it is saved,
            moved and (under DDP) synchronised with the generator.
        lr: generator learning rate of the default optimizer (Adam).
        d_lr: critic learning rate of the default optimizer (Adam, betas (0.5, 0.999)).
        g_optimizer: a factory ``params -> Optimizer`` replacing the default one.
        d_optimizer: the same for the critic.
        g_scheduler: a factory ``optimizer -> LR scheduler`` stepped after every generator
            step (``None``: constant rate).
        d_scheduler: the same for the critic, stepped once per batch on which the critic
            was updated (every ``d_every``-th batch, once whatever ``d_steps``).
        d_steps: critic updates per generator update, each on the same detached prediction.
        d_every: update the critic on every k-th batch only.
        grad_clip: clip each net's gradient norm to this value (``None``: off).
        check_every: the batch, the logits, the losses and the gradients are checked for
            NaN/Inf on the device at every batch; the checks are read every ``check_every``
            batches and before each checkpoint. ``1`` (default): read before each optimizer
            step (a host sync per check), so a NaN stops training before it reaches the
            weights; larger: no host sync between reads, and a NaN stops training at the next
            read (:class:`~shapeloss.errors.NonFiniteLossError` naming the batch and the term).

    Batches are ``(inputs, target)`` (the condition is the input) or
    ``(inputs, target, condition)``, ``target`` shaped like the logits.

    Logged every step as device tensors (``self.log``; Lightning reads them back at its own
    ``log_every_n_steps``): ``base``, ``adversarial``, ``total``, and on critic steps
    ``discriminator``, ``real_score``, ``fake_score`` (both scores from the critic's pass,
    before its update; plus ``gradient_penalty`` / ``r1`` where used): the names
    :class:`~shapeloss.AdversarialTrainer` writes. Validation logs ``val_base``.
    """

    def __init__(
        self,
        generator: nn.Module,
        loss: ShapeLoss,
        *,
        lr: float = 1e-3,
        d_lr: float = 2e-4,
        g_optimizer: OptimizerFactory | None = None,
        d_optimizer: OptimizerFactory | None = None,
        g_scheduler: SchedulerFactory | None = None,
        d_scheduler: SchedulerFactory | None = None,
        d_steps: int = 1,
        d_every: int = 1,
        grad_clip: float | None = None,
        check_every: int = 1,
    ) -> None:
        super().__init__()
        if not isinstance(generator, nn.Module):
            raise TypeError(f"generator: expected an nn.Module, got {type(generator).__name__}")
        if not isinstance(loss, ShapeLoss):
            raise TypeError(f"loss: expected a shapeloss.ShapeLoss, got {type(loss).__name__}")
        if loss.reduction == "none":
            raise InvalidArgumentError(
                "loss.reduction: expected 'mean' or 'sum' (each step back-propagates one scalar), got 'none'"
            )
        for name, factory in (("g_optimizer", g_optimizer), ("d_optimizer", d_optimizer),
                              ("g_scheduler", g_scheduler), ("d_scheduler", d_scheduler)):
            if factory is not None and not callable(factory):
                raise TypeError(f"{name}: expected a factory callable or None, got {type(factory).__name__}")
        self.automatic_optimization = False
        self.generator = generator
        self.loss = loss
        self.lr = check_weight(lr, "lr", allow_inf=False)
        self.d_lr = check_weight(d_lr, "d_lr", allow_inf=False)
        self._factories = (g_optimizer, d_optimizer, g_scheduler, d_scheduler)
        self.d_steps = check_positive_int(d_steps, "d_steps")
        self.d_every = check_positive_int(d_every, "d_every")
        self.grad_clip = None if grad_clip is None else check_weight(grad_clip, "grad_clip", allow_inf=False)
        self.check_every = check_positive_int(check_every, "check_every")
        self._guard = DeferredGuard(self._fail) if self.check_every > 1 else StepGuard(self._fail)
        self.batches_seen = 0
        self.save_hyperparameters(ignore=["generator", "loss", "g_optimizer", "d_optimizer", "g_scheduler", "d_scheduler"])

    def setup(self, stage: str) -> None:
        # Each step runs two backward passes, the critic's (no gradient reaches the
        # generator) and the generator's (none reaches the critic): under DDP some parameters
        # are unused in each, which DDP accepts only with find_unused_parameters=True. Set it
        # here, before Lightning wraps the model, so that plain strategy="ddp" works
        # (strategy="ddp_find_unused_parameters_true" is the public spelling of the same).
        kwargs = getattr(self.trainer.strategy, "_ddp_kwargs", None)
        if isinstance(kwargs, dict) and self._adversarial:
            kwargs.setdefault("find_unused_parameters", True)

    def forward(self, inputs: Tensor) -> Tensor:
        """The generator's logits."""
        return self.generator(inputs)

    # ------------------------------------------------------------ optimizers
    @property
    def _adversarial(self) -> bool:
        return self.loss.uses_discriminator

    def configure_optimizers(self) -> Any:
        g_factory, d_factory, g_sched, d_sched = self._factories
        g_opt = g_factory(self.generator.parameters()) if g_factory else torch.optim.Adam(self.generator.parameters(), lr=self.lr)
        optimizers = [g_opt]
        schedulers = [g_sched(g_opt)] if g_sched else []
        if self._adversarial:
            assert self.loss.discriminator is not None
            params = self.loss.discriminator.parameters()
            d_opt = d_factory(params) if d_factory else torch.optim.Adam(params, lr=self.d_lr, betas=(0.5, 0.999))
            optimizers.append(d_opt)
            if d_sched:
                schedulers.append(d_sched(d_opt))
        self._has_schedulers = (g_sched is not None, d_sched is not None and self._adversarial)
        return optimizers, schedulers

    def _schedulers(self) -> tuple[Any, Any]:
        found = self.lr_schedulers()
        found = [] if found is None else (found if isinstance(found, list) else [found])
        g_has, d_has = getattr(self, "_has_schedulers", (False, False))
        it = iter(found)
        return (next(it) if g_has else None), (next(it) if d_has else None)

    # -------------------------------------------------------------- training
    def _fail(self, bad: NonFinite) -> None:
        error = NonFiniteInputError if bad.what.startswith("batch ") else NonFiniteLossError
        if self._guard.deferred:
            raise error(
                f"step {bad.step}: the {bad.what} is not finite (expected finite values, got NaN/Inf); found at the "
                f"check after batch {self.batches_seen} (check_every={self.check_every}: the optimizers stepped on in "
                "between, so the weights may not be finite); pass check_every=1 to stop before the optimizer step"
            )
        raise error(
            f"step {bad.step}: the {bad.what} is not finite (expected finite values, got {bad.detail()}); stopped before "
            + ("the generator's optimizer step" if bad.critic_stepped else "any optimizer step")
        )

    def read_checks(self) -> None:
        """Read the NaN/Inf checks kept on the device (``check_every > 1``; one host sync), raising on a failure."""
        if self._guard.deferred:
            self._guard.read()

    def _clip(self, optimizer: Any, params: list[Tensor]) -> None:
        self.clip_gradients(optimizer, gradient_clip_val=self.grad_clip, gradient_clip_algorithm="norm")

    def _ops(self) -> StepOps:
        # under float16 mixed precision Lightning's GradScaler handles Inf/NaN gradients itself
        # (it skips that optimizer step and lowers the scale), as AdversarialTrainer's does
        scaler = getattr(getattr(self.trainer, "precision_plugin", None), "scaler", None)
        return StepOps(
            backward=self.manual_backward,
            optimizer_step=lambda optimizer: optimizer.step(),
            guard=self._guard,
            clip=self._clip if self.grad_clip is not None else None,
            check_gradients=scaler is None,
        )

    def training_step(self, batch: Sequence[Tensor], batch_idx: int) -> Tensor:
        inputs, target, condition = unpack_batch(batch)
        optimizers = self.optimizers()
        optimizers = optimizers if isinstance(optimizers, list) else [optimizers]
        g_sched, d_sched = self._schedulers()

        d_due = self._adversarial and self.batches_seen % self.d_every == 0
        self._guard.begin(self.batches_seen)
        output = adversarial_step(
            self.generator, self.loss, inputs, target, condition, optimizers[0],
            optimizers[1] if d_due else None, self._ops(), critic_due=d_due, d_steps=self.d_steps,
        )
        if d_due and d_sched is not None:
            d_sched.step()
        if g_sched is not None:
            g_sched.step()
        self.batches_seen += 1
        if self.batches_seen % self.check_every == 0:
            self.read_checks()
        self.log_dict(step_metrics(output), on_step=True, on_epoch=False, prog_bar=False, batch_size=int(inputs.shape[0]))
        return output.generator.total.detach()

    def validation_step(self, batch: Sequence[Tensor], batch_idx: int) -> Tensor:
        inputs, target, _ = unpack_batch(batch)
        base = self.loss.base_loss(self.generator(inputs), target)
        self.log("val_base", base, on_epoch=True, sync_dist=True, batch_size=int(inputs.shape[0]))
        return base

    def predict_step(self, batch: Any, batch_idx: int) -> Tensor:
        """Probabilities (the loss's activation of the logits)."""
        inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
        return self.loss.activation(self.generator(inputs))

    # ----------------------------------------------------------- checkpoints
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.read_checks()  # no checkpoint from a run whose deferred checks failed
        checkpoint["shapeloss_batches_seen"] = self.batches_seen

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self.batches_seen = int(checkpoint.get("shapeloss_batches_seen", 0))


class TrackedSamples(L.Callback):
    """Predictions on fixed inputs every ``every`` batches, drawn into the Lightning logger.

    The Lightning counterpart of :meth:`AdversarialTrainer.track` with the figure of
    :func:`shapeloss.loggers.tracked_figure`: each record is ``(batch, probabilities)``, kept in
    :attr:`history` and saved in Lightning's checkpoints (a resumed run continues it); the figure goes to a ``TensorBoardLogger`` (``add_figure``) or an
    ``MLFlowLogger`` (``log_figure``) on rank 0, and is skipped for other loggers.

    Args:
        inputs: ``(B, C, *)`` fixed inputs (a few windows).
        every: record every ``every`` training batches (and before the first).
        labels: ``(B, C, L)`` labels drawn behind 1D predictions.
        channel_names: names of the channels, for the legend.
        tag: the figure's tag / artifact folder.
    """

    def __init__(self, inputs: Tensor, every: int = 100, labels: Any = None,
                 channel_names: Sequence[str] | None = None, tag: str = "tracked") -> None:
        if not isinstance(inputs, Tensor):
            raise TypeError(f"inputs: expected a torch.Tensor, got {type(inputs).__name__}")
        self.inputs = inputs.detach()
        self.every = check_positive_int(every, "every")
        self.labels, self.channel_names, self.tag = labels, channel_names, tag
        self.history: list[tuple[int, Any]] = []

    def state_dict(self) -> dict[str, Any]:
        """The recorded history, saved in Lightning's checkpoints: a resumed run continues it."""
        return {"history": [(int(step), torch.from_numpy(np.ascontiguousarray(p))) for step, p in self.history]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        history = state_dict.get("history") or []
        if not isinstance(history, list) or not all(
            isinstance(e, (list, tuple)) and len(e) == 2 and isinstance(e[1], Tensor) for e in history
        ):
            raise CheckpointError("checkpoint callbacks TrackedSamples: expected 'history' as a list of (step, tensor), "
                                  f"got {type(history).__name__}")
        self.history = [(int(step), p.cpu().numpy()) for step, p in history]

    @torch.no_grad()
    def _record(self, trainer: Any, module: ShapeLossModule) -> None:
        was_training = module.training
        module.eval()
        try:
            probs = module.loss.activation(module.generator(self.inputs.to(module.device))).float().cpu().numpy()
        finally:
            module.train(was_training)
        step = module.batches_seen
        self.history.append((step, probs))
        if not trainer.is_global_zero or trainer.logger is None:
            return
        from .loggers import tracked_figure

        fig = tracked_figure(self.history, self.labels, self.channel_names)
        experiment = trainer.logger.experiment
        try:
            if hasattr(experiment, "add_figure"):  # TensorBoard
                experiment.add_figure(self.tag, fig, step, close=False)
            elif hasattr(experiment, "log_figure") and hasattr(trainer.logger, "run_id"):  # MLflow
                experiment.log_figure(trainer.logger.run_id, fig, f"{self.tag}/step_{step:07d}.png")
        finally:
            fig.clear()

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        if not self.history:
            self._record(trainer, pl_module)

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        if pl_module.batches_seen % self.every == 0:
            self._record(trainer, pl_module)
