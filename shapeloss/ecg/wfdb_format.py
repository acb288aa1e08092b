"""A small reader for the parts of the WFDB format that LUDB uses.

No dependency on the ``wfdb`` package: headers (``.hea``), signal files in
format 16 (interleaved little-endian int16) and MIT-format annotation files.
Everything else in WFDB (other formats, multi-segment records) is refused with
a :class:`~shapeloss.errors.DataFormatError` naming the file and the field.

References: the WFDB header, signal and annotation specifications
(https://physionet.org/physiotools/wag/header-5.htm, signal-5.htm, annot-5.htm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataFormatError

__all__ = [
    "SignalSpec",
    "Header",
    "Annotation",
    "read_header",
    "read_signals",
    "read_annotations",
    "ANNOTATION_SYMBOLS",
]

# Annotation type codes of WFDB's ecgcodes.h that LUDB uses, with their symbols.
ANNOTATION_SYMBOLS = {1: "N", 24: "p", 27: "t", 39: "(", 40: ")", 5: "V", 12: "/", 8: "A", 14: "~", 22: '"'}
_SKIP, _NUM, _SUB, _CHN, _AUX = 59, 60, 61, 62, 63
_ACMAX = 49  # the highest annotation code; 50-58 are undefined

_GAIN = re.compile(r"^(?P<gain>[-+0-9.eE]+)?(\((?P<baseline>-?\d+)\))?(/(?P<units>\S+))?$")


@dataclass(frozen=True)
class SignalSpec:
    """One signal line of a header: ``physical = (digital - baseline) / gain``."""

    file_name: str
    fmt: int
    gain: float
    baseline: int
    units: str
    adc_zero: int
    initial_value: int | None
    checksum: int | None
    name: str


@dataclass(frozen=True)
class Header:
    """A single-segment WFDB record header."""

    record: str
    sampling_rate: float
    n_samples: int
    signals: tuple[SignalSpec, ...]
    comments: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.signals]


@dataclass(frozen=True)
class Annotation:
    """One annotation: its sample index (0-based) and symbol (``"("``, ``"N"``, ...)."""

    sample: int
    symbol: str


def _int(value: str, path: Path, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise DataFormatError(f"{path}: field {field}: expected an integer, got {value!r}") from None


def _int32(value: str, path: Path, field: str) -> int:
    # WFDB stores baselines and ADC zeros as C ints; a larger one is a corrupt header
    number = _int(value, path, field)
    if not -(2**31) <= number < 2**31:
        raise DataFormatError(f"{path}: field {field}: expected an integer in [-2**31, 2**31), got {value!r}")
    return number


def _float(value: str, path: Path, field: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise DataFormatError(f"{path}: field {field}: expected a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise DataFormatError(f"{path}: field {field}: expected a finite number, got {value!r}")
    return number


def read_header(path: str | Path) -> Header:
    """Parse a ``.hea`` file (single-segment records only).

    Raises:
        DataFormatError: malformed fields, a multi-segment record, or fewer
            signal lines than announced.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("ascii")
    except OSError as e:
        raise DataFormatError(f"{path}: expected a readable header, got {type(e).__name__}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise DataFormatError(f"{path}: header: expected ASCII text, got byte {e.object[e.start]:#x} at offset {e.start}") from None
    lines = [ln.strip() for ln in text.splitlines()]
    comments = tuple(ln[1:].strip() for ln in lines if ln.startswith("#"))
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise DataFormatError(f"{path}: record line: expected 'name n_signals [fs [n_samples]]', got an empty header")
    record = lines[0].split()
    if len(record) < 2:
        raise DataFormatError(f"{path}: record line: expected 'name n_signals [fs [n_samples]]', got {lines[0]!r}")
    if "/" in record[0]:
        raise DataFormatError(f"{path}: record name: expected a single-segment record, got {record[0]!r}")
    n_signals = _int(record[1], path, "n_signals")
    if n_signals < 0:
        raise DataFormatError(f"{path}: field n_signals: expected an integer >= 0, got {n_signals}")
    fs = _float(record[2].split("/")[0], path, "sampling frequency") if len(record) > 2 else 250.0
    if not fs > 0 or fs == float("inf"):
        raise DataFormatError(f"{path}: field sampling frequency: expected a positive number (Hz), got {fs}")
    n_samples = _int(record[3], path, "n_samples") if len(record) > 3 else -1
    if len(record) > 3 and n_samples < 0:
        raise DataFormatError(f"{path}: field n_samples: expected an integer >= 0, got {n_samples}")
    if len(lines) - 1 < n_signals:
        raise DataFormatError(f"{path}: signal lines: expected {n_signals}, got {len(lines) - 1}")
    signals = []
    for i, line in enumerate(lines[1 : 1 + n_signals]):
        f = line.split()
        if len(f) < 2:
            raise DataFormatError(f"{path}: signal {i}: expected 'file format [gain ...]', got {line!r}")
        fmt = _int(f[1].split("x")[0].split(":")[0].split("+")[0], path, f"signal {i} format")
        gain, baseline, units = 200.0, None, "mV"
        adc_zero = _int32(f[4], path, f"signal {i} adc zero") if len(f) > 4 else 0
        if len(f) > 2:
            m = _GAIN.match(f[2])
            if m is None:
                raise DataFormatError(f"{path}: signal {i} gain: expected 'gain(baseline)/units', got {f[2]!r}")
            if m["gain"]:
                gain = _float(m["gain"], path, f"signal {i} gain") or 200.0  # a zero gain means 'uncalibrated', WFDB's default 200
            baseline = _int32(m["baseline"], path, f"signal {i} baseline") if m["baseline"] else None
            units = m["units"] or units
        signals.append(
            SignalSpec(
                file_name=f[0],
                fmt=fmt,
                gain=gain,
                baseline=adc_zero if baseline is None else baseline,
                units=units,
                adc_zero=adc_zero,
                initial_value=_int(f[5], path, f"signal {i} initial value") if len(f) > 5 else None,
                checksum=_int(f[6], path, f"signal {i} checksum") if len(f) > 6 else None,
                name=" ".join(f[8:]) if len(f) > 8 else f"signal {i}",
            )
        )
    return Header(path.stem, fs, n_samples, tuple(signals), comments)


def read_signals(path: str | Path, verify: bool = True) -> tuple[np.ndarray, Header]:
    """Read a record (format 16, one signal file) in physical units.

    Args:
        path: the record path without extension, or its ``.hea`` file.
        verify: check each signal's initial value and checksum against the header.

    Returns:
        ``(signals, header)``: float32 ``(n_signals, n_samples)`` with each
        signal's baseline subtracted and divided by its gain (mV for LUDB).
    """
    path = Path(path)
    hea = path if path.suffix == ".hea" else path.with_name(path.name + ".hea")
    header = read_header(hea)
    files = {s.file_name for s in header.signals}
    fmts = {s.fmt for s in header.signals}
    if fmts != {16} or len(files) != 1:
        raise DataFormatError(
            f"{hea}: signal format: expected format 16 in a single file, got formats {sorted(fmts)} in {sorted(files)}"
        )
    name = files.pop()
    if Path(name).name != name or name in ("", ".", ".."):
        # a header from elsewhere must not make us read a file outside the record's folder
        raise DataFormatError(f"{hea}: signal file name: expected a file next to the header, got {name!r}")
    dat = hea.with_name(name)
    try:
        raw = np.fromfile(dat, dtype="<i2")
    except OSError as e:
        raise DataFormatError(f"{dat}: expected a readable signal file, got {type(e).__name__}: {e.strerror or e}") from None
    n = len(header.signals)
    expected = header.n_samples if header.n_samples >= 0 else raw.size // n
    if raw.size != expected * n:
        raise DataFormatError(
            f"{dat}: size: expected {expected} samples x {n} signals = {expected * n * 2} bytes, got {raw.size * 2}"
        )
    digital = raw.reshape(expected, n).T.astype(np.int64)
    if verify:
        for i, s in enumerate(header.signals):
            if s.initial_value is not None and expected and digital[i, 0] != s.initial_value:
                raise DataFormatError(
                    f"{dat}: signal {i} ({s.name}) initial value: expected {s.initial_value} (header), got {digital[i, 0]}"
                )
            if s.checksum is not None:
                total = int(digital[i].sum()) & 0xFFFF
                total = total - 0x10000 if total >= 0x8000 else total
                if total != s.checksum:
                    raise DataFormatError(
                        f"{dat}: signal {i} ({s.name}) checksum: expected {s.checksum} (header), got {total}"
                    )
    gain = np.array([s.gain for s in header.signals], dtype=np.float64)[:, None]
    baseline = np.array([s.baseline for s in header.signals], dtype=np.int64)[:, None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        physical = ((digital - baseline) / gain).astype(np.float32)
    # scale, then check: a tiny gain (1e-40) turns int16 samples into inf
    bad = ~np.isfinite(physical).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        s = header.signals[i]
        raise DataFormatError(
            f"{hea}: signal {i} ({s.name}) gain: expected a gain that keeps (digital - baseline) / gain finite "
            f"in float32, got gain {s.gain!r} with baseline {s.baseline}"
        )
    return physical, header


def read_annotations(path: str | Path) -> list[Annotation]:
    """Read an MIT-format annotation file.

    The structure is checked as it is read: 16-bit words (an even number of bytes),
    annotation codes 1-49 or the pseudo-codes 59-63, SKIP and AUX fields complete,
    samples non-negative and in time order, and a 0 word at the end. A plain-text
    file, or one cut short, is refused instead of being read as bogus annotations.

    Returns:
        The annotations in file order, with absolute 0-based sample indices.
        Codes without a known symbol get ``"#<code>"``; auxiliary fields are skipped.

    Raises:
        DataFormatError: the file is missing or breaks the structure; the message
            names the file, the byte offset and the field.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataFormatError(f"{path}: expected a readable annotation file, got {type(e).__name__}: {e.strerror or e}") from None
    out: list[Annotation] = []
    sample, i, ended = 0, 0, False
    while i + 1 < len(data):
        at = i
        word = data[i] | (data[i + 1] << 8)
        i += 2
        code, value = word >> 10, word & 0x3FF
        if word == 0:
            ended = True
            break
        if code == _SKIP:
            if i + 4 > len(data):
                raise DataFormatError(f"{path}: byte {i}: expected a 4-byte SKIP interval, got end of file")
            hi = data[i] | (data[i + 1] << 8)
            lo = data[i + 2] | (data[i + 3] << 8)
            interval = (hi << 16) | lo
            if interval >= 1 << 31:
                interval -= 1 << 32
            sample += interval
            i += 4
        elif code == _AUX:
            if i + value > len(data):
                raise DataFormatError(
                    f"{path}: byte {at}: AUX field: expected {value} bytes of auxiliary data, got {len(data) - i} before the end"
                )
            i += value + (value & 1)
        elif code in (_NUM, _SUB, _CHN):
            continue
        elif code > _ACMAX:
            raise DataFormatError(
                f"{path}: byte {at}: annotation code: expected 1-{_ACMAX} or a pseudo-code {_SKIP}-{_AUX}, got {code} "
                "(not an MIT annotation file?)"
            )
        else:
            sample += value
            if sample < 0 or (out and sample < out[-1].sample):
                previous = f"after sample {out[-1].sample}" if out else "at the start"
                raise DataFormatError(
                    f"{path}: byte {at}: sample: expected a non-negative sample in time order, got {sample} {previous}"
                )
            out.append(Annotation(sample, ANNOTATION_SYMBOLS.get(code, f"#{code}")))
    if len(data) % 2:
        raise DataFormatError(
            f"{path}: annotation file length: expected an even number of bytes (16-bit words), got {len(data)}"
        )
    if not ended:
        raise DataFormatError(
            f"{path}: end of file: expected a 0 word ending the annotations, got none in {len(data)} bytes "
            "(a truncated file, or not an MIT annotation file)"
        )
    return out
