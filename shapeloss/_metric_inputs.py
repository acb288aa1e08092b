"""Input checks shared by the metric modules: arrays of probabilities, settings, names.

Every metric takes numpy arrays or torch tensors; these helpers turn them into float64
numpy after checking shape, finiteness and range, with messages that name the argument.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._validation import check_finite, check_positive_int, check_range, check_same_shape, check_tensor, is_real
from .errors import InvalidArgumentError, ShapeMismatchError


def _as_float_tensor(x: object, name: str) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected a numeric array, got dtype {x.dtype}")
        return torch.from_numpy(np.asarray(x, dtype=np.float64))
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise TypeError(f"{name}: expected a real tensor, got dtype {x.dtype}")
        return x.detach().to("cpu", torch.float64)
    raise TypeError(f"{name}: expected a numpy array or torch.Tensor, got {type(x).__name__}")


def _probabilities(x: object, name: str) -> np.ndarray:
    """Check a ``(B, C, L)`` array of values in [0, 1] and return it as float64 numpy."""
    t = check_tensor(_as_float_tensor(x, name), name, ndim=3)
    check_finite(t, name)
    check_range(t, name, 0.0, 1.0)
    return t.numpy()


def _pair(predictions: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    p = _probabilities(predictions, "predictions")
    y = _probabilities(labels, "labels")
    check_same_shape(torch.from_numpy(p), "predictions", torch.from_numpy(y), "labels")
    return p, y


def _unit_interval(value: object, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{name}: expected a float in [0, 1], got {type(value).__name__} {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise InvalidArgumentError(f"{name}: expected a float in [0, 1], got {value!r}")
    return value


def _non_negative_int(value: object, name: str) -> int:
    return check_positive_int(value, name, minimum=0)


def _channel_names(names: Sequence[str] | None, channels: int) -> list[str]:
    if names is None:
        return [str(c) for c in range(channels)]
    names = [str(n) for n in names]
    if len(names) != channels:
        raise InvalidArgumentError(f"channel_names: expected {channels} names (one per channel), got {len(names)}")
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"channel_names: expected distinct names, got {names}")
    return names


def _positions(x: object, name: str) -> np.ndarray:
    arr = np.asarray(x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x)
    if arr.ndim != 1:
        raise ShapeMismatchError(f"{name}: expected a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise TypeError(f"{name}: expected integer sample indices, got dtype {arr.dtype}")
    return arr.astype(np.int64)
