"""One table of bad inputs for every public entry point.

Each row calls an entry point with one thing wrong and names the exception type
it must raise and the argument (or file field) its message must name. Every
message must also read ``"... expected <X>, got <Y>"``: the user learns what
to fix without reading our code. ``docs/reliability.md`` keeps a copy of the
table in prose; add a row there when you add one here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from shapeloss import (
    AdversarialTrainer,
    ShapeLoss,
    build_discriminator,
    get_objective,
    load_checkpoint,
    seed_everything,
)
from shapeloss import metrics as M
from shapeloss.discriminators import GlobalCritic, PatchCritic, ReferenceCritic1d
from shapeloss.errors import (
    CheckpointError,
    DataFormatError,
    InvalidArgumentError,
    NonFiniteInputError,
    OutOfDomainError,
    ShapeLossError,
    ShapeMismatchError,
)
from shapeloss.nets import UNet1d, UNet2d, init_prior_bias, label_prior

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bad_input_cases import (  # noqa: E402
    Case, CliCase, assert_named_error, read_npz, run_cli, unique_ids, write_bytes, write_npz,
)

NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------- helpers
# Small, cheap objects built inside each call so a row never depends on another.


def rand(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype)


def with_value(t: torch.Tensor, value: float) -> torch.Tensor:
    t = t.clone()
    t.view(-1)[0] = value
    return t


def critic(**kw: object) -> GlobalCritic:
    return GlobalCritic(1, 1, width=4, depth=2, **kw)  # type: ignore[arg-type]


def shape_loss(**kw: object) -> ShapeLoss:
    return ShapeLoss(nn.BCEWithLogitsLoss(), critic(), weight=1.0, **kw)  # type: ignore[arg-type]


def g_loss(logits: object, target: object, condition: object = "default") -> object:
    cond = rand(2, 1, 16) if isinstance(condition, str) else condition
    return shape_loss()(logits, target, cond)


def d_loss(logits: object, target: object, condition: object) -> object:
    return shape_loss().discriminator_loss(logits, target, condition)


def trainer(**kw: object) -> AdversarialTrainer:
    model = nn.Conv1d(1, 1, 3, padding=1)
    loss = shape_loss()
    return AdversarialTrainer(
        model, loss,
        torch.optim.SGD(model.parameters(), lr=0.01),
        torch.optim.SGD(loss.discriminator.parameters(), lr=0.01),
        progress=False, **kw,  # type: ignore[arg-type]
    )


def trainer_with(**kw: object) -> Callable[[Path], object]:
    return lambda tmp: trainer(**kw)


def step(batch: object) -> Callable[[Path], object]:
    return lambda tmp: trainer().step(batch)  # type: ignore[arg-type]


def probs(b: int = 2, c: int = 1, length: int = 32) -> np.ndarray:
    return np.random.default_rng(0).random((b, c, length))


def checkpoint_of_another_model(tmp: Path) -> object:
    t = trainer()
    t.save_checkpoint(tmp / "ckpt.pt")
    other = nn.Conv1d(1, 1, 5, padding=2)
    loss = shape_loss()
    return AdversarialTrainer(
        other, loss, torch.optim.SGD(other.parameters(), lr=0.01),
        torch.optim.SGD(loss.discriminator.parameters(), lr=0.01), progress=False,
    ).load_checkpoint(tmp / "ckpt.pt")


def save_and_load(tmp: Path, state: object) -> object:
    torch.save(state, tmp / "ckpt.pt")
    return load_checkpoint(tmp / "ckpt.pt")


class _Hostile:
    """Unpickling this would run code: weights_only=True must refuse it."""

    def __reduce__(self):  # pragma: no cover - never unpickled
        return (print, ("pwned",))


# --------------------------------------------------------------------------- the table

L = 16
CASES: list[Case] = [
    # ---- ShapeLoss: construction
    Case("loss-base-not-callable", lambda t: ShapeLoss("bce", critic()), TypeError, "base_loss"),  # type: ignore[arg-type]
    Case("loss-discriminator-not-module", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), "patch"), TypeError, "discriminator"),  # type: ignore[arg-type]
    Case("loss-adversarial-without-critic", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), None), TypeError, "discriminator"),
    Case("loss-weight-negative", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), critic(), weight=-1.0), InvalidArgumentError, "weight"),
    Case("loss-weight-nan", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), critic(), weight=NAN), InvalidArgumentError, "weight"),
    Case("loss-weight-string", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), critic(), weight="4000"), TypeError, "weight"),  # type: ignore[arg-type]
    Case("loss-gp-weight-inf", lambda t: shape_loss(gp_weight=INF), InvalidArgumentError, "gp_weight"),
    Case("loss-r1-weight-negative", lambda t: shape_loss(r1_weight=-0.1), InvalidArgumentError, "r1_weight"),
    Case("loss-unknown-objective", lambda t: shape_loss(objective="wgan"), InvalidArgumentError, "objective"),
    Case("loss-unknown-activation", lambda t: shape_loss(activation="tanh"), InvalidArgumentError, "activation"),
    # ---- ShapeLoss: generator call
    Case("loss-logits-not-tensor", lambda t: g_loss(np.zeros((2, 1, L)), rand(2, 1, L)), TypeError, "logits"),
    Case("loss-logits-rank-2", lambda t: g_loss(rand(2, L), rand(2, L)), ShapeMismatchError, "logits"),
    Case("loss-logits-rank-5", lambda t: g_loss(rand(2, 1, 2, 2, 2), rand(2, 1, 2, 2, 2)), ShapeMismatchError, "logits"),
    Case("loss-logits-integer", lambda t: g_loss(torch.zeros(2, 1, L, dtype=torch.long), rand(2, 1, L)), TypeError, "logits"),
    Case("loss-empty-batch", lambda t: g_loss(rand(0, 1, L), rand(0, 1, L), rand(0, 1, L)), ShapeMismatchError, "logits"),
    Case("loss-zero-length-window", lambda t: g_loss(rand(2, 1, 0), rand(2, 1, 0), rand(2, 1, 0)), ShapeMismatchError, "logits"),
    Case("loss-target-shape", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L + 1)), ShapeMismatchError, "target"),
    Case("loss-target-batch", lambda t: g_loss(rand(2, 1, L), rand(3, 1, L)), ShapeMismatchError, "target"),
    Case("loss-target-dtype", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L, dtype=torch.float64)), TypeError, "target"),
    Case("loss-target-device", lambda t: g_loss(rand(2, 1, L), torch.empty(2, 1, L, device="meta")), InvalidArgumentError, "target"),
    Case("loss-logits-nan", lambda t: g_loss(with_value(rand(2, 1, L), NAN), rand(2, 1, L)), NonFiniteInputError, "logits"),
    Case("loss-logits-inf", lambda t: g_loss(with_value(rand(2, 1, L), -INF), rand(2, 1, L)), NonFiniteInputError, "logits"),
    Case("loss-target-nan", lambda t: g_loss(rand(2, 1, L), with_value(rand(2, 1, L), NAN)), NonFiniteInputError, "target"),
    Case("loss-target-above-1", lambda t: g_loss(rand(2, 1, L), with_value(rand(2, 1, L), 1.5)), OutOfDomainError, "target"),
    Case("loss-target-below-0", lambda t: g_loss(rand(2, 1, L), with_value(rand(2, 1, L), -0.1)), OutOfDomainError, "target"),
    Case("loss-condition-missing", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), None), TypeError, "condition"),
    Case("loss-condition-not-tensor", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), [0.0] * L), TypeError, "condition"),
    Case("loss-condition-rank", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), rand(2, L)), ShapeMismatchError, "condition"),
    Case("loss-condition-batch", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), rand(3, 1, L)), ShapeMismatchError, "condition"),
    Case("loss-condition-length", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L - 1)), ShapeMismatchError, "condition"),
    Case("loss-condition-dtype", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L, dtype=torch.float64)), TypeError, "condition"),
    Case("loss-condition-channels", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), rand(2, 2, L)), ShapeMismatchError, "condition"),
    Case("loss-condition-inf", lambda t: g_loss(rand(2, 1, L), rand(2, 1, L), with_value(rand(2, 1, L), INF)), NonFiniteInputError, "condition"),
    # ---- ShapeLoss: critic call
    Case("dloss-without-critic", lambda t: ShapeLoss(nn.BCEWithLogitsLoss(), None, adversarial=False).discriminator_loss(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L)), TypeError, "discriminator"),
    Case("dloss-condition-missing", lambda t: d_loss(rand(2, 1, L), rand(2, 1, L), None), TypeError, "condition"),
    Case("dloss-target-nan", lambda t: d_loss(rand(2, 1, L), with_value(rand(2, 1, L), NAN), rand(2, 1, L)), NonFiniteInputError, "target"),
    Case("dloss-target-out-of-domain", lambda t: d_loss(rand(2, 1, L), with_value(rand(2, 1, L), 2.0), rand(2, 1, L)), OutOfDomainError, "target"),
    Case("dloss-condition-batch", lambda t: d_loss(rand(2, 1, L), rand(2, 1, L), rand(1, 1, L)), ShapeMismatchError, "condition"),
    # ---- objectives
    Case("objective-unknown-name", lambda t: get_objective("minimax"), InvalidArgumentError, "objective"),
    Case("objective-not-a-name", lambda t: get_objective(3), InvalidArgumentError, "objective"),  # type: ignore[arg-type]
    # ---- discriminators
    Case("critic-zero-label-channels", lambda t: GlobalCritic(0, 1), InvalidArgumentError, "label_channels"),
    Case("critic-float-condition-channels", lambda t: GlobalCritic(1, 1.5), TypeError, "condition_channels"),  # type: ignore[arg-type]
    Case("critic-dims-3", lambda t: GlobalCritic(1, 1, dims=3), InvalidArgumentError, "dims"),
    Case("critic-unknown-norm", lambda t: PatchCritic(1, 1, norm="layer"), InvalidArgumentError, "norm"),
    Case("critic-width-zero", lambda t: GlobalCritic(1, 1, width=0), InvalidArgumentError, "width"),
    Case("critic-first-stride-zero", lambda t: GlobalCritic(1, 1, first_stride=0), InvalidArgumentError, "first_stride"),
    Case("critic-preset-unknown", lambda t: build_discriminator("resnet", 1, 1), InvalidArgumentError, "name"),
    Case("critic-reference-no-length", lambda t: build_discriminator("reference", 3, 3), InvalidArgumentError, "length"),
    Case("critic-reference-2d", lambda t: build_discriminator("reference", 3, 3, dims=2, length=64), InvalidArgumentError, "dims"),
    Case("critic-reference-options", lambda t: build_discriminator("reference", 3, 3, length=64, width=8), InvalidArgumentError, "options"),
    Case("critic-reference-too-short", lambda t: ReferenceCritic1d(1, 1, length=4), InvalidArgumentError, "length"),
    Case("critic-reference-wrong-length", lambda t: ReferenceCritic1d(1, 1, 64)(rand(2, 1, 65), rand(2, 1, 65)), ShapeMismatchError, "label"),
    Case("critic-label-channels", lambda t: critic()(rand(2, 2, L), rand(2, 1, L)), ShapeMismatchError, "label"),
    Case("critic-condition-channels", lambda t: critic()(rand(2, 1, L), rand(2, 3, L)), ShapeMismatchError, "condition"),
    Case("critic-label-rank", lambda t: critic()(rand(2, 1, L, L), rand(2, 1, L, L)), ShapeMismatchError, "label"),
    Case("critic-condition-not-tensor", lambda t: critic()(rand(2, 1, L), np.zeros((2, 1, L))), TypeError, "condition"),
    Case("critic-condition-batch", lambda t: critic()(rand(2, 1, L), rand(4, 1, L)), ShapeMismatchError, "condition"),
    Case("critic-condition-dtype", lambda t: critic()(rand(2, 1, L), rand(2, 1, L, dtype=torch.float64)), TypeError, "condition"),
    Case("critic-empty-batch", lambda t: critic()(rand(0, 1, L), rand(0, 1, L)), ShapeMismatchError, "label"),
    # ---- training helper: construction
    Case("trainer-model-not-module", lambda t: AdversarialTrainer(lambda x: x, shape_loss(), torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)), TypeError, "model"),  # type: ignore[arg-type]
    Case("trainer-loss-not-shapeloss", lambda t: AdversarialTrainer(nn.Conv1d(1, 1, 1), nn.MSELoss(), torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)), TypeError, "loss"),  # type: ignore[arg-type]
    Case("trainer-g-optimizer-missing", lambda t: AdversarialTrainer(nn.Conv1d(1, 1, 1), shape_loss(), None), TypeError, "g_optimizer"),  # type: ignore[arg-type]
    Case("trainer-d-optimizer-missing", lambda t: AdversarialTrainer(nn.Conv1d(1, 1, 1), shape_loss(), torch.optim.SGD(nn.Conv1d(1, 1, 1).parameters(), lr=0.1)), TypeError, "d_optimizer"),
    Case("trainer-d-steps-zero", trainer_with(d_steps=0), InvalidArgumentError, "d_steps"),
    Case("trainer-d-every-negative", trainer_with(d_every=-1), InvalidArgumentError, "d_every"),
    Case("trainer-grad-clip-negative", trainer_with(grad_clip=-1.0), InvalidArgumentError, "grad_clip"),
    Case("trainer-grad-clip-nan", trainer_with(grad_clip=NAN), InvalidArgumentError, "grad_clip"),
    Case("trainer-on-nonfinite-unknown", trainer_with(on_nonfinite="ignore"), InvalidArgumentError, "on_nonfinite"),
    Case("trainer-checkpoint-every-zero", trainer_with(checkpoint_every=0), InvalidArgumentError, "checkpoint_every"),
    Case("trainer-log-path-suffix", lambda t: trainer(log_path=t / "log.txt"), InvalidArgumentError, "log_path"),
    Case("trainer-max-metrics-negative", trainer_with(max_metrics=-1), InvalidArgumentError, "max_metrics"),
    Case("trainer-divergence-window-negative", trainer_with(divergence_window=-5), InvalidArgumentError, "divergence_window"),
    Case("trainer-unknown-device", trainer_with(device="gpu0"), InvalidArgumentError, "device"),
    # ---- training helper: batches
    Case("step-batch-one-item", step((rand(2, 1, L),)), TypeError, "batch"),
    Case("step-batch-dict", step({"x": rand(2, 1, L)}), TypeError, "batch"),
    Case("step-target-not-tensor", step((rand(2, 1, L), np.zeros((2, 1, L)))), TypeError, "target"),
    Case("step-inputs-nan", step((with_value(rand(2, 1, L), NAN), rand(2, 1, L))), NonFiniteInputError, "inputs"),
    Case("step-target-inf", step((rand(2, 1, L), with_value(rand(2, 1, L), INF))), NonFiniteInputError, "target"),
    Case("step-condition-nan", step((rand(2, 1, L), rand(2, 1, L), with_value(rand(2, 1, L), NAN))), NonFiniteInputError, "condition"),
    Case("step-target-out-of-domain", step((rand(2, 1, L), with_value(rand(2, 1, L), 3.0))), OutOfDomainError, "target"),
    Case("step-target-shape", step((rand(2, 1, L), rand(2, 1, L // 2))), ShapeMismatchError, "target"),
    Case("fit-steps-negative", lambda t: trainer().fit([(rand(2, 1, L), rand(2, 1, L))], steps=-1), InvalidArgumentError, "steps"),
    Case("fit-empty-data", lambda t: trainer().fit([], steps=1), InvalidArgumentError, "data"),
    Case("track-not-tensor", lambda t: trainer().track(np.zeros((1, 1, L))), TypeError, "inputs"),  # type: ignore[arg-type]
    Case("track-every-zero", lambda t: trainer().track(rand(1, 1, L), every=0), InvalidArgumentError, "every"),
    # ---- checkpoints
    Case("checkpoint-missing", lambda t: load_checkpoint(t / "nope.pt"), CheckpointError, "path"),
    Case("checkpoint-folder", lambda t: load_checkpoint(t), CheckpointError, "path"),
    Case("checkpoint-empty-file", lambda t: load_checkpoint(write_bytes(t, "e.pt", b"")), CheckpointError, "e.pt"),
    Case("checkpoint-random-bytes", lambda t: load_checkpoint(write_bytes(t, "r.pt", bytes(range(256)) * 4)), CheckpointError, "r.pt"),
    Case("checkpoint-not-ours", lambda t: save_and_load(t, {"weights": torch.zeros(2)}), CheckpointError, "format"),
    Case("checkpoint-a-tensor", lambda t: save_and_load(t, torch.zeros(2)), CheckpointError, "format"),
    Case("checkpoint-hostile-pickle", lambda t: save_and_load(t, {"format": "shapeloss-checkpoint-v1", "x": _Hostile()}), CheckpointError, "ckpt.pt"),
    Case("checkpoint-other-model", checkpoint_of_another_model, CheckpointError, "checkpoint"),
    Case("checkpoint-missing-field", lambda t: trainer().load_state_dict({"format": "shapeloss-checkpoint-v1"}), CheckpointError, "checkpoint"),
    # ---- seeding
    Case("seed-negative", lambda t: seed_everything(-1), InvalidArgumentError, "seed"),
    Case("seed-float", lambda t: seed_everything(1.5), TypeError, "seed"),  # type: ignore[arg-type]
    # ---- nets
    Case("prior-bias-count", lambda t: init_prior_bias(torch.nn.Conv1d(3, 2, 1), [0.5]), ShapeMismatchError, "prior"),
    Case("prior-bias-zero", lambda t: init_prior_bias(torch.nn.Conv1d(3, 2, 1), [0.0, 0.5]), InvalidArgumentError, "prior"),
    Case("prior-bias-not-numbers", lambda t: init_prior_bias(torch.nn.Conv1d(3, 2, 1), ["a", "b"]), InvalidArgumentError, "prior"),
    Case("prior-bias-no-bias", lambda t: init_prior_bias(torch.nn.Conv1d(3, 2, 1, bias=False), [0.5, 0.5]), InvalidArgumentError, "layer"),
    Case("label-prior-out-of-range", lambda t: label_prior(torch.full((1, 2, 4), 2.0)), InvalidArgumentError, "labels"),
    Case("label-prior-rank", lambda t: label_prior(torch.zeros(2, 4)), ShapeMismatchError, "labels"),
    Case("unet-widths-empty", lambda t: UNet1d(1, 1, widths=()), InvalidArgumentError, "widths"),
    Case("unet-width-zero", lambda t: UNet1d(1, 1, widths=(8, 0)), InvalidArgumentError, "widths[1]"),
    Case("unet-even-kernel", lambda t: UNet1d(1, 1, kernel_size=4), InvalidArgumentError, "kernel_size"),
    Case("unet-dropout-one", lambda t: UNet1d(1, 1, dropout=1.0), InvalidArgumentError, "dropout"),
    Case("unet-unknown-norm", lambda t: UNet2d(1, 1, norm="layer"), InvalidArgumentError, "norm"),
    Case("unet-unknown-padding", lambda t: UNet1d(1, 1, padding_mode="circular-ish"), InvalidArgumentError, "padding_mode"),
    Case("unet-input-channels", lambda t: UNet1d(3, 1, widths=(4, 8))(rand(2, 1, L)), ShapeMismatchError, "x"),
    Case("unet-input-rank", lambda t: UNet2d(1, 1, widths=(4, 8))(rand(2, 1, L)), ShapeMismatchError, "x"),
    Case("unet-input-integer", lambda t: UNet1d(1, 1, widths=(4, 8))(torch.zeros(2, 1, L, dtype=torch.long)), TypeError, "x"),
    Case("unet-empty-window", lambda t: UNet1d(1, 1, widths=(4, 8))(rand(2, 1, 0)), ShapeMismatchError, "x"),
    # ---- metrics
    Case("peaks-trace-2d", lambda t: M.find_peaks(np.zeros((2, L))), ShapeMismatchError, "trace"),
    Case("peaks-trace-nan", lambda t: M.find_peaks(np.array([0.0, NAN, 0.0])), NonFiniteInputError, "trace"),
    Case("peaks-trace-list", lambda t: M.find_peaks([0.0, 1.0, 0.0]), TypeError, "trace"),
    Case("peaks-trace-strings", lambda t: M.find_peaks(np.array(["a", "b"])), TypeError, "trace"),
    Case("peaks-height-nan", lambda t: M.find_peaks(np.zeros(L), height=NAN), InvalidArgumentError, "height"),
    Case("peaks-distance-zero", lambda t: M.find_peaks(np.zeros(L), distance=0), InvalidArgumentError, "distance"),
    Case("match-predicted-2d", lambda t: M.match_peaks(np.zeros((2, 2), dtype=int), [1], 5), ShapeMismatchError, "predicted"),
    Case("match-labeled-fractional", lambda t: M.match_peaks([1], [1.5], 5), TypeError, "labeled"),
    Case("match-tolerance-negative", lambda t: M.match_peaks([1], [1], -1), InvalidArgumentError, "tolerance"),
    Case("detections-out-of-domain", lambda t: M.effective_detections(probs() * 2, probs()), OutOfDomainError, "predictions"),
    Case("detections-labels-nan", lambda t: M.effective_detections(probs(), np.full((2, 1, 32), NAN)), NonFiniteInputError, "labels"),
    Case("detections-shape", lambda t: M.effective_detections(probs(2, 1, 32), probs(2, 1, 33)), ShapeMismatchError, "labels"),
    Case("detections-rank", lambda t: M.effective_detections(probs()[0], probs()[0]), ShapeMismatchError, "predictions"),
    Case("detections-empty-batch", lambda t: M.effective_detections(probs(0), probs(0)), ShapeMismatchError, "predictions"),
    Case("detections-threshold", lambda t: M.effective_detections(probs(), probs(), threshold=1.5), InvalidArgumentError, "threshold"),
    Case("detections-threshold-nan", lambda t: M.effective_detections(probs(), probs(), threshold=NAN), InvalidArgumentError, "threshold"),
    Case("label-peaks-threshold-string", lambda t: M.label_peaks(probs(), label_threshold="0.5"), TypeError, "label_threshold"),  # type: ignore[arg-type]
    Case("nearby-label-distance-zero", lambda t: M.best_peak_near_labels(probs(), probs(), label_distance=0), InvalidArgumentError, "label_distance"),
    Case("report-band-reversed", lambda t: M.suppression_report(probs(), probs(), band=(0.7, 0.3)), InvalidArgumentError, "band"),
    Case("report-band-scalar", lambda t: M.suppression_report(probs(), probs(), band=0.5), InvalidArgumentError, "band"),  # type: ignore[arg-type]
    Case("report-channel-names", lambda t: M.suppression_report(probs(c=3), probs(c=3), channel_names=["P", "S"]), InvalidArgumentError, "channel_names"),
    Case("picks-distance-zero", lambda t: M.pick_metrics(probs(), probs(), distance=0), InvalidArgumentError, "distance"),
    Case("picks-tolerance-float", lambda t: M.pick_metrics(probs(), probs(), tolerance=2.5), TypeError, "tolerance"),  # type: ignore[arg-type]
    Case("sweep-no-thresholds", lambda t: M.threshold_sweep(probs(), probs(), thresholds=[]), InvalidArgumentError, "thresholds"),
    Case("sweep-threshold-out", lambda t: M.threshold_sweep(probs(), probs(), thresholds=[0.5, 1.2]), InvalidArgumentError, "thresholds[1]"),
    Case("bootstrap-negative-counts", lambda t: M.bootstrap_ratio([1, -1], [1, 1]), InvalidArgumentError, "numerator_hits"),
    Case("bootstrap-lengths", lambda t: M.bootstrap_ratio([1, 2], [1, 2, 3]), ShapeMismatchError, "denominator_hits"),
    Case("bootstrap-empty", lambda t: M.bootstrap_ratio([], []), ShapeMismatchError, "numerator_hits"),
    Case("bootstrap-n-boot-zero", lambda t: M.bootstrap_ratio([1], [1], n_boot=0), InvalidArgumentError, "n_boot"),
    Case("bootstrap-seed-float", lambda t: M.bootstrap_ratio([1], [1], seed=0.5), TypeError, "seed"),  # type: ignore[arg-type]
]


# --------------------------------------------------------------------------- diagnostics

def _diagnostics_cases() -> list[Case]:
    from shapeloss import diagnostics as D

    def metrics_file(tmp: Path, name: str, text: str) -> object:
        return D.load_metrics(write_bytes(tmp, name, text.encode()))

    def tracked_file(tmp: Path, **arrays: object) -> object:
        np.savez(tmp / "tracked.npz", **arrays)  # type: ignore[arg-type]
        return D.load_tracked(tmp / "tracked.npz")

    tracked = D.load_tracked([(0, probs()), (10, probs())], labels=probs())
    return [
        Case("diag-sigma-negative", lambda t: D.gaussian_label(sigma=-1.0), InvalidArgumentError, "sigma"),
        Case("diag-half-width-zero", lambda t: D.gaussian_label(half_width=0), InvalidArgumentError, "half_width"),
        Case("diag-unknown-loss", lambda t: D.pointwise_landscape(loss="hinge"), InvalidArgumentError, "loss"),
        Case("diag-label-nan", lambda t: D.pointwise_landscape(label=[0.0, NAN, 0.0]), NonFiniteInputError, "label"),
        Case("diag-label-zeros", lambda t: D.template_landscape(label=np.zeros(9)), InvalidArgumentError, "label"),
        Case("diag-label-2d", lambda t: D.template_landscape(label=np.ones((3, 3))), ShapeMismatchError, "label"),
        Case("diag-heights-one-value", lambda t: D.pointwise_landscape(heights=[0.5]), InvalidArgumentError, "heights"),
        Case("diag-offsets-decreasing", lambda t: D.pointwise_landscape(offsets=[2.0, 1.0]), InvalidArgumentError, "offsets"),
        Case("diag-spread-negative", lambda t: D.template_landscape(spread=-1.0), InvalidArgumentError, "spread"),
        Case("diag-sim-spread-zero", lambda t: D.simulate(spread=0.0, steps=1), InvalidArgumentError, "spread"),
        Case("diag-sim-steps-zero", lambda t: D.simulate(spread=5.0, steps=0), InvalidArgumentError, "steps"),
        Case("diag-sim-lr-nan", lambda t: D.simulate(spread=5.0, steps=1, lr=NAN), InvalidArgumentError, "lr"),
        Case("diag-sim-skew-inf", lambda t: D.simulate(spread=5.0, steps=1, skew=INF), InvalidArgumentError, "skew"),
        Case("diag-sim-short-window", lambda t: D.simulate(spread=5.0, steps=1, length=2), InvalidArgumentError, "length"),
        Case("diag-metrics-missing", lambda t: D.load_metrics(t / "none.csv"), FileNotFoundError, "source"),
        Case("diag-metrics-suffix", lambda t: metrics_file(t, "log.txt", "step\n1\n"), InvalidArgumentError, "source"),
        Case("diag-metrics-bad-json", lambda t: metrics_file(t, "log.jsonl", '{"step": 1}\n{"step": \n'), DataFormatError, "line 2"),
        Case("diag-metrics-json-list", lambda t: metrics_file(t, "log.jsonl", "[1, 2]\n"), DataFormatError, "line 1"),
        Case("diag-metrics-no-step", lambda t: metrics_file(t, "log.csv", "base\n0.5\n"), DataFormatError, "step"),
        Case("diag-metrics-text-value", lambda t: metrics_file(t, "log.csv", "step,base\n1,abc\n"), DataFormatError, "base"),
        Case("diag-metrics-extra-cells", lambda t: metrics_file(t, "log.csv", "step,base\n1,0.5,9\n"), DataFormatError, "row 1"),
        Case("diag-metrics-empty", lambda t: metrics_file(t, "log.csv", "step,base\n"), DataFormatError, "log.csv"),
        Case("diag-tracked-missing-key", lambda t: tracked_file(t, steps=np.arange(2)), DataFormatError, "predictions"),
        Case("diag-tracked-steps-mismatch", lambda t: tracked_file(t, steps=np.arange(3), predictions=np.zeros((2, 1, 1, 8))), DataFormatError, "predictions"),
        Case("diag-tracked-out-of-domain", lambda t: tracked_file(t, steps=np.arange(1), predictions=np.full((1, 1, 1, 8), 2.0)), OutOfDomainError, "predictions"),
        Case("diag-tracked-corrupt", lambda t: D.load_tracked(write_bytes(t, "c.npz", b"PK\x03\x04" + b"\x00" * 64)), DataFormatError, "c.npz"),
        Case("diag-tracked-empty-list", lambda t: D.load_tracked([]), InvalidArgumentError, "source"),
        Case("diag-tracked-shapes-differ", lambda t: D.load_tracked([(0, probs(length=8)), (1, probs(length=9))]), ShapeMismatchError, "source"),
        Case("diag-tracked-labels-shape", lambda t: D.load_tracked([(0, probs())], labels=probs(length=31)), ShapeMismatchError, "labels"),
        Case("diag-waterfall-window", lambda t: D.plot_waterfall(tracked, window=5), InvalidArgumentError, "window"),
        Case("diag-band-share-no-labels", lambda t: D.band_share_over_steps(D.load_tracked([(0, probs())])), InvalidArgumentError, "tracked"),
        Case("diag-plot-history-nothing", lambda t: D.plot_history(), InvalidArgumentError, "metrics"),
    ]


# --------------------------------------------------------------------------- seismic

def _seismic_cases() -> list[Case]:
    from shapeloss.seismic import (
        NpzBatches,
        PhaseNet,
        gaussian_labels,
        load_phasenet_folder,
        random_crops,
        read_phasenet_npz,
        split_by_trace,
    )
    from shapeloss.seismic.synthetic import SyntheticConfig, synthetic_windows

    def trace(tmp: Path, length: int = 400):
        return read_phasenet_npz(write_npz(tmp, data=np.ones((length, 3), np.float32)))

    def folder_with_csv(tmp: Path, text: str) -> object:
        (tmp / "waveform.csv").write_text(text)
        return load_phasenet_folder(tmp)

    return [
        Case("npz-missing-file", lambda t: read_phasenet_npz(t / "gone.npz"), DataFormatError, "gone.npz"),
        Case("npz-empty-file", lambda t: read_phasenet_npz(write_bytes(t, "e.npz", b"")), DataFormatError, "e.npz"),
        Case("npz-not-a-zip", lambda t: read_phasenet_npz(write_bytes(t, "x.npz", b"hello world" * 10)), DataFormatError, "x.npz"),
        Case("npz-truncated", lambda t: read_phasenet_npz(write_bytes(t, "cut.npz", write_npz(t).read_bytes()[:300])), DataFormatError, "cut.npz"),
        Case("npz-plain-npy", lambda t: read_phasenet_npz(_npy(t)), DataFormatError, "plain.npy"),
        Case("npz-no-data", read_npz(data=None), DataFormatError, "data"),
        Case("npz-no-itp", read_npz(itp=None), DataFormatError, "itp"),
        Case("npz-data-2-columns", read_npz(data=np.zeros((400, 2))), DataFormatError, "data"),
        Case("npz-data-3d", read_npz(data=np.zeros((400, 3, 1))), DataFormatError, "data"),
        Case("npz-data-empty", read_npz(data=np.zeros((0, 3))), DataFormatError, "data"),
        Case("npz-data-strings", read_npz(data=np.array(["a", "b"])), DataFormatError, "data"),
        Case("npz-data-nan", read_npz(data=np.full((400, 3), NAN)), DataFormatError, "data"),
        Case("npz-pick-outside", read_npz(its=np.array(400)), DataFormatError, "its"),
        Case("npz-pick-negative", read_npz(itp=np.array(-3)), DataFormatError, "itp"),
        Case("npz-pick-nan", read_npz(itp=np.array(NAN)), DataFormatError, "itp"),
        Case("npz-pick-vector", read_npz(itp=np.array([1, 2])), DataFormatError, "itp"),
        Case("npz-pick-text", read_npz(its=np.array("200")), DataFormatError, "its"),
        Case("npz-channels-unknown", read_npz(channels=np.array("EHE_EHN_EHX")), DataFormatError, "channels"),
        Case("npz-channels-repeated", read_npz(channels=np.array("EHZ_EHZ_EHZ")), DataFormatError, "channels"),
        Case("npz-channels-two-codes", read_npz(channels=np.array("EHN_EHZ")), DataFormatError, "channels"),
        Case("npz-channels-three-for-one-column", read_npz(data=np.ones((400, 1)), channels=np.array("EHE_EHN_EHZ")), DataFormatError, "channels"),
        Case("npz-channels-empty-array", read_npz(channels=np.array([], dtype=str)), DataFormatError, "channels"),
        Case("npz-pickled-field", lambda t: read_phasenet_npz(_pickled_npz(t)), DataFormatError, "p.npz"),
        Case("folder-missing", lambda t: load_phasenet_folder(t / "none"), DataFormatError, "none"),
        Case("folder-empty", lambda t: load_phasenet_folder(t), DataFormatError, str(Path("/"))),
        Case("folder-csv-no-fname", lambda t: folder_with_csv(t, "name,itp\nx.npz,1\n"), DataFormatError, "fname"),
        Case("folder-csv-lists-missing", lambda t: folder_with_csv(t, "fname\nabsent.npz\n"), DataFormatError, "absent.npz"),
        Case("split-fractions-sum", lambda t: split_by_trace([], (0.5, 0.5, 0.5)), InvalidArgumentError, "fractions"),
        Case("split-fractions-negative", lambda t: split_by_trace([], (1.2, -0.1, -0.1)), InvalidArgumentError, "fractions"),
        Case("crops-trace-too-short", lambda t: random_crops([trace(t, 400)], np.array([0]), np.random.default_rng(0), length=3001), InvalidArgumentError, "traces"),
        Case("crops-length-zero", lambda t: random_crops([trace(t)], np.array([0]), np.random.default_rng(0), length=0), InvalidArgumentError, "length"),
        Case("crops-index-out-of-range", lambda t: random_crops([trace(t)], np.array([3]), np.random.default_rng(0), length=300), InvalidArgumentError, "indices"),
        Case("batches-no-traces", lambda t: NpzBatches([], 4), InvalidArgumentError, "traces"),
        Case("batches-size-zero", lambda t: NpzBatches([trace(t)], 0), InvalidArgumentError, "batch_size"),
        Case("labels-picks-shape", lambda t: gaussian_labels(np.zeros(2), np.zeros(3), 100), ShapeMismatchError, "s_picks"),
        Case("labels-sigma-zero", lambda t: gaussian_labels(np.zeros(2), np.zeros(2), 100, sigma=0.0), InvalidArgumentError, "sigma"),
        Case("labels-length-zero", lambda t: gaussian_labels(np.zeros(2), np.zeros(2), 0), InvalidArgumentError, "length"),
        Case("phasenet-depth-one", lambda t: PhaseNet(depth=1), InvalidArgumentError, "depth"),
        Case("phasenet-output-prior-count", lambda t: PhaseNet(output_prior=[0.1, 0.2]), ShapeMismatchError, "prior"),
        Case("phasenet-channels", lambda t: PhaseNet()(rand(1, 1, 3001)), ShapeMismatchError, "x"),
        Case("phasenet-too-short", lambda t: PhaseNet()(rand(1, 3, 10)), ShapeMismatchError, "x"),
        Case("phasenet-rank", lambda t: PhaseNet()(rand(3, 3001)), ShapeMismatchError, "x"),
        Case("synthetic-n-zero", lambda t: synthetic_windows(0), InvalidArgumentError, "n"),
        Case("synthetic-config-type", lambda t: synthetic_windows(1, config={"length": 100}), TypeError, "config"),  # type: ignore[arg-type]
        Case("synthetic-fraction", lambda t: SyntheticConfig(impulsive_s_fraction=1.5), InvalidArgumentError, "impulsive_s_fraction"),
        Case("synthetic-noise-draw", lambda t: SyntheticConfig(noise_draw="gauss"), InvalidArgumentError, "noise_draw"),
    ]


def _npy(tmp: Path) -> Path:
    path = tmp / "plain.npy"
    np.save(path, np.zeros((400, 3)))
    return path


def _pickled_npz(tmp: Path) -> Path:
    path = tmp / "p.npz"
    np.savez(path, data=np.array([{"a": 1}], dtype=object), itp=np.array(1), its=np.array(2))
    return path


# --------------------------------------------------------------------------- edges

def _edges_cases() -> list[Case]:
    from shapeloss.edges import losses as E
    from shapeloss.edges import metrics as EM

    return [
        Case("edges-bce-pos-weight", lambda t: E.weighted_bce(rand(2, 1, L), rand(2, 1, L), pos_weight=-1.0), InvalidArgumentError, "pos_weight"),
        Case("edges-bce-reduction", lambda t: E.weighted_bce(rand(2, 1, L), rand(2, 1, L), reduction="avg"), InvalidArgumentError, "reduction"),
        Case("edges-bce-target-domain", lambda t: E.weighted_bce(rand(2, 1, L), rand(2, 1, L) + 1.5), OutOfDomainError, "target"),
        Case("edges-cdf-shape", lambda t: E.cdf_l1_loss(rand(2, 1, L), rand(2, 1, L + 2)), ShapeMismatchError, "target"),
        Case("edges-softargmax-temperature", lambda t: E.soft_argmax_loss(rand(2, 1, L), rand(2, 1, L), temperature=0.0), InvalidArgumentError, "temperature"),
        Case("edges-masked-mask-shape", lambda t: E.masked_bce(rand(2, 1, L), rand(2, 1, L), rand(2, 1, 3)), ShapeMismatchError, "mask"),
        Case("edges-masked-mask-type", lambda t: E.masked_bce(rand(2, 1, L), rand(2, 1, L), None), TypeError, "mask"),  # type: ignore[arg-type]
        Case("edges-f1-tolerance", lambda t: EM.boundary_f1(rand(2, 1, L, L), rand(2, 1, L, L), tolerance=-1), InvalidArgumentError, "tolerance"),
    ]


# --------------------------------------------------------------------------- ECG (WFDB, LUDB)

def write_record(folder: Path, name: str = "1", header: str | None = None, dat: bytes | None = None,
                 annotations: bytes | None = None) -> Path:
    """A one-lead format-16 record ``name`` (10 samples, lead ``i``) with a P wave annotated."""
    folder.mkdir(parents=True, exist_ok=True)
    digital = np.arange(10, dtype="<i2")
    (folder / f"{name}.hea").write_text(header or f"{name} 1 500 10\n{name}.dat 16 1000(0)/mV 16 0 0 45 0 i\n")
    (folder / f"{name}.dat").write_bytes(digital.tobytes() if dat is None else dat)
    words = [(39 << 10) | 2, (24 << 10) | 2, (40 << 10) | 2, 0]  # ( at 2, p at 4, ) at 6
    (folder / f"{name}.i").write_bytes(annotations or b"".join(w.to_bytes(2, "little") for w in words))
    return folder / name


def _ecg_cases() -> list[Case]:
    from shapeloss.ecg import ludb
    from shapeloss.ecg import wfdb_format as W

    def signals(tmp: Path, **kw: object) -> object:
        return W.read_signals(write_record(tmp, **kw))  # type: ignore[arg-type]

    def hea(text: str) -> Callable[[Path], object]:
        return lambda t: signals(t, header=text)

    def record(tmp: Path, **kw: object) -> object:
        write_record(tmp / "data", **kw)  # type: ignore[arg-type]
        return ludb.read_record(tmp, "1")

    far_peak = b"".join(w.to_bytes(2, "little") for w in ((39 << 10) | 2, (24 << 10) | 500, (40 << 10) | 2, 0))
    return [
        Case("wfdb-header-missing", lambda t: W.read_header(t / "none.hea"), DataFormatError, "none.hea"),
        Case("wfdb-header-empty", hea("# only a comment\n"), DataFormatError, "record line"),
        Case("wfdb-header-binary", lambda t: W.read_header(write_bytes(t, "b.hea", b"\xff\xfe1 1 500\n")), DataFormatError, "header"),
        Case("wfdb-header-multisegment", hea("1/2 1 500 10\n1.dat 16 200 16 0 0 45 0 i\n"), DataFormatError, "record name"),
        Case("wfdb-n-signals-text", hea("1 x 500 10\n"), DataFormatError, "n_signals"),
        Case("wfdb-n-signals-negative", hea("1 -1 500 10\n"), DataFormatError, "n_signals"),
        Case("wfdb-sampling-rate-text", hea("1 1 fast 10\n1.dat 16 200 16 0 0 45 0 i\n"), DataFormatError, "sampling frequency"),
        Case("wfdb-sampling-rate-zero", hea("1 1 0 10\n1.dat 16 200 16 0 0 45 0 i\n"), DataFormatError, "sampling frequency"),
        Case("wfdb-signal-lines-missing", hea("1 2 500 10\n1.dat 16 200 16 0 0 45 0 i\n"), DataFormatError, "signal lines"),
        Case("wfdb-gain-malformed", hea("1 1 500 10\n1.dat 16 2x0 16 0 0 45 0 i\n"), DataFormatError, "gain"),
        Case("wfdb-gain-not-a-number", hea("1 1 500 10\n1.dat 16 e(0)/mV 16 0 0 45 0 i\n"), DataFormatError, "gain"),
        Case("wfdb-format-212", hea("1 1 500 10\n1.dat 212 200 16 0 0 45 0 i\n"), DataFormatError, "signal format"),
        Case("wfdb-file-outside-folder", hea("1 1 500 10\n../1.dat 16 200 16 0 0 45 0 i\n"), DataFormatError, "signal file name"),
        Case("wfdb-dat-truncated", lambda t: signals(t, dat=np.arange(10, dtype="<i2").tobytes()[:15]), DataFormatError, "size"),
        Case("wfdb-dat-initial-value", lambda t: signals(t, dat=np.arange(1, 11, dtype="<i2").tobytes()), DataFormatError, "initial value"),
        Case("wfdb-dat-checksum", lambda t: signals(t, dat=np.array([0] * 9 + [7], dtype="<i2").tobytes()), DataFormatError, "checksum"),
        Case("wfdb-annotation-missing", lambda t: W.read_annotations(t / "1.i"), DataFormatError, "1.i"),
        Case("wfdb-annotation-skip-cut", lambda t: W.read_annotations(write_bytes(t, "a.i", (59 << 10).to_bytes(2, "little") + b"\x00")), DataFormatError, "SKIP"),
        Case("ludb-records-list-missing", lambda t: ludb.record_ids(t), DataFormatError, "RECORDS"),
        Case("ludb-record-missing", lambda t: ludb.read_record(t, "7"), DataFormatError, "7.hea"),
        Case("ludb-unknown-lead", lambda t: (write_record(t / "data"), ludb.read_record(t, "1", leads=["v7"])), InvalidArgumentError, "leads"),
        Case("ludb-annotation-outside-record", lambda t: record(t, annotations=far_peak), DataFormatError, "sample"),
        Case("ludb-unknown-on-error", lambda t: ludb.load_ludb(t, on_error="ignore"), InvalidArgumentError, "on_error"),
        Case("ludb-unpaired-boundary", lambda t: ludb.parse_waves([W.Annotation(5, ")")], strict=True), DataFormatError, "sample 5"),
        Case("ludb-boundary-width", lambda t: ludb.boundary_targets([], 100, width=0.0), InvalidArgumentError, "width"),
        Case("ludb-split-fractions", lambda t: ludb.split_records(["1", "2"], (0.5, 0.6, 0.1)), InvalidArgumentError, "fractions"),
    ]


# --------------------------------------------------------------------------- continuous picking

def _annotate_cases() -> list[Case]:
    from shapeloss.seismic import PhaseNet
    from shapeloss.seismic.annotate import annotate

    net = PhaseNet(filters_root=2, depth=2)
    x = np.random.default_rng(0).standard_normal((3, 400)).astype(np.float32)

    def pick(data: object = x, **kw: object) -> Callable[[Path], object]:
        options: dict[str, object] = {"sampling_rate": 100.0, "window": 200, "overlap": 100}
        options.update(kw)
        return lambda t: annotate(data, net, **options)  # type: ignore[arg-type]

    return [
        Case("annotate-no-sampling-rate", pick(sampling_rate=None), InvalidArgumentError, "sampling_rate"),
        Case("annotate-sampling-rate-nan", pick(sampling_rate=NAN), InvalidArgumentError, "sampling_rate"),
        Case("annotate-sampling-rate-negative", pick(sampling_rate=-100.0), InvalidArgumentError, "sampling_rate"),
        Case("annotate-model-rate-zero", pick(target_rate=0.0), InvalidArgumentError, "target_rate"),
        Case("annotate-model-not-module", lambda t: annotate(x, "phasenet", sampling_rate=100.0), TypeError, "model"),  # type: ignore[arg-type]
        Case("annotate-components", pick(np.zeros((2, 400))), ShapeMismatchError, "data"),
        Case("annotate-rank-3", pick(np.zeros((1, 3, 400))), ShapeMismatchError, "data"),
        Case("annotate-empty-record", pick(np.zeros((3, 0))), ShapeMismatchError, "data"),
        Case("annotate-text-samples", pick(np.full((3, 400), "a")), ShapeMismatchError, "data"),
        Case("annotate-infinite-samples", pick(np.full((3, 400), INF)), DataFormatError, "data"),
        Case("annotate-short-record", pick(np.zeros((3, 50)), short="raise"), InvalidArgumentError, "data"),
        Case("annotate-window-too-small", pick(window=1), InvalidArgumentError, "window"),
        Case("annotate-overlap-too-large", pick(overlap=200), InvalidArgumentError, "overlap"),
        Case("annotate-blinding", pick(blinding=80), InvalidArgumentError, "blinding"),
        Case("annotate-stacking", pick(stacking="median"), InvalidArgumentError, "stacking"),
        Case("annotate-short-option", pick(short="drop"), InvalidArgumentError, "short"),
        Case("annotate-threshold-nan", pick(threshold=NAN), InvalidArgumentError, "threshold"),
        Case("annotate-threshold-missing-phase", pick(threshold={"P": 0.5}), InvalidArgumentError, "threshold"),
        Case("annotate-pick-unknown-phase", pick(pick_phases=["Pg"]), InvalidArgumentError, "pick_phases"),
        Case("annotate-phases-vs-model", pick(phases=("P", "S")), ShapeMismatchError, "model output"),
        Case("annotate-component-order", pick(component_order="ZZE"), InvalidArgumentError, "component_order"),
        Case("annotate-start-time", pick(start_time="yesterday"), InvalidArgumentError, "start_time"),
    ]


ALL_CASES = CASES + _diagnostics_cases() + _seismic_cases() + _edges_cases() + _ecg_cases() + _annotate_cases()


def test_case_ids_are_unique():
    unique_ids(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id for c in ALL_CASES])
def test_bad_input_raises_a_named_error(case: Case, tmp_path: Path):
    # our own types, or the built-in TypeError / FileNotFoundError users already catch
    assert_named_error(case, tmp_path, allowed=(ShapeLossError, TypeError, FileNotFoundError))


# --------------------------------------------------------------------------- skipping bad records

def test_folder_skip_leaves_out_bad_files_with_one_warning(tmp_path: Path):
    from shapeloss.seismic import load_phasenet_folder

    write_npz(tmp_path, "a_good.npz")
    write_npz(tmp_path, "b_nan.npz", data=np.full((400, 3), NAN))
    write_bytes(tmp_path, "c_cut.npz", write_npz(tmp_path, "d_good.npz").read_bytes()[:200])
    with pytest.raises(DataFormatError, match="b_nan.npz"):
        load_phasenet_folder(tmp_path)
    with pytest.warns(UserWarning) as caught:
        traces = load_phasenet_folder(tmp_path, on_error="skip")
    assert [t.name for t in traces] == ["a_good.npz", "d_good.npz"]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 2 of 4" in message and "b_nan.npz" in message and "c_cut.npz" in message


def test_folder_skip_with_nothing_readable_raises(tmp_path: Path):
    from shapeloss.seismic import load_phasenet_folder

    write_bytes(tmp_path, "bad.npz", b"not an archive")
    with pytest.raises(DataFormatError, match="bad.npz"):
        load_phasenet_folder(tmp_path, on_error="skip")


def test_folder_unknown_on_error(tmp_path: Path):
    from shapeloss.seismic import load_phasenet_folder

    with pytest.raises(InvalidArgumentError, match="on_error: expected"):
        load_phasenet_folder(tmp_path, on_error="ignore")


def test_ludb_skip_leaves_out_bad_records_with_one_warning(tmp_path: Path):
    from shapeloss.ecg import ludb

    write_record(tmp_path / "data", "1")
    write_record(tmp_path / "data", "2", dat=b"\x00" * 7)  # truncated signal file
    write_record(tmp_path / "data", "3")
    (tmp_path / "data" / "3.hea").write_bytes(b"\xff\xfe")  # damaged header
    (tmp_path / "RECORDS").write_text("data/1\ndata/2\ndata/3\n")
    with pytest.raises(DataFormatError, match="2.dat"):
        ludb.load_ludb(tmp_path)
    with pytest.warns(UserWarning) as caught:
        records = ludb.load_ludb(tmp_path, on_error="skip")
    assert [r.record for r in records] == ["1"]
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "skipped 2 of 3" in message and "record 2" in message and "record 3" in message


# --------------------------------------------------------------------------- command lines


CLI_CASES = [
    CliCase("cli-no-command", "shapeloss", lambda t: [], "required"),
    CliCase("cli-unknown-command", "shapeloss", lambda t: ["frobnicate"], "invalid choice"),
    CliCase("cli-bench-unknown", "shapeloss", lambda t: ["bench", "nope"], "invalid choice"),
    CliCase("cli-pick-model-missing", "shapeloss", lambda t: ["pick", str(t / "x.mseed"), "--model", str(t / "none.pt")], "model: expected an existing checkpoint"),
    CliCase("cli-pick-model-junk", "shapeloss", lambda t: ["pick", str(t / "x.mseed"), "--model", str(write_bytes(t, "m.pt", b"junk"))], "model: expected a readable checkpoint"),
    CliCase("cli-pick-threshold-text", "shapeloss", lambda t: ["pick", "x.mseed", "--model", "m.pt", "--threshold", "high"], "--threshold"),
    CliCase("cli-diagnose-report-missing", "shapeloss", lambda t: ["diagnose", "report", str(t / "none.npz"), "--out", str(t)], "expected an existing .npz file"),
    CliCase("diag-cli-report-junk", "diagnostics", lambda t: ["report", str(write_bytes(t, "j.npz", b"junk")), "--out", str(t)], "j.npz: expected an .npz archive"),
    CliCase("diag-cli-landscape-sigma", "diagnostics", lambda t: ["landscape", "--sigma", "-1", "--out", str(t)], "sigma: expected a positive float"),
    CliCase("diag-cli-simulate-spread", "diagnostics", lambda t: ["simulate", "--spreads", "0", "--steps", "1", "--out", str(t)], "spread: expected"),
    CliCase("diag-cli-history-no-step", "diagnostics", lambda t: ["history", "--log", str(write_bytes(t, "l.csv", b"a\n1\n")), "--out", str(t)], "expected a 'step' field"),
    CliCase("diag-cli-history-nothing", "diagnostics", lambda t: ["history", "--out", str(t)], "expected --log and/or --tracked"),
    CliCase("diag-cli-unknown-loss", "diagnostics", lambda t: ["landscape", "--loss", "hinge", "--out", str(t)], "invalid choice"),
]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_command_line_bad_input_exits_2_with_a_message(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    status, err = run_cli(case, tmp_path, capsys)
    assert status == 2, (status, err)
    assert case.says in err, err
    assert "Traceback" not in err


def test_docs_list_every_case():
    """docs/reliability.md keeps the table: every row here has its line there."""
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    missing = [c.id for c in [*ALL_CASES, *CLI_CASES] if f"| `{c.id}` |" not in doc]
    assert not missing, f"add these cases to docs/reliability.md: {missing}"
