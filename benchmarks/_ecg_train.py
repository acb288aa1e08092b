"""ECG training batches for the decision benchmark: seeded windows, augmentation, widened labels.

* :class:`EcgBatches` draws ``step -> (signals (B, 1, W), targets (B, 6, W))`` inside annotated
  spans (:func:`shapeloss.ecg.dataset.sample_windows`), deterministic in ``step``, so every arm
  branching from one warm-up sees the same windows; the same draw on a lead set built with wider
  boundary peaks gives the widened-label arm the same windows with wider labels;
* :func:`augment` (optional): a random gain, Gaussian noise and a slow baseline sway per window,
  the usual ECG augmentations; labels are untouched (none of them moves a boundary).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from shapeloss.ecg.dataset import LeadSet, sample_windows
from shapeloss.errors import InvalidArgumentError

__all__ = ["EcgBatches", "augment", "widened_width"]


def widened_width(width: float, scatter: float) -> float:
    """Peak width absorbing a timing scatter: ``sqrt(width**2 + scatter**2)`` samples."""
    if not (width > 0 and scatter >= 0):
        raise InvalidArgumentError(f"width, scatter: expected width > 0 and scatter >= 0, got {width!r}, {scatter!r}")
    return math.sqrt(width**2 + scatter**2)


def augment(x: np.ndarray, rng: np.random.Generator, sampling_rate: float = 500.0) -> np.ndarray:
    """``x`` ``(B, 1, W)`` with, per window, a gain in [0.7, 1.4], noise of std in [0, 0.1] and a
    baseline sine of amplitude in [0, 0.3] and frequency in [0.1, 0.5] Hz (signals have unit std)."""
    if x.ndim != 3:
        raise InvalidArgumentError(f"x: expected a (B, C, W) array, got shape {x.shape}")
    b, _, w = x.shape
    gain = np.exp(rng.uniform(np.log(0.7), np.log(1.4), size=(b, 1, 1)))
    noise = rng.standard_normal(x.shape) * rng.uniform(0.0, 0.1, size=(b, 1, 1))
    t = np.arange(w) / sampling_rate
    freq = rng.uniform(0.1, 0.5, size=(b, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(b, 1, 1))
    sway = rng.uniform(0.0, 0.3, size=(b, 1, 1)) * np.sin(2 * np.pi * freq * t + phase)
    return (x * gain + noise + sway).astype(np.float32)


class EcgBatches:
    """``step -> (signals, targets)`` training batches (picklable, deterministic in ``step``).

    Args:
        data: the training :class:`~shapeloss.ecg.dataset.LeadSet`.
        batch_size, window: windows per batch and samples per window.
        seed: batches of two instances with the same seed and data sizes are the same windows.
        augmentation: apply :func:`augment`.
    """

    def __init__(self, data: LeadSet, batch_size: int, window: int, seed: int, augmentation: bool = False) -> None:
        self.data, self.batch_size, self.window = data, batch_size, window
        self.base_seed = 7_000_001 * (seed + 1)
        self.augmentation = augmentation

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(self.base_seed + step)
        x, y = sample_windows(self.data, self.batch_size, self.window, rng)
        if self.augmentation:
            x = torch.from_numpy(augment(x.numpy(), rng, self.data.sampling_rate))
        return x, y
