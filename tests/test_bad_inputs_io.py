"""Round 2 of the bad-input table: readers, the continuous picker, losses and the command line.

Three kinds of row, all listed in the section "Round 2: readers, picker, losses and command
line" of ``docs/reliability.md`` (checked both ways at the end of this file):

* :class:`Case`: the call must raise ``error`` whose message names ``argument`` and reads
  ``"... expected <X>, got <Y>"``;
* :class:`Accepts`: a call that used to fail or to do something wrong must now return a result
  for which ``check`` holds (numpy scalars where Python numbers go, edge peaks that are matched,
  half-precision logits with a float32 critic...);
* :class:`CliCase`: ``main(argv)`` must exit with status 2 before any work, printing one
  ``error:`` line per bad value, each containing one of ``says``.
"""

from __future__ import annotations

import math
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from shapeloss import ShapeLoss, build_discriminator, get_objective
from shapeloss import functional as Fn
from shapeloss import metrics as M
from shapeloss.discriminators import GlobalCritic
from shapeloss.ecg import ludb
from shapeloss.errors import (
    CheckpointError,
    DataFormatError,
    DtypeMismatchError,
    InvalidArgumentError,
    NonFiniteInputError,
    OutOfDomainError,
    ShapeMismatchError,
)
from shapeloss.objectives import Vanilla
from shapeloss.seismic import gaussian_labels, load_phasenet_folder, synthetic_record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bad_input_cases import Accepts, Case, CliCase, assert_named_error, read_npz, run_cli, unique_ids, write_npz  # noqa: E402

NAN, INF = float("nan"), float("inf")
L = 16


# --------------------------------------------------------------------------- helpers


def rand(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(0), dtype=dtype)


def critic(**kw: object) -> GlobalCritic:
    return GlobalCritic(1, 1, width=4, depth=2, **kw)  # type: ignore[arg-type]


class TupleCritic(nn.Module):
    """A critic that returns ``(scores, features)``, as some GAN codebases do."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = critic()

    def forward(self, label: torch.Tensor, condition: torch.Tensor) -> object:
        return self.inner(label, condition), label


class ScalarCritic(TupleCritic):
    def forward(self, label: torch.Tensor, condition: torch.Tensor) -> object:
        return self.inner(label, condition).mean()


class IntegerCritic(TupleCritic):
    def forward(self, label: torch.Tensor, condition: torch.Tensor) -> object:
        return (self.inner(label, condition) > 0).long()


def loss_with(discriminator: nn.Module | None = None, base: object = None, **kw: object) -> ShapeLoss:
    return ShapeLoss(base or nn.BCEWithLogitsLoss(), discriminator or critic(), **{"weight": 1.0, **kw})  # type: ignore[arg-type]


def g_call(loss: ShapeLoss, c: int = 1, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return loss(rand(2, c, L, dtype=dtype), rand(2, c, L, dtype=dtype), rand(2, 1, L, dtype=dtype))


def d_call(loss: ShapeLoss, c: int = 1, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return loss.discriminator_loss(rand(2, c, L, dtype=dtype), rand(2, c, L, dtype=dtype), rand(2, 1, L, dtype=dtype))


def half_with_float_critic(tmp: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    loss = loss_with(weight=10.0)
    logits = (rand(2, 1, L) * 4 - 2).half().requires_grad_(True)
    g = loss(logits, rand(2, 1, L).half(), rand(2, 1, L).half())
    g.backward()
    d = loss.discriminator_loss(logits, rand(2, 1, L).half(), rand(2, 1, L).half())
    return g, d, logits.grad  # type: ignore[return-value]


def overflowing_half(tmp: Path) -> torch.Tensor:
    # BCE of about 10 per sample in float16, weight 1e5: weight * base = 1e6 > 65504 (float16's max)
    logits = torch.full((2, 1, L), -10.0, dtype=torch.float16)
    return loss_with(weight=1e5)(logits, torch.ones(2, 1, L, dtype=torch.float16), rand(2, 1, L).half())


def finite(x: object) -> bool:
    return bool(torch.isfinite(torch.as_tensor(x)).all())


def peak_at(position: int, length: int = 32, width: float = 2.0) -> np.ndarray:
    t = np.arange(length)
    return np.exp(-0.5 * ((t - position) / width) ** 2)[None, None, :]


# ---- PhaseNet npz files


# ---- WFDB / LUDB records


def words(*pairs: tuple[int, int]) -> bytes:
    return b"".join(((code << 10) | value).to_bytes(2, "little") for code, value in pairs)


P_WAVE = words((39, 2), (24, 2), (40, 2), (0, 0))  # ( at 2, p at 4, ) at 6, end of file


def write_record(folder: Path, header: str | None = None, annotations: bytes = P_WAVE) -> Path:
    """A one-lead format-16 record "1" (10 samples, lead ``i``) with a P wave annotated."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "1.hea").write_text(header or "1 1 500 10\n1.dat 16 1000(0)/mV 16 0 0 45 0 i\n")
    (folder / "1.dat").write_bytes(np.arange(10, dtype="<i2").tobytes())
    (folder / "1.i").write_bytes(annotations)
    return folder / "1"


def signals_with(header: str) -> Callable[[Path], object]:
    from shapeloss.ecg import wfdb_format as W

    return lambda t: W.read_signals(write_record(t, header=header))


def annotations_of(data: bytes) -> Callable[[Path], object]:
    from shapeloss.ecg import wfdb_format as W

    def call(t: Path) -> object:
        (t / "a.i").write_bytes(data)
        return W.read_annotations(t / "a.i")

    return call


def record_with(annotations: bytes) -> Callable[[Path], object]:
    from shapeloss.ecg import ludb

    def call(t: Path) -> object:
        write_record(t / "data", annotations=annotations)
        return ludb.read_record(t, "1")

    return call


# ---- continuous picking


def tiny_net() -> nn.Module:
    from shapeloss.seismic import PhaseNet

    torch.manual_seed(0)
    return PhaseNet(filters_root=2, depth=2)


RECORD = np.random.default_rng(0).standard_normal((3, 400)).astype(np.float32)


def pick(data: object = RECORD, model: object = None, **kw: object) -> Callable[[Path], object]:
    from shapeloss.seismic.annotate import annotate

    options: dict[str, object] = {"sampling_rate": 100.0, "window": 200, "overlap": 100}
    options.update(kw)
    if "sampling_rate" in kw and kw["sampling_rate"] is None:
        options.pop("sampling_rate")

    def call(t: Path) -> object:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return annotate(data, model or tiny_net(), **options)  # type: ignore[arg-type]

    return call


def stream_of(*pieces: tuple[str, float, np.ndarray], rate: float = 100.0) -> object:
    """An ObsPy Stream of traces ``(channel, start seconds, samples)`` of station XX.STA."""
    obspy = pytest.importorskip("obspy")
    traces = [
        obspy.Trace(np.asarray(data, dtype=np.float64), header={
            "network": "XX", "station": "STA", "channel": channel,
            "starttime": obspy.UTCDateTime(2020, 1, 1) + start, "sampling_rate": rate,
        })
        for channel, start, data in pieces
    ]
    return obspy.Stream(traces)


def three_components(n: int, start: float = 0.0, seed: int = 0) -> list[tuple[str, float, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(f"HH{c}", start, rng.standard_normal(n)) for c in "ENZ"]


def overlapping(identical: bool) -> object:
    first = three_components(400)
    if identical:  # the second file repeats samples 300-399 and goes on to 599
        later = [(ch, 3.0, np.concatenate([d[300:], np.random.default_rng(1).standard_normal(200)])) for ch, _, d in first]
    else:
        later = three_components(300, start=3.0, seed=1)
    return stream_of(*first, *later)


def annotate_stream(stream_fn: Callable[[], object], **kw: object) -> Callable[[Path], object]:
    from shapeloss.seismic.annotate import annotate

    def call(t: Path) -> object:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = annotate(stream_fn(), tiny_net(), window=200, overlap=100, **kw)  # type: ignore[arg-type]
        return out, [str(w.message) for w in caught]

    return call


def overlap_merged(result: object, identical: bool) -> bool:
    out, caught = result  # type: ignore[misc]
    said = [m for m in out.messages if "overlap" in m]
    kind = "identical" if identical else "differing"
    return (len(out.traces) == 1 and out.traces[0].data.shape[1] == 600
            and len(said) == 1 and kind in said[0] and "later" in said[0] and said[0] in caught)


class NanModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((x.shape[0], 3, x.shape[2]), float("nan"))


def _no_grad_call() -> torch.Tensor:
    """A detached base loss is fine when no gradient is wanted (an evaluation loop)."""
    with torch.no_grad():
        return loss_with(base=lambda x, y: nn.functional.mse_loss(x.detach(), y))(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L))


def _folder_with_listing(tmp: Path, listing: str) -> object:
    write_npz(tmp)
    (tmp / "waveform.csv").write_text(listing)
    return load_phasenet_folder(tmp)


class OneChannelModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1]


# --------------------------------------------------------------------------- the table

CASES: list[Case | Accepts] = [
    # ---- ShapeLoss: numbers
    Accepts("loss-weight-numpy-float32", lambda t: loss_with(weight=np.float32(100.0)).weight, lambda w: w == 100.0 and type(w) is float),
    Accepts("loss-gp-weight-numpy-int", lambda t: loss_with(gp_weight=np.int64(10)).gp_weight, lambda w: w == 10.0 and type(w) is float),
    Accepts("loss-numpy-weight-trains", lambda t: g_call(loss_with(weight=np.float64(4.0))), lambda g: finite(g) and g.ndim == 0),
    Case("loss-weight-numpy-bool", lambda t: loss_with(weight=np.bool_(True)), TypeError, "weight"),
    Case("loss-weight-array", lambda t: loss_with(weight=np.array([1.0])), TypeError, "weight"),
    Case("loss-weight-complex", lambda t: loss_with(weight=1 + 0j), TypeError, "weight"),
    Case("loss-weight-tensor", lambda t: loss_with(weight=torch.tensor(4.0)), TypeError, "weight"),
    Accepts("loss-weight-overflow", lambda t: g_call(loss_with(weight=1e308)), finite),
    Accepts("loss-weight-overflow-half", overflowing_half, finite),
    Accepts("functional-combine-huge-weight", lambda t: Fn.combine_losses(torch.tensor(2.0), torch.tensor(1.0), 1e308), lambda x: math.isclose(float(x), 2.0)),
    Accepts("functional-combine-numpy-weight", lambda t: Fn.combine_losses(torch.tensor(2.0), torch.tensor(1.0), np.float32(3.0)), lambda x: math.isclose(float(x), 7.0 / 4.0, rel_tol=1e-6)),
    # ---- ShapeLoss: dtypes, devices and what the critic and the base loss return
    Accepts("loss-half-logits-float32-critic", half_with_float_critic, lambda r: finite(r[0]) and finite(r[1]) and r[2] is not None and finite(r[2])),
    Case("loss-target-dtype-names-both", lambda t: loss_with()(rand(2, 1, L), rand(2, 1, L).half(), rand(2, 1, L)), DtypeMismatchError, "that of logits"),
    Case("loss-condition-dtype-names-both", lambda t: loss_with()(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L).half()), DtypeMismatchError, "that of logits"),
    Case("dloss-condition-dtype-names-both", lambda t: loss_with().discriminator_loss(rand(2, 1, L).double(), rand(2, 1, L).double(), rand(2, 1, L)), DtypeMismatchError, "that of logits"),
    Case("loss-critic-other-device", lambda t: g_call(loss_with(critic().to("meta"))), InvalidArgumentError, "discriminator"),
    Case("dloss-critic-other-device", lambda t: d_call(loss_with(critic().to("meta"))), InvalidArgumentError, "discriminator"),
    Case("loss-critic-returns-tuple", lambda t: g_call(loss_with(TupleCritic())), TypeError, "discriminator"),
    Case("dloss-critic-returns-tuple", lambda t: d_call(loss_with(TupleCritic())), TypeError, "discriminator"),
    Case("loss-critic-returns-scalar", lambda t: g_call(loss_with(ScalarCritic())), ShapeMismatchError, "discriminator"),
    Case("loss-critic-returns-integers", lambda t: d_call(loss_with(IntegerCritic())), TypeError, "discriminator"),
    Case("functional-critic-returns-tuple", lambda t: Fn.shape_discriminator_loss(rand(2, 1, L), rand(2, 1, L), rand(2, 1, L), discriminator=TupleCritic(), discriminator_loss=Fn.vanilla_discriminator_loss), TypeError, "discriminator"),
    Case("loss-base-reduction-none", lambda t: g_call(loss_with(base=nn.BCEWithLogitsLoss(reduction="none"))), ShapeMismatchError, "base_loss"),
    Case("loss-base-returns-float", lambda t: g_call(loss_with(base=lambda x, y: 0.5)), TypeError, "base_loss"),
    Case("loss-base-returns-numpy", lambda t: g_call(loss_with(base=lambda x, y: np.float64(0.5))), TypeError, "base_loss"),
    Case("loss-base-only-reduction-none", lambda t: g_call(loss_with(base=nn.MSELoss(reduction="none"), weight=INF)), ShapeMismatchError, "base_loss"),
    Case("loss-reduction-unknown", lambda t: loss_with(reduction="avg"), InvalidArgumentError, "reduction"),
    Case("loss-reduction-none-scalar-base", lambda t: g_call(loss_with(reduction="none")), ShapeMismatchError, "base_loss"),
    Case("functional-reduction-unknown", lambda t: Fn.hinge_generator_loss(rand(2, 1), reduction="batch"), InvalidArgumentError, "reduction"),
    Case("loss-base-detached", lambda t: loss_with(base=lambda x, y: nn.functional.mse_loss(x.detach(), y))(rand(2, 1, L).requires_grad_(True), rand(2, 1, L), rand(2, 1, L)), InvalidArgumentError, "base_loss"),
    Accepts("loss-base-detached-no-grad", lambda t: _no_grad_call(), lambda g: finite(g)),
    Case("loss-softmax-one-channel", lambda t: g_call(loss_with(activation="softmax")), ShapeMismatchError, "logits"),
    Case("dloss-softmax-one-channel", lambda t: d_call(loss_with(activation="softmax")), ShapeMismatchError, "logits"),
    Case("objective-class-not-instance", lambda t: get_objective(Vanilla), InvalidArgumentError, "objective"),  # type: ignore[arg-type]
    Case("loss-logits-2d-for-1d-critic", lambda t: loss_with()(rand(2, 1, 8, 8), rand(2, 1, 8, 8), rand(2, 1, 8, 8)), ShapeMismatchError, "logits"),
    Case("loss-logits-channels-vs-critic", lambda t: g_call(loss_with(), c=2), ShapeMismatchError, "logits"),
    Case("dloss-logits-channels-vs-critic", lambda t: d_call(loss_with(), c=2), ShapeMismatchError, "logits"),
    Case("loss-activation-returns-tuple", lambda t: g_call(loss_with(activation=lambda z: (z,))), TypeError, "activation"),
    Case("loss-activation-changes-shape", lambda t: g_call(loss_with(activation=lambda z: z[..., :8])), ShapeMismatchError, "activation"),
    Case("dloss-activation-changes-shape", lambda t: d_call(loss_with(activation=lambda z: z[..., :8])), ShapeMismatchError, "activation"),
    Case("loss-validate-string", lambda t: loss_with(validate="no"), TypeError, "validate"),
    Case("loss-adversarial-string", lambda t: loss_with(adversarial="no"), TypeError, "adversarial"),
    Accepts("loss-adversarial-numpy-bool", lambda t: loss_with(adversarial=np.bool_(False)).uses_discriminator, lambda used: used is False),
    # ---- critics
    Accepts("critic-numpy-sizes", lambda t: GlobalCritic(np.int64(1), np.int64(1), width=np.int64(4), depth=np.int64(2))(rand(2, 1, L), rand(2, 1, L)), lambda s: s.shape == (2, 1)),
    Accepts("critic-preset-numpy-length", lambda t: build_discriminator("reference", 1, 1, length=np.int64(64)).length, lambda n: n == 64 and type(n) is int),
    Case("critic-dims-float", lambda t: GlobalCritic(1, 1, dims=1.0), InvalidArgumentError, "dims"),
    Case("critic-dims-numpy-bool", lambda t: GlobalCritic(1, 1, dims=np.True_), InvalidArgumentError, "dims"),
    Accepts("critic-dims-numpy-int", lambda t: GlobalCritic(1, 1, dims=np.int64(2)).dims, lambda d: d == 2 and type(d) is int),
    Accepts("critic-bfloat16-input-under-autocast", lambda t: _under_autocast(), lambda r: r[0].shape == (2, 1) and finite(r[1]) and finite(r[2])),
    Case("critic-half-input-float-weights", lambda t: critic()(rand(2, 1, L).half(), rand(2, 1, L).half()), DtypeMismatchError, "label"),
    Case("critic-input-other-device", lambda t: critic().to("meta")(rand(2, 1, L), rand(2, 1, L)), InvalidArgumentError, "label"),
    # ---- metrics: edge peaks and numpy numbers
    Accepts("match-label-peak-first-sample", lambda t: M.effective_detections(peak_at(0), peak_at(0)), lambda n: n.tolist() == [1]),
    Accepts("match-label-peak-last-sample", lambda t: M.effective_detections(peak_at(31), peak_at(31)), lambda n: n.tolist() == [1]),
    Accepts("match-pick-at-first-sample", lambda t: M.pick_metrics(peak_at(0), peak_at(0))["0"], lambda r: (r["tp"], r["fp"], r["fn"]) == (1, 0, 0)),
    Accepts("match-pick-at-last-sample", lambda t: M.pick_metrics(peak_at(31), peak_at(30))["0"], lambda r: (r["tp"], r["fp"], r["fn"]) == (1, 0, 0) and r["residual_mean"] == 1.0),
    Accepts("match-nearby-edge-peak", lambda t: M.best_peak_near_labels(0.8 * peak_at(0), peak_at(0)), lambda n: len(n) == 1 and n.is_local_max.all() and math.isclose(float(n.height[0]), 0.8)),
    Accepts("metrics-numpy-tolerance", lambda t: M.effective_detections(peak_at(10), peak_at(10), threshold=np.float32(0.7), tolerance=np.int64(3)), lambda n: n.tolist() == [1]),
    Accepts("metrics-numpy-distance", lambda t: M.find_peaks(np.array([0, 1.0, 0, 1.0, 0]), distance=np.int64(2)), lambda p: p.tolist() == [1, 3]),
    Accepts("report-band-numpy-array", lambda t: M.suppression_report(peak_at(10), peak_at(10), band=np.array([0.3, 0.7])).band_share, lambda share: share.tolist() == [0.0]),
    Case("synthetic-record-too-short", lambda t: synthetic_record(duration_s=30.0, n_events=1), InvalidArgumentError, "at least 30.01 s"),
    Case("metrics-threshold-numpy-bool", lambda t: M.effective_detections(peak_at(10), peak_at(10), threshold=np.bool_(True)), TypeError, "threshold"),
    # ---- PhaseNet npz reader
    Case("npz-data-beyond-float32", read_npz(data=np.full((400, 3), 1e300)), DataFormatError, "data"),
    Case("npz-pick-rounds-to-length", read_npz(its=np.array(399.6)), DataFormatError, "its"),
    Accepts("npz-pick-rounds-to-zero", lambda t: read_npz(itp=np.array(-0.4))(t), lambda tr: tr.itp == 0),
    Case("npz-pick-rounds-below-zero", read_npz(itp=np.array(-0.6)), DataFormatError, "itp"),
    Accepts("npz-pick-rounds-inside", lambda t: read_npz(itp=np.array(100.4), its=np.array(398.5))(t), lambda tr: (tr.itp, tr.its) == (100, 398)),
    Case("npz-pick-huge", read_npz(its=np.array(2**62)), DataFormatError, "its"),
    Case("npz-pick-bool", read_npz(itp=np.array(True)), DataFormatError, "itp"),
    Case("npz-data-complex", read_npz(data=np.ones((400, 3), dtype=complex)), DataFormatError, "data"),
    Case("npz-data-bool", read_npz(data=np.ones((400, 3), dtype=bool)), DataFormatError, "data"),
    Case("folder-csv-path-outside", lambda t: _folder_with_listing(t, "fname\n../outside.npz\n"), DataFormatError, "fname"),
    Case("folder-csv-duplicate", lambda t: _folder_with_listing(t, "fname\ntrace.npz\ntrace.npz\n"), DataFormatError, "more than once"),
    Case("npz-data-channels-first", read_npz(data=np.zeros((3, 400))), DataFormatError, "data"),
    Accepts("npz-channels-bytes", lambda t: read_npz(channels=np.array(b"EHE_EHN_EHZ"))(t), lambda tr: tr.channels == "EHE_EHN_EHZ" and tr.components == 3),
    Case("folder-is-a-file", lambda t: load_phasenet_folder(write_npz(t)), DataFormatError, "a file"),
    # ---- WFDB reader
    Case("wfdb-gain-overflows-signal", signals_with("1 1 500 10\n1.dat 16 1e-40(0)/mV 16 0 0 45 0 i\n"), DataFormatError, "gain"),
    Case("wfdb-gain-subnormal", signals_with("1 1 500 10\n1.dat 16 5e-324(0)/mV 16 0 0 45 0 i\n"), DataFormatError, "gain"),
    Accepts("wfdb-gain-zero-uncalibrated", lambda t: signals_with("1 1 500 10\n1.dat 16 0(0)/mV 16 0 0 45 0 i\n")(t), lambda r: np.allclose(r[0][0], np.arange(10) / 200.0)),
    Case("wfdb-baseline-beyond-int32", signals_with("1 1 500 10\n1.dat 16 200(99999999999999999999999)/mV 16 0 0 45 0 i\n"), DataFormatError, "baseline"),
    Case("wfdb-adc-zero-beyond-int32", signals_with("1 1 500 10\n1.dat 16 200/mV 16 99999999999999999999999 0 45 0 i\n"), DataFormatError, "adc zero"),
    Case("wfdb-n-samples-negative", signals_with("1 1 500 -10\n1.dat 16 200(0)/mV 16 0 0 45 0 i\n"), DataFormatError, "n_samples"),
    Case("wfdb-annotation-plain-text", annotations_of(b"This is a plain text file, not a WFDB annotation file.\n"), DataFormatError, "a.i"),
    Case("wfdb-annotation-plain-text-even", annotations_of(b"Plain text, an even number of bytes, no end marker!!\n\n"), DataFormatError, "a.i"),
    Case("wfdb-annotation-odd-length", annotations_of(P_WAVE + b"\x01"), DataFormatError, "length"),
    Case("wfdb-annotation-no-end-marker", annotations_of(P_WAVE[:-2]), DataFormatError, "end"),
    Case("wfdb-annotation-undefined-code", annotations_of(words((55, 3), (0, 0))), DataFormatError, "code"),
    Case("wfdb-annotation-aux-overrun", annotations_of(words((1, 3), (63, 40), (0, 0))), DataFormatError, "AUX"),
    Case("wfdb-annotation-negative-sample", annotations_of(words((59, 0)) + (0xFFFF).to_bytes(2, "little") + (0xFF00).to_bytes(2, "little") + words((1, 0), (0, 0))), DataFormatError, "sample"),
    Case("wfdb-annotation-out-of-order", annotations_of(words((1, 5)) + words((59, 0)) + (0xFFFF).to_bytes(2, "little") + (0xFFFE).to_bytes(2, "little") + words((1, 0), (0, 0))), DataFormatError, "sample"),
    Case("ludb-record-path", lambda t: ludb.read_record(t, "../1"), InvalidArgumentError, "record"),
    Case("ludb-leads-string", lambda t: (write_record(t / "data"), ludb.read_record(t, "1", leads="ii")), TypeError, "leads"),
    Case("ludb-records-string", lambda t: ludb.load_ludb(t, records="12"), TypeError, "records"),
    Case("ludb-split-ids-string", lambda t: ludb.split_records("123"), TypeError, "ids"),
    Case("labels-picks-text", lambda t: gaussian_labels(np.array(["100"]), np.array([200.0]), 400), TypeError, "p_picks"),
    Case("labels-picks-2d", lambda t: gaussian_labels(np.zeros((2, 2)), np.zeros((2, 2)), 400), ShapeMismatchError, "p_picks"),
    Case("ludb-offset-outside-record", record_with(words((39, 2), (24, 2), (40, 600), (0, 0))), DataFormatError, "offset"),
    Case("ludb-onset-outside-record", record_with(words((39, 12), (24, 0), (40, 0), (0, 0))), DataFormatError, "onset"),
    # ---- annotate: settings
    Case("pick-checkpoint-without-levels", lambda t: _load_phasenet(t, {"inc.weight": torch.zeros(2, 3, 7), "out.weight": torch.zeros(3, 2, 1)}), CheckpointError, "down_branch"),
    Case("pick-checkpoint-weights-not-tensors", lambda t: _load_phasenet(t, {"inc.weight": 3, "out.weight": 4, "down_branch.0.w": torch.zeros(1)}), CheckpointError, "inc.weight"),
    Case("annotate-threshold-above-one", pick(threshold=1.5), InvalidArgumentError, "threshold"),
    Case("annotate-threshold-negative", pick(threshold=-0.1), InvalidArgumentError, "threshold"),
    Case("annotate-threshold-dict-above-one", pick(threshold={"P": 0.5, "S": 2.0}), InvalidArgumentError, "threshold"),
    Accepts("annotate-threshold-numpy", pick(threshold=np.float32(0.5)), lambda a: a.probabilities.shape == (3, 400)),
    Case("annotate-sampling-rate-inf", pick(sampling_rate=INF), InvalidArgumentError, "sampling_rate"),
    Case("annotate-sampling-rate-text", pick(sampling_rate="100"), TypeError, "sampling_rate"),
    Accepts("annotate-sampling-rate-numpy", pick(sampling_rate=np.float32(100.0)), lambda a: a.probabilities.shape == (3, 400)),
    Accepts("annotate-window-numpy", pick(window=np.int64(200), overlap=np.int64(100), batch_size=np.int64(2)), lambda a: a.probabilities.shape == (3, 400)),
    Case("annotate-target-rate-inf", pick(target_rate=INF), InvalidArgumentError, "target_rate"),
    Case("annotate-device-unknown", pick(device="gpu0"), InvalidArgumentError, "device"),
    Case("annotate-phases-repeated", pick(phases=("P", "P", "noise")), InvalidArgumentError, "phases"),
    Case("annotate-softmax-one-phase", pick(model=OneChannelModel(), phases=("P",), activation="softmax"), InvalidArgumentError, "activation"),
    Case("annotate-model-returns-nan", pick(model=NanModel()), NonFiniteInputError, "model output"),
    Case("annotate-logits-without-activation", pick(activation=None), OutOfDomainError, "activation=None"),
    Case("annotate-overlaps-option", pick(overlaps="keep"), InvalidArgumentError, "overlaps"),
    Case("annotate-normalize-string", pick(normalize="no"), TypeError, "normalize"),
    # ---- annotate: data
    Case("annotate-complex-samples", pick(RECORD.astype(np.complex64)), TypeError, "data"),
    Case("annotate-complex-tensor", pick(torch.from_numpy(RECORD).to(torch.complex64)), TypeError, "data"),
    Case("annotate-bool-samples", pick(RECORD > 0), TypeError, "data"),
    Case("annotate-beyond-float32", pick(RECORD.astype(np.float64) * 1e300), DataFormatError, "data"),
    Case("annotate-stream-rate-zero", lambda t: annotate_stream(lambda: _zero_rate(stream_of(*three_components(400))))(t), InvalidArgumentError, "sampling_rate"),
    Case("annotate-stream-complex", lambda t: annotate_stream(lambda: _complex(stream_of(*three_components(400))))(t), TypeError, "data"),
    Case("annotate-stream-infinite", lambda t: annotate_stream(lambda: stream_of(*three_components(399), ("HHZ", 3.99, np.array([np.inf]))))(t), DataFormatError, "data"),
    Case("annotate-stream-empty", lambda t: annotate_stream(lambda: stream_of())(t), DataFormatError, "data"),
    Accepts("annotate-stream-overlap-differing", annotate_stream(lambda: overlapping(identical=False)), lambda r: overlap_merged(r, identical=False)),
    Accepts("annotate-stream-overlap-identical", annotate_stream(lambda: overlapping(identical=True)), lambda r: overlap_merged(r, identical=True)),
    Case("annotate-stream-overlap-raise", annotate_stream(lambda: overlapping(identical=False), overlaps="raise"), DataFormatError, "overlap"),
]


def _under_autocast() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """bfloat16 inputs, float32 critic, under CPU autocast: no dtype error, finite losses."""
    x = rand(2, 1, L).bfloat16()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        scores = critic()(x, x)
        logits = rand(2, 1, L).bfloat16().requires_grad_(True)
        loss = loss_with(weight=10.0)
        g = loss(logits, rand(2, 1, L).bfloat16(), x)
        d = loss.discriminator_loss(logits, rand(2, 1, L).bfloat16(), x)
    g.backward()
    return scores, g.detach(), logits.grad  # type: ignore[return-value]


def _load_phasenet(tmp: Path, state: dict) -> object:
    from shapeloss.cli import load_phasenet

    torch.save(state, tmp / "m.pt")
    return load_phasenet(tmp / "m.pt")


def _zero_rate(stream: object) -> object:
    for tr in stream:  # type: ignore[attr-defined]
        tr.stats.__dict__["sampling_rate"] = 0.0  # ObsPy's setter refuses 0; a corrupt header does not
    return stream


def _complex(stream: object) -> object:
    for tr in stream:  # type: ignore[attr-defined]
        tr.data = tr.data.astype(np.complex128)
    return stream


# --------------------------------------------------------------------------- command lines


def a_file(tmp: Path, name: str = "plain.txt") -> Path:
    path = tmp / name
    path.write_text("not a folder")
    return path


def under_a_file(tmp: Path, name: str) -> str:
    """A path whose parent is a regular file: unwritable even for root."""
    return str(a_file(tmp) / name)


def _junk(tmp: Path, name: str) -> str:
    (tmp / name).write_bytes(b"not a waveform\n" * 4)
    return str(tmp / name)


def _with_model(tmp: Path, *argv: str) -> list[str]:
    """``argv`` with ``--model`` pointing at a tiny valid PhaseNet checkpoint."""
    from shapeloss.seismic import PhaseNet

    torch.save(PhaseNet(filters_root=2, depth=2).state_dict(), tmp / "net.pt")
    return [*argv, "--model", str(tmp / "net.pt")]


def pick_argv(tmp: Path, *extra: str) -> list[str]:
    record = tmp / "x.mseed"
    record.write_bytes(b"")
    return ["pick", str(record), "--model", str(tmp / "m.pt"), *extra]


CLI_CASES = [
    CliCase("cli-pick-threshold-above-one", "shapeloss", lambda t: pick_argv(t, "--threshold", "1.5"), ("--threshold: expected a float in [0, 1], got 1.5", "--model")),
    CliCase("cli-pick-p-threshold-negative", "shapeloss", lambda t: pick_argv(t, "--p-threshold", "-0.1"), ("--p-threshold: expected a float in [0, 1], got -0.1", "--model")),
    CliCase("cli-pick-threshold-nan", "shapeloss", lambda t: pick_argv(t, "--s-threshold", "nan"), ("--s-threshold: expected a float in [0, 1], got nan", "--model")),
    CliCase("cli-pick-window-zero", "shapeloss", lambda t: pick_argv(t, "--window", "0"), ("--window: expected an int >= 2, got 0", "--model")),
    CliCase("cli-pick-overlap-too-large", "shapeloss", lambda t: pick_argv(t, "--window", "100", "--overlap", "100"), ("--overlap: expected an int in [0, --window=100), got 100", "--model")),
    CliCase("cli-pick-batch-size-zero", "shapeloss", lambda t: pick_argv(t, "--batch-size", "0"), ("--batch-size: expected an int >= 1, got 0", "--model")),
    CliCase("cli-pick-min-distance-zero", "shapeloss", lambda t: pick_argv(t, "--min-distance", "0"), ("--min-distance: expected an int >= 1, got 0", "--model")),
    CliCase("cli-pick-out-unwritable", "shapeloss", lambda t: pick_argv(t, "--out", under_a_file(t, "picks.csv")), ("--out: expected a writable file path", "--model")),
    CliCase("cli-pick-out-is-folder", "shapeloss", lambda t: pick_argv(t, "--out", str(t)), ("--out: expected a writable file path", "--model")),
    CliCase("cli-pick-probabilities-unwritable", "shapeloss", lambda t: pick_argv(t, "--probabilities", under_a_file(t, "p.npz")), ("--probabilities: expected a writable file path", "--model")),
    CliCase("cli-pick-out-overwrites-input", "shapeloss", lambda t: pick_argv(t, "--out", str(t / "x.mseed")), ("--out: expected a path other than an input file or the checkpoint", "--model")),
    CliCase("cli-pick-files-unreadable", "shapeloss", lambda t: _with_model(t, "pick", _junk(t, "a.mseed"), _junk(t, "b.sac"), "--out", str(t / "p.csv")), ("a.mseed: expected a file ObsPy can read", "b.sac: expected a file ObsPy can read")),
    CliCase("cli-pick-file-missing", "shapeloss", lambda t: ["pick", str(t / "none.mseed"), "--model", str(t / "m.pt")], ("files: expected an existing waveform file", "--model")),
    CliCase("cli-pick-device-unknown", "shapeloss", lambda t: pick_argv(t, "--device", "gpu0"), ("--device: expected a device torch knows", "--model")),
    CliCase("cli-pick-component-order", "shapeloss", lambda t: pick_argv(t, "--component-order", "ZZE"), ("--component-order: expected distinct component letters", "--model")),
    CliCase("cli-pick-several-bad", "shapeloss", lambda t: pick_argv(t, "--threshold", "2", "--window", "1", "--out", under_a_file(t, "o.csv")), ("--threshold", "--window", "--out", "--model")),
    CliCase("cli-bench-threads-zero", "shapeloss", lambda t: ["bench", "throughput", "--threads", "0"], ("--threads: expected an int >= 1, got 0",)),
    CliCase("cli-bench-steps-negative", "shapeloss", lambda t: ["bench", "edges", "--steps", "-1"], ("--steps: expected an int >= 1, got -1",)),
    CliCase("cli-bench-threads-text", "shapeloss", lambda t: ["bench", "seismic", "--threads", "two"], ("--threads: expected an int >= 1, got 'two'",)),
    CliCase("cli-bench-seeds-negative", "shapeloss", lambda t: ["bench", "ecg", "--seeds", "0", "-3"], ("--seeds: expected an int >= 0, got -3",)),
    CliCase("cli-bench-lr-zero", "shapeloss", lambda t: ["bench", "seismic", "--lr", "0"], ("--lr: expected a float > 0, got 0.0",)),
    CliCase("cli-bench-out-unwritable", "shapeloss", lambda t: ["bench", "seismic", "--out", under_a_file(t, "r.json")], ("--out: expected a writable file path",)),
    CliCase("cli-bench-work-dir-is-file", "shapeloss", lambda t: ["bench", "seismic", "--work-dir", str(a_file(t))], ("--work-dir: expected a writable folder",)),
    CliCase("cli-bench-threshold-above-one", "shapeloss", lambda t: ["bench", "ecg", "--threshold", "1.2"], ("--threshold: expected a float in [0, 1], got 1.2",)),
    CliCase("cli-bench-several-bad", "shapeloss", lambda t: ["bench", "seismic", "--threads=0", "--steps", "-1", "--batch-size", "0", "--weight", "-4"], ("--threads", "--steps", "--batch-size", "--weight")),
    CliCase("cli-diagnose-threshold-above-one", "shapeloss", lambda t: ["diagnose", "landscape", "--threshold", "1.5", "--out", str(t)], ("--threshold: expected a float in [0, 1], got 1.5",)),
    CliCase("cli-diagnose-out-is-file", "shapeloss", lambda t: ["diagnose", "landscape", "--out", str(a_file(t))], ("--out: expected a writable folder",)),
    CliCase("cli-diagnose-label-missing", "diagnostics", lambda t: ["landscape", "--label", str(t / "none.npy"), "--out", str(t)], ("--label: expected an existing .npy file",)),
    CliCase("cli-diagnose-log-missing", "diagnostics", lambda t: ["history", "--log", str(t / "none.csv"), "--window", "-1", "--out", str(t)], ("--log: expected an existing .csv or .jsonl file", "--window: expected an int >= 0, got -1")),
    CliCase("cli-diagnose-steps-zero", "diagnostics", lambda t: ["simulate", "--steps", "0", "--batch-size", "0", "--out", str(t)], ("--steps: expected an int >= 1, got 0", "--batch-size: expected an int >= 1, got 0")),
    CliCase("cli-diagnose-tolerance-negative", "diagnostics", lambda t: ["report", str(t / "none.npz"), "--tolerance", "-1", "--band", "0.7", "0.3", "--out", str(t)], ("--tolerance: expected an int >= 0, got -1", "--band: expected 0 <= LOW < HIGH <= 1, got 0.7 0.3", "npz: expected an existing .npz file")),
]

ALL_IDS = [c.id for c in CASES] + [c.id for c in CLI_CASES]


def test_case_ids_are_unique():
    unique_ids([*CASES, *CLI_CASES])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_round_2_case(case: Case | Accepts, tmp_path: Path):
    if isinstance(case, Accepts):
        result = case.call(tmp_path)
        assert case.check(result), f"{case.id}: unexpected result {result!r}"
        return
    assert_named_error(case, tmp_path)


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_round_2_command_line(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    import subprocess

    def no_work(*args: object, **kw: object) -> int:
        raise AssertionError("the command started work before validating its options")

    monkeypatch.setattr(subprocess, "call", no_work)  # how `shapeloss bench` starts a script
    status, err = run_cli(case, tmp_path, capsys)
    assert status == 2, (status, err)
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == len(case.says), lines
    for says in case.says:
        assert sum(says in ln for ln in lines) == 1, (says, lines)
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob("*.json")), "an output was written"


# --------------------------------------------------------------------------- the docs, both ways

SECTION = "## Round 2: readers, picker, losses and command line"


def _documented_ids() -> list[str]:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "reliability.md").read_text()
    assert SECTION in doc, f"docs/reliability.md: add the section {SECTION!r}"
    body = doc.split(SECTION, 1)[1]
    following = re.search(r"^## ", body, flags=re.MULTILINE)
    body = body[: following.start()] if following else body
    return re.findall(r"^\| `([^`]+)` \|", body, flags=re.MULTILINE)


def test_docs_section_lists_every_case_and_only_those():
    documented = _documented_ids()
    assert len(documented) == len(set(documented)), "a case is documented twice"
    missing = [i for i in ALL_IDS if i not in documented]
    extra = [i for i in documented if i not in ALL_IDS]
    assert not missing, f"add these rows to {SECTION!r} in docs/reliability.md: {missing}"
    assert not extra, f"these documented rows have no test in tests/test_bad_inputs_io.py: {extra}"


def test_the_table_is_large_enough():
    assert len(ALL_IDS) >= 45
