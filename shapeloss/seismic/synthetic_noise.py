"""The coloured background noise of the synthetic seismograms: its random variates and spectrum.

Amplitude spectrum flat below ``noise_corner_hz`` and ``f**(-exponent/2)`` above, with a random
complex Gaussian phase and amplitude; two ways to draw the Gaussian (``noise_draw``):
``"box_muller"`` (the default) and ``"ziggurat"`` (shapeloss 0.1's windows, kept bit for bit).
:mod:`shapeloss.seismic.synthetic` renders the noise with an inverse FFT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .synthetic import SyntheticConfig


def _noise_variates(rng: np.random.Generator, shape: tuple[int, int, int], draw: str) -> np.ndarray:
    """The raw random variates of a ``(m, channels, n_freqs)`` complex Gaussian spectrum.

    Drawing a batch's variates in consecutive pieces gives the same numbers as one draw.
    """
    m, channels, n_freqs = shape
    if draw == "ziggurat":  # shapeloss 0.1's windows, kept bit for bit
        # Interleaved real and imaginary parts drawn at once, viewed as complex64.
        return rng.standard_normal((m, channels, 2 * n_freqs), dtype=np.float32).view(np.complex64)
    return rng.random((m, channels, 2, n_freqs), dtype=np.float32)  # Box-Muller's u1, u2


def _noise_spectrum(exponent: np.ndarray, variates: np.ndarray, freqs: np.ndarray, config: SyntheticConfig) -> np.ndarray:
    """``(m, channels, freqs.size)`` complex64 spectrum: complex Gaussian times the noise shape."""
    exponent = exponent[:, None, None]
    ratio = np.maximum(freqs, config.noise_corner_hz) / max(config.noise_corner_hz, 1e-6)
    if config.noise_draw == "ziggurat":
        shape = ratio[None, None, :] ** (-0.5 * exponent)
        shape[..., 0] = 0.0  # no DC
        return variates * shape.astype(np.float32)
    # Box-Muller: radius sqrt(-2 ln(1 - u1)) (1 - u1 is in (0, 1] and exact in float32), angle
    # 2 pi u2; the spectrum's shape scales the radius.
    shape = np.exp(np.log(ratio).astype(np.float32) * (-0.5 * exponent).astype(np.float32))
    shape[..., 0] = 0.0  # no DC
    u = variates
    radius = np.subtract(np.float32(1.0), u[:, :, 0])
    np.log(radius, out=radius)
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    radius *= shape
    angle = u[:, :, 1] * np.float32(2.0 * np.pi)
    spectrum = np.empty(radius.shape, dtype=np.complex64)
    np.multiply(radius, np.cos(angle), out=spectrum.real)
    np.multiply(radius, np.sin(angle), out=spectrum.imag)
    return spectrum


def _n_fft(length: int) -> int:
    return 1 << int(np.ceil(np.log2(length)))  # 3001 is prime: pad to a power of two.
