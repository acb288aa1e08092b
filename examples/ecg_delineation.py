"""Delineate P, QRS and T waves on LUDB (or a synthetic ECG) with ShapeLoss.

Reads LUDB from ../shared/data/ludb (or $SHAPELOSS_LUDB) with shapeloss's own
WFDB reader, splits it by record, trains a small 1D U-Net on windows cropped
inside each lead's annotated span, and prints per-boundary sensitivity, PPV,
F1 at 150 ms and the timing error on the test leads.

    python examples/ecg_delineation.py               # a few minutes on 1 CPU core
    python examples/ecg_delineation.py --steps 2000
"""

import argparse

import numpy as np
import torch
from torch import nn

from shapeloss import ShapeLoss
from shapeloss.discriminators import build_discriminator
from shapeloss.ecg import (
    BOUNDARIES,
    default_ludb_root,
    delineation_metrics,
    load_ludb,
    make_synthetic_ecg,
    pick_boundaries,
    record_ids,
    split_records,
)
from shapeloss.ecg.dataset import build_lead_set, sample_windows
from shapeloss.nets import UNet1d
from shapeloss.runs import add_run_arguments, apply_threads
from shapeloss.training import AdversarialTrainer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--leads", nargs="+", default=["ii"], help="leads to train and test on")
    add_run_arguments(parser, out=False)
    args = parser.parse_args()
    apply_threads(args.threads)
    torch.manual_seed(0)

    root = default_ludb_root()
    if root is not None:
        split = split_records(record_ids(root), seed=0)
        train = build_lead_set(load_ludb(root, split["train"]), leads=args.leads)
        test = build_lead_set(load_ludb(root, split["test"]), leads=args.leads)
    else:
        print("LUDB not found (../shared/data/ludb or $SHAPELOSS_LUDB): using the synthetic ECG generator.")
        train = build_lead_set(make_synthetic_ecg(100, seed=1))
        test = build_lead_set(make_synthetic_ecg(30, seed=2))

    model = UNet1d(in_channels=1, out_channels=len(BOUNDARIES), widths=(8, 16, 32, 64), kernel_size=9)
    critic = build_discriminator("light", label_channels=len(BOUNDARIES), condition_channels=1, dims=1)
    loss = ShapeLoss(nn.BCEWithLogitsLoss(), critic, weight=100.0)
    trainer = AdversarialTrainer(
        model,
        loss,
        g_optimizer=torch.optim.Adam(model.parameters(), lr=1e-3),
        d_optimizer=torch.optim.Adam(critic.parameters(), lr=2e-4, betas=(0.5, 0.999)),
        progress=args.progress,
    )
    trainer.fit(lambda step: sample_windows(train, 16, 1024, np.random.default_rng(step)), steps=args.steps)

    probs = trainer.predict(torch.from_numpy(test.signals[:, None, :])).numpy()
    # Unmatched picks outside each lead's annotated span (its unannotated first
    # and last beats) are not counted as false positives.
    picks = [pick_boundaries(p, threshold=0.5, distance=100) for p in probs]
    metrics = delineation_metrics(
        picks, test.boundaries, sampling_rate=test.sampling_rate, tolerance_ms=150, spans=test.spans
    )
    for name, m in metrics.items():
        print(
            f"{name:8s} Se {m['sensitivity']:.3f}  PPV {m['ppv']:.3f}  F1 {m['f1']:.3f}  "
            f"error {m['error_mean_ms']:+.1f} ± {m['error_std_ms']:.1f} ms"
        )


if __name__ == "__main__":
    main()
