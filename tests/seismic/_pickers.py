"""Stand-in pickers for the continuous-picking tests (imported by path: tests are not a package)."""

from __future__ import annotations

import torch
from torch import nn


class FixedPicker(nn.Module):
    """A deterministic stand-in picker: a seeded convolution of the rectified waveforms."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(7)
        self.conv = nn.Conv1d(3, 3, 25, padding=12, dtype=torch.float64)
        with torch.no_grad():
            self.conv.weight.copy_(torch.randn(3, 3, 25, generator=g, dtype=torch.float64))
            self.conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.abs())
