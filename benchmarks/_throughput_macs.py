"""The arithmetic of a training step, counted from the layers' shapes: what a critic must cost.

A convolution's forward pass does ``out.numel() * in_channels / groups * kernel`` multiply-
accumulates (MACs); a transposed one ``in.numel() * out_channels * kernel``; a linear layer
``out.numel() * in_features``. Its backward pass does as many again for the weights' gradient
and as many for the input's, where each is needed.

Per training step (``d_every = 1``), with ``G`` the net's forward MACs and ``C`` the critic's:
- the net: forward ``G``, backward ``2G`` less the first layer's input gradient (nothing upstream);
- the critic's update: forward on real and on fake (``2C``), backward on both to its weights,
  and to the inputs of every layer but the first (``2 * (2C - C_first)``);
- the generator's pass through the frozen critic: forward ``C``, backward to its input only
  (``C``; no weight gradients).

``1 + critic / net`` (``mac_ratio_to_bce``) is the step's arithmetic as a multiple of a BCE
step's: what the step would cost if the critic's layers ran as fast per MAC as the net's and
every other operation (normalisation, activations, pooling, the optimizer) were free. It is an
estimate, not a bound: narrow layers run slower per MAC than the net's on a CPU, wide ones faster
(the study's critic adds 7.5x the net's MACs and measures about 5x).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["forward_macs", "step_macs"]


def forward_macs(model: nn.Module, *inputs: torch.Tensor) -> tuple[int, int]:
    """``(all layers, first layer)`` MACs of one forward pass on ``inputs`` (convolutions and linear layers)."""
    counts: list[int] = []

    def hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
            counts.append(args[0].numel() * module.out_channels // module.groups * _kernel(module))
        elif isinstance(module, (nn.Conv1d, nn.Conv2d)):
            counts.append(out.numel() * module.in_channels // module.groups * _kernel(module))
        elif isinstance(module, nn.Linear):
            counts.append(out.numel() * module.in_features)

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(*inputs)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return sum(counts), (counts[0] if counts else 0)


def _kernel(module: nn.Module) -> int:
    size = 1
    for k in module.kernel_size:  # type: ignore[union-attr]
        size *= k
    return size


def step_macs(net: nn.Module, critic: nn.Module | None, channels: int, label_channels: int, length: int,
              d_every: int = 1) -> dict[str, float]:
    """MACs per sample of one training step of ``net`` (and ``critic``, updated every ``d_every`` steps).

    Returns ``net_macs_per_step``, ``critic_macs_per_step`` (averaged over ``d_every`` steps) and
    ``mac_ratio_to_bce`` (``1 + critic / net``).
    """
    x = torch.zeros(1, channels, length)
    g, g_first = forward_macs(net, x)
    net_step = g + 2 * g - g_first
    critic_step = 0.0
    if critic is not None:
        c, c_first = forward_macs(critic, torch.zeros(1, label_channels, length), x)
        update = 2 * c + 2 * (2 * c - c_first)
        critic_step = update / d_every + 2 * c
    return {"net_macs_per_step": float(net_step), "critic_macs_per_step": float(critic_step),
            "mac_ratio_to_bce": 1.0 + critic_step / net_step}
