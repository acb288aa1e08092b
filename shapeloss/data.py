"""Feeding the trainer fast without giving up exact resumes.

Batch sources in shapeloss are step-indexed callables ``batch_fn(step) ->
batch`` (see :class:`shapeloss.seismic.SyntheticBatches`): batch ``k`` depends
only on ``k``, so a resumed run sees exactly the data an uninterrupted one
would. :func:`step_loader` runs such a callable in worker processes through a
``torch.utils.data.DataLoader`` (in order, prefetched), so data generation
overlaps training. On a 2-core machine one worker is the sensible default (the
main process trains on the other core); on a GPU host, more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from ._validation import check_positive_int

__all__ = ["StepBatches", "step_loader", "default_workers"]


class StepBatches(Dataset):
    """A map-style dataset whose item ``i`` is ``batch_fn(start + i)`` (a whole batch)."""

    def __init__(self, batch_fn: Callable[[int], Any], start: int = 0, stop: int = 2**31 - 1) -> None:
        if not callable(batch_fn):
            raise TypeError(f"batch_fn: expected a callable step -> batch, got {type(batch_fn).__name__}")
        start = check_positive_int(start, "start", minimum=0)
        stop = check_positive_int(stop, "stop", minimum=start + 1)
        self.batch_fn, self.start, self.stop = batch_fn, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: int) -> Any:
        return self.batch_fn(self.start + index)


def default_workers() -> int:
    """Half the CPUs this process may use, at least 1 (1 on a 2-core machine)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, cpus // 2)


def _single_thread(_: int) -> None:
    # each worker generates on one core; torch's own threads would fight the trainer
    torch.set_num_threads(1)


def step_loader(
    batch_fn: Callable[[int], Any],
    start: int = 0,
    stop: int = 2**31 - 1,
    workers: int | None = None,
    prefetch_factor: int = 4,
    pin_memory: bool = False,
) -> Iterator[Any]:
    """Iterate ``batch_fn(start), batch_fn(start + 1), ...`` prefetched by worker processes.

    Args:
        batch_fn: a picklable step-indexed batch source.
        start: the first step (a resumed trainer's ``step_count``).
        stop: one past the last step.
        workers: worker processes (``None``: :func:`default_workers`; 0: in the
            calling process, no prefetch).
        prefetch_factor: batches each worker prepares ahead.
        pin_memory: pin batches for faster host-to-GPU copies.

    Returns:
        An iterator over batches, in step order.

    Example:
        >>> loader = step_loader(lambda k: (torch.full((2, 1, 4), float(k)),), workers=0, stop=3)
        >>> [float(b[0][0, 0, 0]) for b in loader]
        [0.0, 1.0, 2.0]
    """
    workers = default_workers() if workers is None else check_positive_int(workers, "workers", minimum=0)
    options: dict[str, Any] = {}
    if workers > 0:
        options = {"prefetch_factor": check_positive_int(prefetch_factor, "prefetch_factor"),
                   "persistent_workers": False, "worker_init_fn": _single_thread}
    loader = DataLoader(
        StepBatches(batch_fn, start, stop), batch_size=None, shuffle=False, num_workers=workers,
        pin_memory=pin_memory, **options,
    )
    return iter(loader)
