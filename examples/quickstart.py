"""Quickstart: a toy 1D picker trained with BCE alone and with ShapeLoss.

Runs in under a minute on a CPU, no download. The toy target is a Gaussian peak
at a subtle onset followed by a dominant step.
"""

import argparse

import torch

from shapeloss import AdversarialTrainer, ShapeLoss, seed_everything
from shapeloss.discriminators import GlobalCritic
from shapeloss.runs import add_run_arguments, apply_threads


def batch(step: int, size: int = 16, length: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(step)
    onset = torch.randint(20, length - 40, (size, 1, 1), generator=g)
    t = torch.arange(length).view(1, 1, -1)
    signal = 0.3 * (t >= onset) + 1.0 * (t >= onset + 15) + 0.1 * torch.randn(size, 1, length, generator=g)
    target = torch.exp(-0.5 * ((t - onset) / 3.0) ** 2)
    return signal, target


def train(adversarial: bool, steps: int = 300, progress: bool | None = None) -> float:
    seed_everything(0)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(1, 16, 9, padding=4), torch.nn.ReLU(), torch.nn.Conv1d(16, 16, 9, padding=4),
        torch.nn.ReLU(), torch.nn.Conv1d(16, 1, 9, padding=4),
    )
    critic = GlobalCritic(1, 1, width=16, depth=3)
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=100.0, adversarial=adversarial)
    adam = lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.0, 0.999))  # noqa: E731
    trainer = AdversarialTrainer(net, loss, adam(net.parameters()), adam(critic.parameters()), progress=progress)
    trainer.fit(batch, steps=steps)
    x, y = batch(10_000, size=64)
    return float(trainer.predict(x).amax(dim=-1).median())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    add_run_arguments(parser, out=False)
    args = parser.parse_args()
    apply_threads(args.threads)
    print(f"median peak height, BCE alone:   {train(False, args.steps, args.progress):.3f}")
    print(f"median peak height, ShapeLoss:   {train(True, args.steps, args.progress):.3f}")
