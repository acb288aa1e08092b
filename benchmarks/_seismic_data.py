"""The seismic benchmark's data: training batches, dev and evaluation windows, for synthetic data,
a folder of PhaseNet npz files or a SeisBench dataset (with optional analyst-like S-pick jitter)."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from shapeloss.seismic import (
    AnalystSPicks,
    NpzBatches,
    SyntheticBatches,
    SyntheticConfig,
    gaussian_labels,
    jitter_s_picks,
    load_phasenet_folder,
    random_crops,
    split_by_trace,
    synthetic_windows,
)


@dataclasses.dataclass
class EvalSet:
    """Held-out windows: inputs (N, 3, L), labels (N, 3, L), the unit (window or trace) of each
    window for the bootstrap, optional boolean subsets (e.g. emergent S), and labels at the true
    picks where they differ from the training-style ones (synthetic onsets, catalogue picks)."""

    inputs: np.ndarray
    labels: np.ndarray
    units: np.ndarray
    subsets: dict[str, np.ndarray]
    truth: np.ndarray | None = None


def make_data(args: argparse.Namespace, seed: int):
    """Training batches ``step -> (inputs, labels)``, the dev set and the evaluation set."""
    if args.data_kind == "synthetic":
        config = SyntheticConfig(**args.synthetic)
        train = SyntheticBatches(args.batch_size, seed=seed, config=config)

        def held_out(n: int, stream: int) -> EvalSet:
            w = synthetic_windows(n, np.random.default_rng([10**6 + stream, seed]), config)
            return EvalSet(w.waveforms, w.labels, np.arange(n),
                           {"emergent_S": ~w.s_impulsive, "impulsive_S": w.s_impulsive},
                           gaussian_labels(w.p_onset, w.s_onset, config.length))

        return train, held_out(args.dev_windows, 1), held_out(args.eval_windows, 2)

    membership = None
    if args.data_kind == "seisbench":
        from shapeloss.seismic.seisbench_adapter import load_seisbench_splits

        given = load_seisbench_splits(args.data_path)  # the dataset's own split column, where it has one
        traces = given["train"] + given["dev"] + given["test"]
        membership = {t.name: k for k, group in given.items() for t in group}
    else:
        traces = load_phasenet_folder(args.data_path)
    emergent_names: set[str] = set()
    sampler = None
    if args.label_jitter:
        # Evaluation: one perturbed pick per trace, the same for every seed (the dataset's analyst).
        originals = {t.name: t for t in traces}
        traces, emergent = jitter_s_picks(traces, seed=0)
        emergent_names = {t.name for t, e in zip(traces, emergent) if e}
    splits = split_by_trace(traces) if membership is None else {
        k: [t for t in traces if membership[t.name] == k] for k in ("train", "dev", "test")}
    if args.label_jitter and args.label_jitter_per_window:
        # Training: a fresh pick for every window of an emergent trace (analysts who disagree).
        train_traces = [originals[t.name] for t in splits["train"]]
        sampler = AnalystSPicks(train_traces, np.array([t.name in emergent_names for t in train_traces]))
        train = NpzBatches(train_traces, args.batch_size, seed=seed, s_pick_sampler=sampler)
    else:
        train = NpzBatches(splits["train"], args.batch_size, seed=seed)

    def crops(group: list, stream: int) -> EvalSet:
        rng = np.random.default_rng([10**6 + stream, seed])
        idx = np.repeat(np.arange(len(group)), args.crops_per_trace)
        x, y, starts = random_crops(group, idx, rng)
        subsets = {"single_component": np.array([group[i].components == 1 for i in idx])}
        truth = None
        if args.label_jitter:
            subsets["emergent_S"] = np.array([group[i].name in emergent_names for i in idx])
            subsets["impulsive_S"] = ~subsets["emergent_S"]
            # the catalogue's own picks in the same windows
            truth = gaussian_labels(np.array([group[i].itp for i in idx]) - starts,
                                    np.array([originals[group[i].name].its for i in idx]) - starts, x.shape[-1])
        return EvalSet(x, y, idx, subsets, truth)

    return train, crops(splits["dev"], 1), crops(splits["test"], 2)
