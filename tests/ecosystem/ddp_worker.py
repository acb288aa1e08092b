"""Run by tests/ecosystem/test_lightning.py in a fresh process: Lightning's "ddp" strategy
re-executes this script for rank 1 (it would re-run the whole pytest session otherwise).

Usage: python ddp_worker.py OUT_DIR
Writes OUT_DIR/rank{0,1}.pt (generator and critic weights after training) and OUT_DIR/last.ckpt.
"""

from __future__ import annotations

import os
import sys
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import lightning as L  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from shapeloss import ShapeLoss  # noqa: E402
from shapeloss.discriminators import GlobalCritic  # noqa: E402
from shapeloss.lightning import ShapeLossModule  # noqa: E402
from shapeloss.nets import UNet1d  # noqa: E402


def main(out: str) -> None:
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    L.seed_everything(0, verbose=False)
    x = torch.randn(32, 1, 64)
    y = torch.sigmoid(4 * x)
    critic = GlobalCritic(1, 1, width=8, depth=2, norm="none")
    loss = ShapeLoss(torch.nn.BCEWithLogitsLoss(), critic, weight=10.0)
    module = ShapeLossModule(
        # group norm: no running statistics, which DDP leaves per rank between broadcasts
        UNet1d(1, 1, widths=(4, 8), norm="group"), loss, lr=1e-2, d_lr=1e-2,
        g_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.9),
        d_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1, gamma=0.8),
    )
    initial = {k: v.detach().clone() for k, v in module.state_dict().items()}
    seen: list[float] = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            seen.append(float(batch[0].sum()))

    trainer = L.Trainer(
        callbacks=[Record()], accelerator="cpu", strategy="ddp", devices=2, max_steps=8, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        default_root_dir=out,
    )
    # shuffle=False: Lightning's DistributedSampler still gives each rank different batches
    trainer.fit(module, DataLoader(TensorDataset(x, y), batch_size=4, shuffle=False))
    state = {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}
    torch.save({"state": state, "initial": initial, "seen": seen, "batches_seen": module.batches_seen, "global_step": trainer.global_step,
                "world_size": trainer.world_size}, os.path.join(out, f"rank{trainer.global_rank}.pt"))
    trainer.save_checkpoint(os.path.join(out, "last.ckpt"))


if __name__ == "__main__":
    main(sys.argv[1])
