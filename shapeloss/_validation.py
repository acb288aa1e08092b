"""Checks run at the public boundary.

Each check raises one of :mod:`shapeloss.errors` with a message of the form
``"<argument>: expected <what>, got <what arrived>"``. Inside the library the
data are trusted; these run once per public call.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from .errors import (
    DtypeMismatchError,
    InvalidArgumentError,
    NonFiniteInputError,
    OutOfDomainError,
    ShapeMismatchError,
)

__all__ = [
    "check_tensor",
    "check_same_batch_and_spatial",
    "check_same_shape",
    "check_finite",
    "check_range",
    "check_weight",
    "check_positive_int",
    "check_choice",
    "check_bool",
    "is_real",
    "is_integer",
    "check_real",
]


def is_real(value: object) -> bool:
    """A real number: Python ``int``/``float`` or a numpy scalar such as ``np.float32(100.0)``.

    Booleans (``True``, ``np.bool_``), complex numbers, strings, arrays and tensors are not.
    """
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (numbers.Real, np.integer, np.floating))


def is_integer(value: object) -> bool:
    """An integer: Python ``int`` or a numpy integer scalar such as ``np.int64(10)`` (bools refused)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (numbers.Integral, np.integer))


def check_real(
    value: object,
    name: str,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """A real number in ``[low, high]`` (or open ends), returned as a Python float.

    NaN is always refused; infinities unless ``allow_inf`` (and the range admits them).
    """
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    if math.isinf(low) and math.isinf(high):
        want = "a finite float" if not allow_inf else "a float"
    elif math.isinf(high):
        want = f"a float {'>' if low_open else '>='} {low:g}"
    elif math.isinf(low):
        want = f"a float {'<' if high_open else '<='} {high:g}"
    else:
        want = f"a float in {left}{low:g}, {high:g}{right}"
    if not is_real(value):
        raise TypeError(f"{name}: expected {want}, got {type(value).__name__} {value!r}")
    number = float(value)  # type: ignore[arg-type]
    bad = (
        math.isnan(number)
        or (math.isinf(number) and not allow_inf)
        or number < low or number > high
        or (low_open and number == low) or (high_open and number == high)
    )
    if bad:
        raise InvalidArgumentError(f"{name}: expected {want}, got {number!r}")
    return number


def _shape(x: torch.Tensor) -> tuple[int, ...]:
    return tuple(x.shape)


def check_tensor(
    x: object,
    name: str,
    ndim: int | Sequence[int] = (3, 4),
    floating: bool = True,
    allow_empty: bool = False,
) -> torch.Tensor:
    """Check that ``x`` is a tensor of an accepted rank, floating point and non-empty.

    Args:
        x: the value to check.
        name: the argument's name, used in the message.
        ndim: accepted ranks (3 means ``(B, C, L)``, 4 means ``(B, C, H, W)``).
        floating: require a floating-point dtype.
        allow_empty: accept tensors with a zero-sized dimension.

    Returns:
        ``x`` unchanged.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in ranks:
        layouts = {2: "(B, C)", 3: "(B, C, L)", 4: "(B, C, H, W)", 1: "(L,)"}
        want = " or ".join(f"{r}-D {layouts.get(r, '')}".strip() for r in ranks)
        raise ShapeMismatchError(f"{name}: expected a {want} tensor, got shape {_shape(x)} ({x.ndim}-D)")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    if not allow_empty and x.numel() == 0:
        raise ShapeMismatchError(f"{name}: expected a non-empty tensor, got shape {_shape(x)}")
    return x


def check_same_shape(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """Require identical shapes, naming both in the message."""
    if a.shape != b.shape:
        raise ShapeMismatchError(
            f"{b_name}: expected the shape of {a_name} {_shape(a)}, got {_shape(b)}"
        )


def check_same_batch_and_spatial(a: torch.Tensor, a_name: str, b: torch.Tensor, b_name: str) -> None:
    """Require the same batch size and spatial sizes (all but the channel dimension),
    and the same device and dtype."""
    if a.ndim != b.ndim or a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
        raise ShapeMismatchError(
            f"{b_name}: expected batch and spatial sizes matching {a_name} "
            f"(shape {_shape(a)}: batch {a.shape[0]}, spatial {tuple(a.shape[2:])}), got shape {_shape(b)}"
        )
    if a.device != b.device:
        raise InvalidArgumentError(f"{b_name}: expected device {a.device} (that of {a_name}), got {b.device}")
    if a.dtype != b.dtype and a.is_floating_point() and b.is_floating_point():
        raise DtypeMismatchError(f"{b_name}: expected dtype {a.dtype} (that of {a_name}), got {b.dtype}")


def check_finite(x: torch.Tensor, name: str) -> None:
    """Require every value to be finite; report how many are not."""
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise NonFiniteInputError(
            f"{name}: expected finite values, got {bad} NaN/Inf value(s) out of {x.numel()}"
        )


def check_range(x: torch.Tensor, name: str, low: float, high: float) -> None:
    """Require ``low <= x <= high`` everywhere (the domain of BCE-type targets is [0, 1])."""
    lo, hi = float(x.min()), float(x.max())
    if lo < low or hi > high:
        raise OutOfDomainError(f"{name}: expected values in [{low}, {high}], got values in [{lo:.6g}, {hi:.6g}]")


def check_weight(value: object, name: str, allow_inf: bool = True) -> float:
    """A non-negative real number (``inf`` allowed where it means 'base loss only');
    numpy scalars accepted, returned as a Python float."""
    if not is_real(value):
        raise TypeError(f"{name}: expected a non-negative float, got {type(value).__name__} {value!r}")
    value = float(value)  # type: ignore[arg-type]
    if math.isnan(value) or value < 0 or (math.isinf(value) and not allow_inf):
        want = "a non-negative float (inf allowed)" if allow_inf else "a finite non-negative float"
        raise InvalidArgumentError(f"{name}: expected {want}, got {value!r}")
    return value


def check_positive_int(value: object, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools refused, numpy integers accepted), returned as a Python int."""
    if not is_integer(value):
        raise TypeError(f"{name}: expected an int >= {minimum}, got {type(value).__name__} {value!r}")
    value = int(value)  # type: ignore[arg-type]
    if value < minimum:
        raise InvalidArgumentError(f"{name}: expected an int >= {minimum}, got {value}")
    return value


def check_bool(value: object, name: str) -> bool:
    """``True`` or ``False`` (numpy booleans too); ``"no"`` or ``0`` are not silently truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """One of a fixed set of names."""
    options = sorted(choices)
    if not isinstance(value, str) or value not in options:
        raise InvalidArgumentError(f"{name}: expected one of {options}, got {value!r}")
    return value
