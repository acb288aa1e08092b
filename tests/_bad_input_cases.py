"""The row types and checks shared by the bad-input tables (tests/test_bad_inputs*.py).

Tests are not a package (pytest runs with ``--import-mode=importlib``): the tables import this
module after putting ``tests/`` on ``sys.path``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from shapeloss.errors import ShapeLossError

NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Case:
    """One bad call: ``call(tmp_path)`` must raise ``error`` (or warn it, for a Warning) naming ``argument``."""

    id: str
    call: Callable[[Path], object]
    error: type[BaseException]
    argument: str


@dataclass(frozen=True)
class Accepts:
    """``call(tmp_path)`` must return without error, and ``check(result)`` must hold."""

    id: str
    call: Callable[[Path], object]
    check: Callable[[object], bool]


@dataclass(frozen=True)
class Check:
    """``call(tmp_path)`` does something hostile and asserts the right outcome itself."""

    id: str
    call: Callable[[Path], None]


@dataclass(frozen=True)
class CliCase:
    """``main(argv)`` of ``program`` (``"shapeloss"`` or ``"diagnostics"``) exits 2 before any work
    and prints ``says`` (one phrase, or one ``error:`` line per phrase of a tuple) on stderr."""

    id: str
    program: str
    argv: Callable[[Path], list[str]]
    says: str | tuple[str, ...]


def unique_ids(rows: list) -> None:
    ids = [r.id for r in rows]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def assert_named_error(case: Case, tmp_path: Path, allowed: tuple[type[BaseException], ...] = (ShapeLossError, TypeError)) -> str:
    """Run a :class:`Case`; its error (or warning) must be of the case's type and one of ``allowed``,
    and its message must name the argument and read ``"... expected <X>, got <Y>"``. Returns the message."""
    if issubclass(case.error, Warning):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            case.call(tmp_path)
        found = [w for w in caught if issubclass(w.category, case.error)]
        assert found, f"{case.id}: no {case.error.__name__} among {[str(w.message) for w in caught]}"
        message = str(found[-1].message)
    else:
        with pytest.raises(Exception) as raised:
            case.call(tmp_path)
        error = raised.value
        assert isinstance(error, case.error), f"{case.id}: raised {type(error).__name__}: {error}"
        assert isinstance(error, allowed), type(error)
        message = str(error)
    assert case.argument in message, f"{case.id}: {case.argument!r} not named in {message!r}"
    assert "expected" in message and "got" in message, f"{case.id}: message without expected/got: {message!r}"
    assert message.index("expected") < message.rindex("got"), message
    return message


def run_cli(case: CliCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``(exit status, stderr)`` of the case's command line (argparse's own exits included)."""
    if case.program == "shapeloss":
        from shapeloss.cli import main
    else:
        from shapeloss.diagnostics.__main__ import main
    try:
        status = main(case.argv(tmp_path))
    except SystemExit as exit:  # argparse's own usage errors
        status = exit.code
    return status, capsys.readouterr().err


def write_bytes(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def write_npz(tmp: Path, name: str = "trace.npz", **fields: object) -> Path:
    """A PhaseNet npz file in ``tmp``: a valid trace with ``fields`` replaced (``None`` drops one)."""
    base: dict[str, object] = {
        "data": np.random.default_rng(0).standard_normal((400, 3)).astype(np.float32),
        "itp": np.array(100),
        "its": np.array(200),
        "channels": np.array("EHE_EHN_EHZ"),
    }
    base.update(fields)
    path = tmp / name
    np.savez(path, **{k: v for k, v in base.items() if v is not None})
    return path


def read_npz(**fields: object) -> Callable[[Path], object]:
    """A case call: read the npz file :func:`write_npz` writes with ``fields``."""
    from shapeloss.seismic import read_phasenet_npz

    return lambda tmp: read_phasenet_npz(write_npz(tmp, **fields))
