"""2D end to end on odd image sizes: U-Net, PatchGAN critic and ShapeLoss, one training step."""

import pytest
import torch
from torch import nn

from shapeloss.discriminators import build_discriminator
from shapeloss.edges import BoundaryDistanceLoss, WeightedBCELoss, make_contour_images
from shapeloss.losses import ShapeLoss
from shapeloss.nets import UNet2d
from shapeloss.training import AdversarialTrainer

torch.set_num_threads(1)


@pytest.mark.parametrize(
    "size, base",
    [((23, 37), nn.BCEWithLogitsLoss()), ((31, 17), WeightedBCELoss(5.0)), ((25, 25), BoundaryDistanceLoss(1.0))],
)
def test_one_adversarial_step_on_odd_images(size, base):
    torch.manual_seed(0)
    data = make_contour_images(2, seed=1, size=size)
    net = UNet2d(1, 2, widths=(4, 8))
    critic = build_discriminator("patch", 2, 1, dims=2, width=8, depth=2, kernel_size=3)
    scores = critic(data.targets, data.images)
    assert scores.shape[:2] == (2, 1) and scores.ndim == 4
    loss = ShapeLoss(base, critic, weight=10.0)
    trainer = AdversarialTrainer(
        net, loss, torch.optim.Adam(net.parameters(), 1e-3), torch.optim.Adam(critic.parameters(), 1e-3),
        progress=False, divergence_window=0,
    )
    before = [p.detach().clone() for p in critic.parameters()]
    metrics = trainer.step((data.images, data.targets))
    assert all(k in metrics for k in ("base", "adversarial", "discriminator"))
    assert any(not torch.equal(a, b) for a, b in zip(before, critic.parameters()))
    assert trainer.predict(data.images).shape == (2, 2) + size
