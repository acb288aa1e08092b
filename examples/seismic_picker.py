#!/usr/bin/env python
"""Train a PhaseNet picker with ShapeLoss for a few minutes, then pick a continuous record.

1. Train PhaseNet (logits for P, S and noise) on synthetic 30 s windows with BCE wrapped in
   ShapeLoss (the default compact critic, lambda 4000), from scratch, on the CPU.
2. Build a continuous multi-minute synthetic 3-component record with known P and S picks.
3. Slide the picker over it (3001-sample windows, 1500 samples of overlap, predictions of
   overlapping windows averaged) with :func:`shapeloss.seismic.annotate.annotate`, and print
   every pick with its time, its probability and the nearest known pick.

Usage::

    python examples/seismic_picker.py                       # 600 steps, with a progress bar on a terminal
    python examples/seismic_picker.py --steps 2000 --device cuda
    python examples/seismic_picker.py --checkpoint ~/.cache/shapeloss/seismic_s_phase/<run>/seed0_branch/shapeloss.pt

A checkpoint written by ``benchmarks/seismic_s_phase.py`` (or any
:class:`~shapeloss.training.AdversarialTrainer` checkpoint of a PhaseNet) skips the training.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from shapeloss import ShapeLoss, label_prior
from shapeloss.checkpoint import load_checkpoint
from shapeloss.discriminators import build_discriminator
from shapeloss.runs import Progress, add_run_arguments, apply_threads
from shapeloss.seed import seed_everything
from shapeloss.seismic import PhaseNet, SyntheticBatches, synthetic_record, synthetic_windows
from shapeloss.seismic.annotate import annotate
from shapeloss.training import AdversarialTrainer


def train(steps: int, batch_size: int, device: str, seed: int, progress: bool | None = None) -> PhaseNet:
    seed_everything(seed)
    # Start the output at the label prior (about 1.7 % P, 1.7 % S): see docs/seismic.md, "The seed-1 failure".
    model = PhaseNet(output_prior=label_prior(torch.from_numpy(synthetic_windows(64, seed=seed + 10**6).labels)))
    critic = build_discriminator("compact", label_channels=3, condition_channels=3, length=3001)
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=4000.0)
    trainer = AdversarialTrainer(
        model, loss,
        torch.optim.Adam(model.parameters(), lr=1e-3),
        torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.999)),
        device=device, progress=False,
    )
    data = SyntheticBatches(batch_size, seed=seed)  # batch k depends only on (seed, k)
    with Progress(steps, desc="training PhaseNet", enabled=progress) as bar:  # one line at the end off a terminal
        trainer.callbacks.append(lambda t, m: bar.update(t.step_count, {"BCE": m["base"]} if "base" in m else None))
        trainer.fit(data, steps)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="training steps (ignored with --checkpoint)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--checkpoint", help="a trainer checkpoint of a PhaseNet to use instead of training")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the continuous record")
    parser.add_argument("--events", type=int, default=8)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0)
    add_run_arguments(parser, out=False)
    args = parser.parse_args()
    apply_threads(args.threads)

    if args.checkpoint:
        model = PhaseNet()
        model.load_state_dict(load_checkpoint(args.checkpoint)["model"])
        model.to(args.device)
        print(f"loaded {args.checkpoint}")
    else:
        model = train(args.steps, args.batch_size, args.device, args.seed, args.progress)

    record = synthetic_record(duration_s=60.0 * args.minutes, n_events=args.events, seed=args.seed + 1)
    started = time.perf_counter()
    result = annotate(record.waveforms, model, sampling_rate=record.sampling_rate, overlap=1500,
                      threshold=args.threshold, device=args.device)
    elapsed = time.perf_counter() - started
    n = record.waveforms.shape[1]
    print(f"\nannotated {n / record.sampling_rate / 60:.1f} min of 3-component 100 Hz data in {elapsed:.2f} s")

    known = {"P": record.p_picks, "S": record.s_picks}
    for phase in ("P", "S"):
        print(f"\n{phase} picks (threshold {args.threshold}):  time [s]   prob   nearest known pick [s]   error [samples]")
        picks = np.array([p.sample for p in result.picks_of(phase)], dtype=float)
        for pick in result.picks_of(phase):
            nearest = known[phase][np.argmin(np.abs(known[phase] - pick.sample))]
            print(f"    {pick.sample / 100.0:10.2f}   {pick.probability:.2f}   {nearest / 100.0:10.2f}   {pick.sample - nearest:+8.0f}")
        found = sum(bool(picks.size) and np.abs(picks - k).min() <= 50 for k in known[phase])
        false = sum(np.abs(known[phase] - p).min() > 50 for p in picks)
        print(f"  {found} of {len(known[phase])} known {phase} picks found within 0.5 s; {false} other picks")


if __name__ == "__main__":
    main()
