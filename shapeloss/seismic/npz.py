"""Reader for PhaseNet's npz waveform format, with seeded crops and a split by trace.

Each file holds ``data`` (samples, 3) with columns in the order named by ``channels``
(e.g. ``"EHE_EHN_EHZ"``, or ``"EHZ"`` for a vertical-only station, whose other columns are
zeros or absent), and the 0-based sample indices ``itp`` and ``its`` of the P and S picks, at
100 Hz. The folder's ``waveform.csv`` lists ``fname,itp,its,channels``.

The shared copy (``../shared/data/phasenet_ncedc``) has ``itp = 3000`` in every file: windows
must be cropped at random positions, or a network learns the position instead of the wave.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from typing import Any

import numpy as np

from .._validation import check_choice, check_positive_int, is_integer
from ..errors import DataFormatError, InvalidArgumentError
from .labels import LABEL_SIGMA, gaussian_labels, normalize_windows

__all__ = [
    "s_onset_sharpness",
    "s_burst_offset",
    "jitter_s_picks",
    "AnalystSPicks",
    "PhaseNetTrace",
    "read_phasenet_npz",
    "load_phasenet_folder",
    "split_by_trace",
    "random_crops",
    "NpzBatches",
    "DEFAULT_NCEDC_PATH",
]

#: Where the shared NCEDC sample lives, relative to the project root.
DEFAULT_NCEDC_PATH = Path("..") / "shared" / "data" / "phasenet_ncedc"

_COMPONENT_ORDER = "ENZ"

# what numpy, zipfile and zlib raise on a corrupt or truncated archive
# (zipfile raises NotImplementedError for unknown compression or versions, RuntimeError for encryption)
_READ_ERRORS = (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError, zlib.error, NotImplementedError, RuntimeError)


@dataclass
class PhaseNetTrace:
    """One labelled 3-component trace.

    Attributes:
        name: file name.
        data: ``(3, N)`` float32 components E, N, Z (zeros for a missing component).
        itp, its: P and S pick indices in samples.
        channels: the channel codes as stored (e.g. ``"EHE_EHN_EHZ"``).
        components: how many components hold data (1 for a vertical-only station).
    """

    name: str
    data: np.ndarray
    itp: int
    its: int
    channels: str
    components: int


def _field(npz: np.lib.npyio.NpzFile, path: Path, field: str) -> np.ndarray:
    if field not in npz.files:
        raise DataFormatError(f"{path}: field '{field}': expected it in the file, got fields {sorted(npz.files)}")
    try:
        return npz[field]
    except _READ_ERRORS as error:
        raise DataFormatError(f"{path}: field '{field}': expected a readable array, got {error}") from None


def _pick(value: np.ndarray, path: Path, field: str, n_samples: int) -> int:
    value = np.asarray(value)
    if value.size != 1 or not (np.issubdtype(value.dtype, np.integer) or np.issubdtype(value.dtype, np.floating)):
        raise DataFormatError(f"{path}: field '{field}': expected one sample index, got {value.dtype} of shape {value.shape}")
    if value.dtype == np.bool_:
        raise DataFormatError(f"{path}: field '{field}': expected one sample index, got a boolean")
    pick = float(value.reshape(()))
    # round first, then check: 399.6 on a 400-sample trace would become index 400
    index = round(pick) if np.isfinite(pick) else None
    if index is None or not 0 <= index < n_samples:
        raise DataFormatError(
            f"{path}: field '{field}': expected a sample index in [0, {n_samples}) after rounding, got {pick}"
        )
    return int(index)


def read_phasenet_npz(path: str | Path) -> PhaseNetTrace:
    """Read one PhaseNet npz file.

    Args:
        path: the ``.npz`` file.

    Returns:
        :class:`PhaseNetTrace` with data ``(3, N)`` in E, N, Z order.

    Raises:
        DataFormatError: the file is missing, truncated or not an npz archive, a field is
            absent, ``data`` is not ``(N,)``, ``(N, 1)`` or ``(N, 3)`` finite numbers, the channel
            codes do not match the columns, or a pick lies outside the trace. The message names
            the file and the field.
    """
    path = Path(path)
    try:
        # read the bytes first: np.load leaks its file handle when the archive is corrupt
        npz = np.load(io.BytesIO(path.read_bytes()), allow_pickle=False)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: expected an existing PhaseNet npz file, got no such file") from None
    except _READ_ERRORS as error:
        raise DataFormatError(f"{path}: expected a PhaseNet npz archive, got an unreadable file ({error})") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataFormatError(f"{path}: expected a PhaseNet npz archive (data, itp, its, channels), got a single .npy array")
    with npz:
        data = np.asarray(_field(npz, path, "data"))
        if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.integer)):
            raise DataFormatError(f"{path}: field 'data': expected numbers, got dtype {data.dtype}")
        if data.ndim == 1:
            data = data[:, None]
        if data.ndim != 2 or data.shape[1] not in (1, 3) or data.shape[0] < 1:
            raise DataFormatError(f"{path}: field 'data': expected shape (samples, 3) or (samples, 1), got {data.shape}")
        # cast, then check: a float64 1e300 is finite but becomes inf in float32
        with np.errstate(over="ignore", invalid="ignore"):
            data = data.astype(np.float32)
        if not np.isfinite(data).all():
            raise DataFormatError(
                f"{path}: field 'data': expected finite values within float32 range (|x| < 3.4e38), "
                f"got {int((~np.isfinite(data)).sum())} NaN/Inf or overflowing value(s)"
            )
        n_samples = data.shape[0]
        stored = np.asarray(_field(npz, path, "channels")).reshape(-1) if "channels" in npz.files else np.array([""])
        if stored.size == 0:
            raise DataFormatError(f"{path}: field 'channels': expected channel codes such as 'EHE_EHN_EHZ', got an empty array")
        channels = stored[0].decode("ascii", "replace") if isinstance(stored[0], bytes) else str(stored[0])
        itp = _pick(_field(npz, path, "itp"), path, "itp", n_samples)
        its = _pick(_field(npz, path, "its"), path, "its", n_samples)

    codes = [c for c in channels.split("_") if c] if channels else []
    out = np.zeros((3, n_samples), dtype=np.float32)
    if data.shape[1] == 3 and (len(codes) == 3 or not codes):
        # Columns in the stored order; reorder to E, N, Z when the codes allow it.
        order = [2, 0, 1] if not codes else [_component_index(c, path) for c in codes]
        if sorted(order) != [0, 1, 2]:
            raise DataFormatError(f"{path}: field 'channels': expected three distinct components E/N/Z (or 1/2/Z), got {channels!r}")
        for column, component in enumerate(order):
            out[component] = data[:, column]
    elif len(codes) == 1 or (data.shape[1] == 1 and not codes):
        # Single-component station: the one code names the component; its data may sit in any
        # column (the shared files keep zeros in the others), so take the non-zero column.
        component = _component_index(codes[0], path) if codes else 2
        column = int(np.argmax(np.abs(data).max(axis=0))) if data.shape[1] == 3 else 0
        out[component] = data[:, column]
    else:
        raise DataFormatError(f"{path}: field 'channels': expected 1 or 3 channel codes for data of shape {data.shape}, got {channels!r}")
    components = int((np.abs(out).max(axis=1) > 0).sum())
    return PhaseNetTrace(path.name, out, itp, its, channels, components)


def _component_index(code: str, path: Path) -> int:
    last = code[-1].upper()
    index = {"E": 0, "N": 1, "Z": 2, "1": 0, "2": 1, "3": 2}.get(last)
    if index is None:
        raise DataFormatError(f"{path}: field 'channels': expected codes ending in E, N, Z, 1, 2 or 3, got {code!r}")
    return index


def load_phasenet_folder(root: str | Path = DEFAULT_NCEDC_PATH, on_error: str = "raise") -> list[PhaseNetTrace]:
    """Read every trace of a PhaseNet dataset folder.

    Args:
        root: a folder with ``waveform.csv`` and the npz files (in ``waveform_train/``, or next
            to the csv), or a folder of npz files without a csv.
        on_error: ``"raise"`` (default): a malformed file stops the read with its error;
            ``"skip"``: malformed files are left out and listed in one ``UserWarning``.

    Returns:
        The traces, sorted by file name.

    Raises:
        DataFormatError: the folder is missing or empty, a file is malformed (``on_error="raise"``),
            or every file is malformed (``on_error="skip"``).
    """
    check_choice(on_error, "on_error", ("raise", "skip"))
    root = Path(root)
    if not root.is_dir():
        got = "a file" if root.exists() else "no such folder"
        raise DataFormatError(f"{root}: expected a folder of PhaseNet npz files, got {got}")
    listing = root / "waveform.csv"
    if listing.exists():
        with open(listing, newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "fname" not in reader.fieldnames:
                raise DataFormatError(f"{listing}: field 'fname': expected a csv header with fname, got {reader.fieldnames}")
            names = [row["fname"] for row in reader]
        for name in names:
            # a listing must not make us read files outside the dataset's folder
            if not name or Path(name).name != name or name in (".", ".."):
                raise DataFormatError(f"{listing}: field 'fname': expected a file name inside the folder, got {name!r}")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DataFormatError(f"{listing}: field 'fname': expected each file listed once, got {repeated[:5]} more than once")
        folder = root / "waveform_train" if (root / "waveform_train").is_dir() else root
        files = [folder / name for name in names]
    else:
        files = sorted(root.rglob("*.npz"))
    if not files:
        raise DataFormatError(f"{root}: expected npz files, got none")
    if on_error == "raise":
        return sorted((read_phasenet_npz(f) for f in files), key=lambda t: t.name)
    traces, bad = [], []
    for f in files:
        try:
            traces.append(read_phasenet_npz(f))
        except DataFormatError as error:
            bad.append(str(error))
    if not traces:
        raise DataFormatError(f"{root}: expected at least one readable npz file, got {len(bad)} malformed: {bad[0]}")
    if bad:
        listing = "\n  ".join(bad)
        warnings.warn(f"{root}: skipped {len(bad)} of {len(files)} malformed file(s):\n  {listing}", UserWarning, stacklevel=2)
    return sorted(traces, key=lambda t: t.name)


def split_by_trace(
    traces: list[PhaseNetTrace], fractions: tuple[float, float, float] = (0.56, 0.20, 0.24)
) -> dict[str, list[PhaseNetTrace]]:
    """Deterministic train / dev / test split by trace (never by crop).

    Traces are ordered by a hash of their file name (a fixed pseudo-random order that needs no
    seed) and cut into consecutive groups of the given fractions. With the defaults, the 124
    shared NCEDC traces split into 69 / 25 / 30.

    Returns:
        ``{"train": [...], "dev": [...], "test": [...]}``.
    """
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1.0):
        raise InvalidArgumentError(f"fractions: expected three non-negative fractions summing to 1, got {fractions!r}")
    ordered = sorted(traces, key=lambda t: hashlib.sha256(t.name.encode()).hexdigest())
    n_train = int(round(fractions[0] * len(ordered)))
    n_dev = int(round(fractions[1] * len(ordered)))
    return {
        "train": ordered[:n_train],
        "dev": ordered[n_train : n_train + n_dev],
        "test": ordered[n_train + n_dev :],
    }


def random_crops(
    traces: list[PhaseNetTrace],
    indices: np.ndarray,
    rng: np.random.Generator,
    length: int = 3001,
    margin: int = 100,
    sigma: float = LABEL_SIGMA,
    its: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded random windows that keep both picks at least ``margin`` samples inside.

    Args:
        traces: the traces to crop from.
        indices: ``(B,)`` which trace each window comes from.
        rng: the random generator (seeded by the caller).
        length: window length.
        margin: minimum distance of each pick from the window's edges (reduced when the S-P
            time leaves no room, so that both picks still fit).
        sigma: label width in samples.
        its: optional ``(B,)`` S picks to use instead of the traces' own (e.g. perturbed picks).

    Returns:
        ``(windows (B, 3, length) normalised float32, labels (B, 3, length) float32,
        starts (B,) int)``.

    Raises:
        InvalidArgumentError: a trace is shorter than ``length`` or its S-P time exceeds it.
    """
    length = check_positive_int(length, "length")
    indices = np.asarray(indices, dtype=int).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= len(traces)):
        raise InvalidArgumentError(
            f"indices: expected trace indices in [0, {len(traces)}), got values in [{indices.min()}, {indices.max()}]"
        )
    windows = np.zeros((indices.size, 3, length), dtype=np.float32)
    starts = np.zeros(indices.size, dtype=int)
    p_picks = np.zeros(indices.size)
    s_picks = np.zeros(indices.size)
    for k, i in enumerate(indices):
        trace = traces[i]
        n = trace.data.shape[1]
        s_pick = float(trace.its if its is None else its[k])
        first, last = min(trace.itp, s_pick), max(trace.itp, s_pick)
        if n < length or last - first >= length:
            raise InvalidArgumentError(
                f"traces: expected traces of at least {length} samples with picks less than {length} apart, "
                f"got {trace.name} ({n} samples, picks {trace.itp} and {s_pick:.0f})"
            )
        room = min(margin, int((length - 1 - (last - first)) // 2))
        low = max(0, int(np.ceil(last)) - (length - 1 - room))
        high = min(n - length, int(np.floor(first)) - room)
        start = int(rng.integers(low, high + 1)) if high >= low else int(np.clip(low, 0, n - length))
        windows[k] = trace.data[:, start : start + length]
        starts[k] = start
        p_picks[k] = trace.itp - start
        s_picks[k] = s_pick - start
    labels = gaussian_labels(p_picks, s_picks, length, sigma=sigma)
    return normalize_windows(windows), labels, starts


class NpzBatches:
    """Training batches from real traces: ``batches(step) -> (inputs, labels)`` tensors.

    Batch ``k`` draws ``batch_size`` traces and a crop of each from a generator seeded by
    ``(seed, k)``: deterministic, resumable, and the same for two arms given the same seed.
    """

    def __init__(
        self,
        traces: list[PhaseNetTrace],
        batch_size: int,
        seed: int = 0,
        length: int = 3001,
        s_pick_sampler: Any = None,
    ) -> None:
        """``s_pick_sampler(indices, rng) -> its`` (optional) draws the S pick of each window
        afresh, e.g. :class:`AnalystSPicks` (analysts who disagree on emergent onsets)."""
        self.s_pick_sampler = s_pick_sampler
        if not traces:
            raise InvalidArgumentError("traces: expected at least one trace, got none")
        if not is_integer(batch_size) or batch_size < 1:
            raise InvalidArgumentError(f"batch_size: expected an int >= 1, got {batch_size!r}")
        self.traces, self.batch_size, self.seed, self.length = traces, batch_size, int(seed), length

    def __call__(self, step: int):
        import torch

        rng = np.random.default_rng([self.seed, int(step)])
        indices = rng.integers(0, len(self.traces), self.batch_size)
        its = None if self.s_pick_sampler is None else self.s_pick_sampler(indices, rng)
        windows, labels, _ = random_crops(self.traces, indices, rng, self.length, its=its)
        return torch.from_numpy(windows), torch.from_numpy(labels)


def s_onset_sharpness(trace: PhaseNetTrace, sta: int = 20, lta: int = 200, search: tuple[int, int] = (-20, 50)) -> float:
    """How impulsive a trace's S onset is: the peak STA/LTA of the S energy near the S pick.

    The energy is the sum of squares of the horizontals (of the vertical for a single-component
    trace); STA over ``sta`` samples after each sample, LTA over the ``lta`` samples before it.
    A sharp (impulsive) S onset gives a large ratio, an emergent one a small ratio.
    """
    x = trace.data[:2] if np.abs(trace.data[:2]).max() > 0 else trace.data[2:]
    energy = np.square(x.astype(np.float64)).sum(axis=0)
    csum = np.concatenate([[0.0], np.cumsum(energy)])
    n = energy.size
    best = 0.0
    for t in range(max(lta, trace.its + search[0]), min(n - sta, trace.its + search[1]) + 1):
        short = (csum[t + sta] - csum[t]) / sta
        long = (csum[t] - csum[t - lta]) / lta
        best = max(best, short / max(long, 1e-12 * max(short, 1e-300)))
    return float(best)


def jitter_s_picks(
    traces: list[PhaseNetTrace],
    seed: int = 0,
    emergent_share: float = 0.5,
    jitter: float = 25.0,
    burst_bias: float = 0.5,
    burst_window: int = 150,
) -> tuple[list[PhaseNetTrace], np.ndarray]:
    """Perturb real S picks the way analysts disagree, with the uncertainty tied to the waveform.

    Traces whose S onset is among the least sharp (lowest :func:`s_onset_sharpness`, a share
    ``emergent_share`` of the traces) count as emergent: their pick moves by Gaussian jitter of
    ``jitter`` samples plus a bias towards the S energy peak (the largest STA within
    ``burst_window`` samples after the pick) of a random fraction in ``[0, burst_bias]`` of the
    distance. Impulsive onsets keep their pick. Each trace is perturbed once (an analyst picks
    a trace once), seeded by ``seed``; P picks are untouched.

    Returns:
        ``(new traces, emergent mask)``; the new traces share their data with the old ones.
    """
    if not 0.0 <= emergent_share <= 1.0:
        raise InvalidArgumentError(f"emergent_share: expected a share in [0, 1], got {emergent_share!r}")
    sharpness = np.array([s_onset_sharpness(t) for t in traces])
    cut = np.quantile(sharpness, emergent_share) if traces else 0.0
    emergent = sharpness < cut if emergent_share < 1.0 else np.ones(len(traces), dtype=bool)
    out = []
    for k, trace in enumerate(traces):
        rng = np.random.default_rng([int(seed), int(hashlib.sha256(trace.name.encode()).hexdigest()[:8], 16)])
        its = trace.its
        if emergent[k]:
            shift = jitter * rng.standard_normal() + rng.uniform(0.0, burst_bias) * s_burst_offset(trace, burst_window)
            its = int(np.clip(round(its + shift), trace.itp + 1, trace.data.shape[1] - 1))
        out.append(dataclasses.replace(trace, its=its))
    return out, emergent


def s_burst_offset(trace: PhaseNetTrace, burst_window: int = 150) -> int:
    """Samples from the S pick to the S energy peak (20-sample moving average) within ``burst_window``."""
    x = trace.data[:2] if np.abs(trace.data[:2]).max() > 0 else trace.data[2:]
    energy = np.square(x.astype(np.float64)).sum(axis=0)[trace.its : trace.its + burst_window]
    smooth = np.convolve(energy, np.ones(20) / 20, mode="same") if energy.size >= 20 else energy
    return int(np.argmax(smooth)) if smooth.size else 0


class AnalystSPicks:
    """Draws a fresh S pick per training window for emergent onsets: analysts who disagree.

    With one fixed perturbed pick per trace (:func:`jitter_s_picks`) a net can learn each
    training trace's offset, and the test traces' offsets are a timing error, not a blur; drawing
    the pick again for every window shows the same waveform with scattered picks, which is what
    drives point-wise losses to low, wide peaks. ``sampler(indices, rng) -> its`` for
    :class:`NpzBatches`.

    Args:
        traces: the traces the indices refer to (their ``its`` is the reference pick).
        emergent: ``(len(traces),)`` bool, whose picks scatter (e.g. from :func:`jitter_s_picks`).
        jitter: std of the Gaussian part, in samples.
        burst_bias: the pick moves towards the S energy peak by a fraction in ``[0, burst_bias]``.
    """

    def __init__(self, traces: list[PhaseNetTrace], emergent: np.ndarray, jitter: float = 25.0, burst_bias: float = 0.5) -> None:
        self.its = np.array([t.its for t in traces], dtype=np.float64)
        self.itp = np.array([t.itp for t in traces], dtype=np.float64)
        self.n = np.array([t.data.shape[1] for t in traces], dtype=np.float64)
        self.emergent = np.asarray(emergent, dtype=bool)
        self.offset = np.array([s_burst_offset(t) if e else 0 for t, e in zip(traces, self.emergent)], dtype=np.float64)
        self.jitter, self.burst_bias = float(jitter), float(burst_bias)

    def __call__(self, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        shift = self.jitter * rng.standard_normal(indices.size) + rng.uniform(0.0, self.burst_bias, indices.size) * self.offset[indices]
        its = self.its[indices] + np.where(self.emergent[indices], shift, 0.0)
        return np.clip(np.round(its), self.itp[indices] + 1, self.n[indices] - 1)
