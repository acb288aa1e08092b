"""Exception types raised by shapeloss.

Every error raised at a public boundary names the argument, what was expected
and what arrived, so a user can fix the call without reading our code.
The types subclass the built-in ones users already catch (``ValueError``,
``TypeError``, ``RuntimeError``), so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ShapeLossError",
    "ShapeMismatchError",
    "NonFiniteInputError",
    "OutOfDomainError",
    "InvalidArgumentError",
    "DataFormatError",
    "NonFiniteLossError",
    "CheckpointError",
    "DtypeMismatchError",
]


class ShapeLossError(Exception):
    """Base class of every error shapeloss raises on purpose."""


class InvalidArgumentError(ShapeLossError, ValueError):
    """An argument has a value outside what the function accepts (a name, a range)."""


class ShapeMismatchError(ShapeLossError, ValueError):
    """A tensor has the wrong rank, or sizes that do not match another input."""


class NonFiniteInputError(ShapeLossError, ValueError):
    """An input tensor holds NaN or infinite values."""


class OutOfDomainError(ShapeLossError, ValueError):
    """Values lie outside the domain of the loss (e.g. BCE targets outside [0, 1])."""


class DataFormatError(ShapeLossError, ValueError):
    """A data file is truncated, malformed or inconsistent; the message names file and field."""


class NonFiniteLossError(ShapeLossError, RuntimeError):
    """Training produced a NaN or infinite loss; the message names the step and the term."""


class CheckpointError(ShapeLossError, RuntimeError):
    """A checkpoint cannot be written or read back."""


class DtypeMismatchError(ShapeLossError, TypeError):
    """Tensors that must share a dtype do not (logits and target, logits and condition,
    a critic's inputs and its parameters); the message names both sides."""
