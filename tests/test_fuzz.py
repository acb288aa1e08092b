"""Fuzz the readers with random and mutated bytes.

Every reader of a file a user may have downloaded or half-written (PhaseNet
npz windows, WFDB headers, signals and annotations, checkpoints) must, for ANY
bytes, either return a result or raise our error type (``DataFormatError`` /
``CheckpointError``): never another exception, never a crash of the
interpreter, never a hang.

Mutations start from a valid file and apply a few edits (byte flips,
overwritten runs, truncation, inserted junk), which reach much deeper into a
parser than random bytes do. Examples are bounded (``SHAPELOSS_FUZZ_EXAMPLES``
raises the count for a longer local run); a watchdog alarm turns a hang into a
failure instead of a stuck CI job.
"""

from __future__ import annotations

import io
import os
import signal
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from shapeloss import AdversarialTrainer, ShapeLoss, load_checkpoint
from shapeloss.discriminators import GlobalCritic
from shapeloss.errors import CheckpointError, DataFormatError

EXAMPLES = int(os.environ.get("SHAPELOSS_FUZZ_EXAMPLES", "60"))
HANG_SECONDS = 60  # far above any honest read of these small files: only a hang trips it

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces locally
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

WORKDIR = Path(tempfile.mkdtemp(prefix="shapeloss-fuzz-"))

#: per reader, how many fuzzed files it read and how many it refused with our error type
OUTCOMES: dict[str, dict[str, int]] = {}


@contextmanager
def watchdog(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail, rather than hang, if the block runs for ``seconds``."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):  # pragma: no cover - only on a hang
        raise TimeoutError(f"reader still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def feed(reader: str, read: Callable[[], object], allowed: type[Exception]) -> None:
    """Run one read: a result or ``allowed`` are fine, anything else fails the test."""
    counts = OUTCOMES.setdefault(reader, {"read": 0, "refused": 0})
    with watchdog():
        try:
            read()
        except allowed:
            counts["refused"] += 1
        else:
            counts["read"] += 1


def fuzzes(reader: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Run a hypothesis fuzz test, then check that it fed ``reader`` and that some of the files
    were refused: mutations that never reach a check would pass any reader, broken or not."""

    def wrap(fuzz: Callable[[], None]) -> Callable[[], None]:
        def test() -> None:
            before = dict(OUTCOMES.get(reader, {"read": 0, "refused": 0}))
            fuzz()
            after = OUTCOMES[reader]
            refused = after["refused"] - before["refused"]
            read = after["read"] - before["read"]
            assert refused + read >= min(EXAMPLES, 10), f"{reader}: fed only {refused + read} files"
            assert refused > 0, f"{reader}: none of {read} fuzzed files was refused"

        test.__name__, test.__doc__ = fuzz.__name__, fuzz.__doc__
        return test

    return wrap


# --------------------------------------------------------------------------- mutations


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with 1-6 edits: flips, overwritten runs, a cut, inserted junk."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "run", "cut", "insert", "byte"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and data:
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, ord("-"), ord("9"), ord("\n")]))
        elif kind == "run" and data:
            run = draw(st.binary(min_size=1, max_size=16))
            data[at : at + len(run)] = run
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
    return bytes(data)


def any_bytes(seed: bytes) -> st.SearchStrategy[bytes]:
    """Mostly mutations of a valid file, sometimes plain random bytes."""
    return st.one_of(mutated(seed), mutated(seed), mutated(seed), st.binary(max_size=2048))


def write(name: str, data: bytes) -> Path:
    path = WORKDIR / name
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- npz seismic windows


def _npz_seed(compressed: bool) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    save = np.savez_compressed if compressed else np.savez
    save(
        buffer,
        data=rng.standard_normal((64, 3)).astype(np.float32),
        itp=np.array(10),
        its=np.array(40),
        channels=np.array("EHE_EHN_EHZ"),
    )
    return buffer.getvalue()


NPZ_SEED = _npz_seed(compressed=False)
NPZ_SEED_COMPRESSED = _npz_seed(compressed=True)


def test_npz_seeds_are_valid():
    from shapeloss.seismic import read_phasenet_npz

    for seed in (NPZ_SEED, NPZ_SEED_COMPRESSED):
        trace = read_phasenet_npz(write("seed.npz", seed))
        assert trace.data.shape == (3, 64) and (trace.itp, trace.its) == (10, 40)


@fuzzes("npz")
@FUZZ
@given(data=st.one_of(any_bytes(NPZ_SEED), mutated(NPZ_SEED_COMPRESSED)))
def test_npz_reader_reads_or_raises_data_format_error(data: bytes):
    from shapeloss.seismic import read_phasenet_npz

    path = write("fuzz.npz", data)

    def read() -> None:
        trace = read_phasenet_npz(path)
        # whatever it returns is usable: finite data and picks inside the trace
        assert trace.data.shape[0] == 3 and np.isfinite(trace.data).all()
        assert 0 <= trace.itp < trace.data.shape[1] and 0 <= trace.its < trace.data.shape[1]

    feed("npz", read, DataFormatError)


# --------------------------------------------------------------------------- WFDB records


def _wfdb_seed() -> tuple[bytes, bytes, bytes]:
    """A 2-signal format-16 record with checksums, and an annotation file."""
    rng = np.random.default_rng(0)
    digital = rng.integers(-500, 500, size=(2, 50)).astype("<i2")
    dat = digital.T.tobytes()
    lines = ["rec 2 500 50"]
    for i, name in enumerate(("i", "ii")):
        checksum = int(digital[i].astype(np.int64).sum()) & 0xFFFF
        checksum = checksum - 0x10000 if checksum >= 0x8000 else checksum
        lines.append(f"rec.dat 16 1000(0)/mV 16 0 {digital[i, 0]} {checksum} 0 {name}")
    hea = ("\n".join(lines) + "\n# age: 50\n").encode()
    words = []
    for code, step in ((39, 5), (1, 3), (40, 4), (22, 0), (59, 0), (27, 2)):
        if code == 59:  # SKIP: 4-byte interval follows
            words += [(59 << 10).to_bytes(2, "little"), (0).to_bytes(2, "little"), (7).to_bytes(2, "little")]
        else:
            words.append(((code << 10) | step).to_bytes(2, "little"))
    words.append((0).to_bytes(2, "little"))
    return hea, dat, b"".join(words)


HEA_SEED, DAT_SEED, ATR_SEED = _wfdb_seed()


def _wfdb_read(hea: bytes, dat: bytes) -> Callable[[], object]:
    from shapeloss.ecg.wfdb_format import read_signals

    write("rec.hea", hea)
    write("rec.dat", dat)

    def read() -> None:
        signals, header = read_signals(WORKDIR / "rec")
        assert signals.shape == (len(header.signals), signals.shape[1])

    return read


def test_wfdb_seeds_are_valid():
    from shapeloss.ecg.wfdb_format import read_annotations, read_signals

    write("rec.hea", HEA_SEED)
    write("rec.dat", DAT_SEED)
    signals, header = read_signals(WORKDIR / "rec")
    assert signals.shape == (2, 50) and header.sampling_rate == 500
    assert [a.symbol for a in read_annotations(write("rec.i", ATR_SEED))] == ["(", "N", ")", '"', "t"]


@fuzzes("wfdb header")
@FUZZ
@given(hea=any_bytes(HEA_SEED))
def test_wfdb_header_reads_or_raises_data_format_error(hea: bytes):
    feed("wfdb header", _wfdb_read(hea, DAT_SEED), DataFormatError)


@fuzzes("wfdb signals")
@FUZZ
@given(dat=any_bytes(DAT_SEED))
def test_wfdb_signals_read_or_raise_data_format_error(dat: bytes):
    feed("wfdb signals", _wfdb_read(HEA_SEED, dat), DataFormatError)


@fuzzes("wfdb annotations")
@FUZZ
@given(atr=any_bytes(ATR_SEED))
def test_wfdb_annotations_read_or_raise_data_format_error(atr: bytes):
    from shapeloss.ecg.wfdb_format import read_annotations

    path = write("rec.i", atr)
    feed("wfdb annotations", lambda: read_annotations(path), DataFormatError)


# --------------------------------------------------------------------------- checkpoints


def _trainer() -> AdversarialTrainer:
    torch.manual_seed(0)
    model = nn.Conv1d(1, 1, 3, padding=1)
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), GlobalCritic(1, 1, width=2, depth=1), weight=1.0)
    return AdversarialTrainer(
        model, loss, torch.optim.Adam(model.parameters()), torch.optim.Adam(loss.discriminator.parameters()),
        progress=False, divergence_window=0,
    )


def _checkpoint_seed() -> bytes:
    trainer = _trainer()
    trainer.step((torch.randn(2, 1, 8), torch.rand(2, 1, 8)))
    path = trainer.save_checkpoint(WORKDIR / "seed.pt")
    return path.read_bytes()


CHECKPOINT_SEED = _checkpoint_seed()


@fuzzes("checkpoint")
@FUZZ
@given(data=any_bytes(CHECKPOINT_SEED))
def test_checkpoint_loads_or_raises_checkpoint_error(data: bytes):
    path = write("fuzz.pt", data)
    feed("checkpoint", lambda: load_checkpoint(path), CheckpointError)


@fuzzes("checkpoint resume")
@FUZZ
@given(data=mutated(CHECKPOINT_SEED))
def test_trainer_resumes_or_raises_checkpoint_error_and_keeps_its_state(data: bytes):
    """A mutated checkpoint either resumes the trainer or leaves it exactly as it was."""
    path = write("resume.pt", data)
    trainer = _trainer()
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    counts = OUTCOMES.setdefault("checkpoint resume", {"read": 0, "refused": 0})
    with watchdog():
        try:
            trainer.load_checkpoint(path)
        except CheckpointError:
            counts["refused"] += 1
            assert trainer.step_count == 0
            for k, v in trainer.model.state_dict().items():
                assert torch.equal(v, before[k]), f"a failed resume changed {k}"
        else:
            counts["read"] += 1
