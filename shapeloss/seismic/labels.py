"""Pick labels and window normalisation for phase pickers.

Labels follow PhaseNet and the reference study: a Gaussian of standard deviation ``sigma``
samples (20 by default, 0.2 s at 100 Hz) centred on each pick, with peak value 1, one channel per
phase, and a noise channel ``1 - P - S`` clipped to ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import is_real, is_integer
from ..errors import InvalidArgumentError, ShapeMismatchError

__all__ = ["LABEL_SIGMA", "gaussian_labels", "normalize_windows", "widened_sigma", "widen_labels"]

#: Standard deviation of the Gaussian pick labels, in samples (PhaseNet's 0.2 s at 100 Hz).
LABEL_SIGMA = 20.0


def _picks(value: object, name: str) -> np.ndarray:
    """Pick positions as float64; NaN (or None) is no pick; text, booleans and dates are refused."""
    raw = np.atleast_1d(np.asarray(value))
    if raw.dtype.kind in "USVbcmM":  # "100" would silently convert, True would be sample 1
        raise TypeError(f"{name}: expected pick positions as numbers (NaN for no pick), got dtype {raw.dtype}")
    try:
        return raw.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected pick positions as numbers (NaN for no pick), got {value!r}") from None


def gaussian_labels(
    p_picks: np.ndarray | float,
    s_picks: np.ndarray | float,
    length: int,
    sigma: float = LABEL_SIGMA,
    dtype: np.dtype = np.float32,
) -> np.ndarray:
    """Gaussian P, S and noise labels for a batch of windows.

    Args:
        p_picks: P pick positions ``(B,)`` in samples from the window start (fractional
            positions allowed). ``NaN`` means no pick: the channel stays zero.
        s_picks: S pick positions ``(B,)``, same conventions.
        length: window length ``L`` in samples.
        sigma: standard deviation of each Gaussian, in samples.
        dtype: floating dtype of the result.

    Returns:
        ``(B, 3, L)`` labels in ``[0, 1]``: channel 0 is P, 1 is S, 2 is noise
        ``clip(1 - P - S, 0, 1)``. A pick outside the window contributes only its tail.

    Example:
        >>> y = gaussian_labels([100.0], [300.0], 1000)
        >>> y.shape, float(y[0, 0, 100]), float(y[0, 2, 100])
        ((1, 3, 1000), 1.0, 0.0)
    """
    p, s = (_picks(x, name) for x, name in ((p_picks, "p_picks"), (s_picks, "s_picks")))
    if p.ndim != 1:
        raise ShapeMismatchError(f"p_picks: expected a 1-D array (B,) of pick positions, got shape {p.shape}")
    if s.shape != p.shape:
        raise ShapeMismatchError(f"s_picks: expected the shape of p_picks {p.shape} (B,), got {s.shape}")
    if not is_integer(length) or length < 1:
        raise InvalidArgumentError(f"length: expected an int >= 1, got {length!r}")
    if not (is_real(sigma) and np.isfinite(sigma) and sigma > 0):
        raise InvalidArgumentError(f"sigma: expected a finite float > 0, got {sigma!r}")

    labels = np.zeros((p.shape[0], 3, length), dtype=dtype)
    labels[:, 2] = 1.0  # 1 - 0 - 0 away from every pick
    # Each Gaussian is evaluated only where it can be non-zero in the output dtype: beyond
    # _cutoff(dtype) sigmas exp(-d**2 / 2) rounds to exactly 0, so the result equals the dense
    # evaluation over the whole window bit for bit, at a fraction of the cost.
    half = int(np.ceil(_cutoff(dtype) * sigma)) + 1
    span = min(2 * half + 1, length)
    offsets = np.arange(span, dtype=np.float64)
    bands = []
    for channel, picks in ((0, p), (1, s)):
        rows = np.flatnonzero(np.isfinite(picks))
        if rows.size == 0:
            continue
        # each band starts half a span before its pick, moved so that it stays inside the window
        starts = np.clip(np.floor(picks[rows]).astype(np.int64) - half, 0, length - span)
        d = (starts[:, None] + offsets[None, :] - picks[rows, None]) / sigma
        values = np.exp(-0.5 * d * d).astype(dtype)
        for row, start, value in zip(rows.tolist(), starts.tolist(), values):
            labels[row, channel, start : start + span] = value
        bands.extend(zip(rows.tolist(), starts.tolist()))
    for row, start in bands:  # noise = clip(1 - P - S) wherever P or S can be non-zero
        window = labels[row, :, start : start + span]
        window[2] = np.clip(1.0 - window[0] - window[1], 0.0, 1.0)
    return labels


def widened_sigma(pick_scatter: float, sigma: float = LABEL_SIGMA) -> float:
    """The label width that matches picks scattered by ``pick_scatter`` samples (std):
    ``sqrt(sigma**2 + pick_scatter**2)``, the width of the average of the scattered labels.

    Example:
        >>> round(widened_sigma(25.0), 2)  # S picks scattered by 25 samples
        32.02
    """
    for name, v in (("pick_scatter", pick_scatter), ("sigma", sigma)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < (name == "sigma") * 1e-12:
            raise InvalidArgumentError(f"{name}: expected a finite float >= 0{' (> 0 for sigma)' if name == 'sigma' else ''}, got {v!r}")
    return float(np.hypot(sigma, pick_scatter))


def widen_labels(
    labels: np.ndarray, pick_scatter: float, channels: tuple[int, ...] = (1,), sigma: float = LABEL_SIGMA
) -> np.ndarray:
    """Gaussian pick labels of width ``sigma`` widened to :func:`widened_sigma` on some channels.

    Each chosen channel is convolved with a normalised Gaussian of std ``pick_scatter`` and scaled
    back to peak 1 (a Gaussian of width ``sigma`` becomes one of width ``sqrt(sigma**2 +
    pick_scatter**2)``, peak 1, same centre); the noise channel (2) is rebuilt as
    ``clip(1 - P - S, 0, 1)``. Near the window's ends the convolution sees zeros beyond the edge.

    Args:
        labels: ``(B, 3, L)`` labels from :func:`gaussian_labels` (P, S, noise).
        pick_scatter: std of the pick scatter to absorb, in samples (0 returns a copy).
        channels: the phase channels to widen (default S only).
        sigma: the width the labels were made with.

    Returns:
        A new ``(B, 3, L)`` array of the same dtype, values in [0, 1].
    """
    if not isinstance(labels, np.ndarray) or labels.ndim != 3 or labels.shape[1] != 3 or labels.dtype.kind != "f":
        got = f"shape {labels.shape}, dtype {labels.dtype}" if isinstance(labels, np.ndarray) else type(labels).__name__
        raise ShapeMismatchError(f"labels: expected a floating (B, 3, L) numpy array, got {got}")
    widened_sigma(pick_scatter, sigma)  # checks both
    if not isinstance(channels, tuple) or not channels or any(c not in (0, 1) for c in channels):
        raise InvalidArgumentError(f"channels: expected a non-empty tuple of phase channels in (0, 1), got {channels!r}")
    out = labels.copy()
    if pick_scatter == 0:
        return out
    half = int(np.ceil(5 * pick_scatter))
    k = np.exp(-0.5 * (np.arange(-half, half + 1) / pick_scatter) ** 2)
    k /= k.sum()
    scale = widened_sigma(pick_scatter, sigma) / sigma  # the convolved peak is sigma / widened
    kernel = torch.from_numpy(k).view(1, 1, -1)
    for c in channels:
        x = torch.from_numpy(labels[:, c : c + 1].astype(np.float64))
        y = torch.nn.functional.conv1d(x, kernel, padding=half)[:, 0].numpy()
        out[:, c] = np.clip(scale * y, 0.0, 1.0)
    out[:, 2] = np.clip(1.0 - out[:, 0] - out[:, 1], 0.0, 1.0)
    return out


def _cutoff(dtype: np.dtype) -> float:
    """Distance in sigmas beyond which ``exp(-d**2 / 2)`` rounds to exactly zero in ``dtype``."""
    log_tiny = float(np.log(float(np.finfo(dtype).smallest_subnormal)))
    # below half the smallest subnormal a value rounds to zero; a margin of one sigma on top
    return float(np.sqrt(-2.0 * (log_tiny - np.log(2.0)))) + 1.0


def normalize_windows(windows: np.ndarray | torch.Tensor, eps: float = 1e-12) -> np.ndarray | torch.Tensor:
    """Demean each channel and divide it by its peak absolute value.

    Per-channel peak normalisation, as SeisBench's PhaseNet pipelines do: the absolute scale of
    raw counts (up to ~1e6) carries no information the picker should use. A channel that is all
    zeros (a single-component station's missing horizontals) stays zero; nothing is divided by
    zero.

    Args:
        windows: ``(..., L)`` waveforms, typically ``(B, 3, L)``; numpy array or torch tensor.
        eps: peaks at or below ``eps`` count as silent channels.

    Returns:
        Normalised windows of the same type, shape and (floating) dtype, each channel with zero
        mean and peak absolute value 1 (or all zeros).
    """
    if isinstance(windows, torch.Tensor):
        x = windows if windows.is_floating_point() else windows.float()
        x = x - x.mean(dim=-1, keepdim=True)
        peak = x.abs().amax(dim=-1, keepdim=True)
        return torch.where(peak > eps, x / torch.where(peak > eps, peak, torch.ones_like(peak)), torch.zeros_like(x))
    x = np.asarray(windows)
    # a float copy: the input is never modified
    x = x.astype(x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32, copy=True)
    normalize_rows_(x, eps)
    return x


def normalize_rows_(x: np.ndarray, eps: float = 1e-12) -> None:
    """:func:`normalize_windows` in place, on a floating numpy array ``(..., L)``."""
    x -= x.mean(axis=-1, keepdims=True)
    # max |x| without an |x| temporary: the same value, bit for bit
    peak = np.maximum(x.max(axis=-1, keepdims=True), -x.min(axis=-1, keepdims=True))
    silent = peak <= eps
    if silent.any():
        np.divide(x, np.where(silent, 1.0, peak), out=x)
        np.copyto(x, 0.0, where=np.broadcast_to(silent, x.shape))
    else:
        x /= peak
