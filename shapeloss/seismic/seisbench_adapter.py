"""SeisBench interop: its models as generators, our pickers as its models, its datasets as data.

Three bridges, so seismologists keep their SeisBench pipelines:

* **A SeisBench model trained by ShapeLoss.** ``seisbench.models.PhaseNet.forward`` returns a
  softmax over its ``labels`` (``"NPS"``: noise, P, S) unless called with ``logits=True``.
  Wrap it in :class:`SeisBenchLogits` (the net then returns logits), give
  :class:`~shapeloss.ShapeLoss` ``activation="softmax"`` (so the critic sees what SeisBench's
  forward returns) and a soft-label cross-entropy base loss (:func:`soft_cross_entropy`, what
  SeisBench trains PhaseNet with), and order labels and inputs as the model expects
  (:func:`reorder_channels`; SeisBench's PhaseNet reads ``"ZNE"``, ours ``"ENZ"``).
  :func:`seisbench_shape_loss` does all of it.
* **Our picker as a SeisBench model.** :class:`ShapeLossPicker` is a
  ``seisbench.models.WaveformModel`` around any net returning logits, so ``annotate(stream)``
  and ``classify(stream)`` work on an ObsPy ``Stream``, with SeisBench's windowing, stacking,
  resampling and pick extraction.
* **SeisBench datasets on disk as training data.** :func:`load_seisbench_traces` reads a
  dataset folder (``metadata.csv`` + ``waveforms.hdf5``, as SeisBench writes and caches them)
  into :class:`~shapeloss.seismic.npz.PhaseNetTrace` objects, which
  :class:`~shapeloss.seismic.npz.NpzBatches` and :func:`~shapeloss.seismic.npz.random_crops`
  turn into training batches and evaluation windows. Nothing is downloaded:
  ``"seisbench:<name>"`` means the folder of that name in SeisBench's cache.

Needs the ``seismic`` extra: ``pip install 'shapeloss[seismic]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

try:
    import seisbench
    import seisbench.data as sbd
    import seisbench.models as sbm
    import seisbench.util as sbu
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("shapeloss.seismic.seisbench_adapter needs SeisBench: pip install 'shapeloss[seismic]'") from exc

from ..errors import DataFormatError, InvalidArgumentError, ShapeMismatchError
from ..activations import resolve_activation
from ..losses import REFERENCE_WEIGHT, ShapeLoss
from .npz import PhaseNetTrace

__all__ = [
    "SeisBenchLogits",
    "soft_cross_entropy",
    "reorder_channels",
    "seisbench_shape_loss",
    "ShapeLossPicker",
    "resolve_seisbench_path",
    "load_seisbench_traces",
    "load_seisbench_splits",
]

#: Channel order of shapeloss's PhaseNet outputs and labels (P, S, noise) in SeisBench's letters.
SHAPELOSS_LABELS = "PSN"


# --------------------------------------------------------------------------- SeisBench nets under ShapeLoss


class SeisBenchLogits(nn.Module):
    """A SeisBench model whose forward returns logits (``model(x, logits=True)``).

    SeisBench's ``PhaseNet`` applies a softmax over its output channels unless asked for
    logits; :class:`~shapeloss.ShapeLoss` and point-wise losses need the logits.

    Shapes:
        input ``(B, C, L)`` in ``model.component_order``; output ``(B, len(model.labels), L)``
        logits in ``model.labels`` order.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a SeisBench nn.Module, got {type(model).__name__}")
        self.model = model

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x, logits=True)


def soft_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy of soft labels over channels: ``-(target * log_softmax(logits, 1)).sum(1).mean()``.

    What SeisBench trains PhaseNet with (labels that sum to one over noise, P and S).

    Shapes:
        ``logits`` and ``target`` ``(B, C, *)``; ``target`` probabilities over dim 1.
    """
    return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


def reorder_channels(x: Tensor | np.ndarray, source: str | Sequence[str], target: str | Sequence[str]) -> Any:
    """Reorder dim 1 of ``(B, C, *)`` (or dim 0 of ``(C, *)`` with ``ndim == 2``) from ``source`` to ``target`` names.

    Example:
        >>> y = torch.arange(3.0).reshape(1, 3, 1)      # P, S, noise
        >>> reorder_channels(y, "PSN", "NPS").flatten().tolist()
        [2.0, 0.0, 1.0]
    """
    source, target = list(source), list(target)
    if sorted(source) != sorted(target) or len(set(source)) != len(source):
        raise InvalidArgumentError(f"target: expected a permutation of {source}, got {target}")
    axis = 0 if x.ndim == 2 else 1
    if x.shape[axis] != len(source):
        raise ShapeMismatchError(f"x: expected {len(source)} channels ({''.join(source)}) on dim {axis}, got shape {tuple(x.shape)}")
    index = [source.index(name) for name in target]
    if isinstance(x, Tensor):
        return x.index_select(axis, torch.tensor(index, device=x.device))
    return np.take(x, index, axis=axis)


def seisbench_shape_loss(model: nn.Module, discriminator: nn.Module | None, weight: float = REFERENCE_WEIGHT, **kwargs: Any) -> tuple[nn.Module, ShapeLoss]:
    """A SeisBench model as a ShapeLoss generator: ``(SeisBenchLogits(model), ShapeLoss(...))``.

    The loss uses :func:`soft_cross_entropy` and ``activation="softmax"``: the critic sees the
    same probabilities as SeisBench's own ``forward``. Labels must be in ``model.labels`` order
    (:func:`reorder_channels` from our ``"PSN"``) and inputs in ``model.component_order``.

    Args:
        model: a SeisBench ``WaveformModel`` whose forward takes ``logits=True`` (PhaseNet).
        discriminator: the critic (``None`` with ``adversarial=False`` in ``kwargs``).
        weight: lambda of :class:`~shapeloss.ShapeLoss`.
        **kwargs: passed to :class:`~shapeloss.ShapeLoss`.
    """
    kwargs.setdefault("activation", "softmax")
    return SeisBenchLogits(model), ShapeLoss(soft_cross_entropy, discriminator, weight=weight, **kwargs)


# --------------------------------------------------------------------------- our picker as a SeisBench model


class ShapeLossPicker(sbm.WaveformModel):
    """A shapeloss-trained picker as a SeisBench ``WaveformModel``.

    ``picker.annotate(stream)`` returns an ObsPy ``Stream`` of probability traces
    (channels ``ShapeLossPicker_P``, ``_S``, ``_N``) and ``picker.classify(stream)`` the picks,
    with SeisBench's grouping, resampling, windowing and stacking.

    Args:
        net: the network, ``(B, len(component_order), in_samples) -> (B, len(labels), in_samples)``
            logits, e.g. :class:`~shapeloss.seismic.PhaseNet`.
        labels: SeisBench letters of the net's output channels (ours: ``"PSN"``, noise last).
        component_order: the net's input components (ours: ``"ENZ"``).
        activation: ``"sigmoid"`` (ours), ``"softmax"`` or a callable; what turns logits into
            probabilities.
        in_samples: window length.
        sampling_rate: the net's sampling rate (Hz).
        norm: per-window normalisation: ``"peak"`` per component (ours, as in
            :func:`~shapeloss.seismic.labels.normalize_windows`) or ``"std"``.
        pad_short: annotate a record shorter than one window as one window padded with the
            record's mean (a warning says so) and trim the output back; SeisBench alone returns
            nothing for such records.

    Annotate arguments (``picker.annotate(stream, overlap=..., P_threshold=...)``) default to
    SeisBench PhaseNet's: overlap 1500 samples, blinding (0, 0), thresholds 0.3 (set per phase
    with ``P_threshold=`` / ``S_threshold=``).
    """

    _annotate_args = sbm.WaveformModel._annotate_args.copy()
    _annotate_args["*_threshold"] = ("Detection threshold for the provided phase", 0.3)
    _annotate_args["blinding"] = ("Number of prediction samples to discard on each side of each window prediction", (0, 0))
    _annotate_args["overlap"] = (_annotate_args["overlap"][0], 1500)

    def __init__(
        self,
        net: nn.Module,
        labels: str = SHAPELOSS_LABELS,
        component_order: str = "ENZ",
        activation: str | Callable[[Tensor], Tensor] = "sigmoid",
        in_samples: int = 3001,
        sampling_rate: float = 100.0,
        norm: str = "peak",
        pad_short: bool = True,
    ) -> None:
        if not isinstance(net, nn.Module):
            raise TypeError(f"net: expected an nn.Module returning logits, got {type(net).__name__}")
        if norm not in ("peak", "std"):
            raise InvalidArgumentError(f"norm: expected one of ['peak', 'std'], got {norm!r}")
        super().__init__(
            citation="shapeloss (arXiv:2511.06731) picker; PhaseNet: Zhu & Beroza (2019), GJI 216:261-273",
            in_samples=in_samples, output_type="array", pred_sample=(0, in_samples), labels=labels,
            sampling_rate=sampling_rate, component_order=component_order, allow_padding=True,
        )
        self.net = net
        self.norm = norm
        self.pad_short = bool(pad_short)
        self._activation = resolve_activation(activation)

    async def annotate_async(self, stream: Any, copy: bool = True, **kwargs: Any) -> Any:
        # Records shorter than one window (ObsPy's 3000-sample example against a 3001-sample
        # window) give SeisBench an empty output: pad them with their mean to one window,
        # annotate, and trim the probabilities back to the record's end.
        short_ends: dict[str, Any] = {}
        if self.pad_short:
            stream = stream.copy() if copy else stream
            copy = False
            need = (self.in_samples - 1) / self.sampling_rate
            for tr in stream:
                if tr.stats.npts and (tr.stats.endtime - tr.stats.starttime) < need + 0.5 / tr.stats.sampling_rate:
                    key = tr.id.rsplit(".", 1)[0]
                    short_ends[key] = max(short_ends.get(key, tr.stats.endtime), tr.stats.endtime)
                    fill = float(np.mean(tr.data)) if tr.stats.npts else 0.0
                    tr.trim(tr.stats.starttime, tr.stats.starttime + need + 1.0 / tr.stats.sampling_rate, pad=True, fill_value=fill)
            if short_ends:
                seisbench.logger.warning(
                    f"{', '.join(sorted(short_ends))}: shorter than the {self.in_samples}-sample window; "
                    "annotated as one window padded with the record's mean, probabilities trimmed to the record"
                )
        out = await super().annotate_async(stream, copy=copy, **kwargs)
        for tr in out:
            end = short_ends.get(tr.id.rsplit(".", 1)[0])
            if end is not None:
                tr.trim(tr.stats.starttime, end, nearest_sample=False)
        return out

    def forward(self, x: Tensor, logits: bool = False) -> Tensor:
        out = self.net(x)
        return out if logits else self._activation(out)

    def annotate_batch_pre(self, batch: Tensor, argdict: dict[str, Any]) -> Tensor:
        batch = batch - batch.mean(dim=-1, keepdim=True)
        if self.norm == "std":
            return batch / (batch.std(dim=-1, keepdim=True) + 1e-10)
        peak = batch.abs().amax(dim=-1, keepdim=True)
        return torch.where(peak > 1e-12, batch / peak.clamp_min(1e-12), torch.zeros_like(batch))

    def annotate_batch_post(self, batch: Tensor, piggyback: Any, argdict: dict[str, Any]) -> Tensor:
        batch = torch.transpose(batch, -1, -2)  # SeisBench stacks (B, L, C)
        prenan, postnan = argdict.get("blinding", self._annotate_args["blinding"][1])
        if prenan > 0:
            batch[:, :prenan] = np.nan
        if postnan > 0:
            batch[:, -postnan:] = np.nan
        return batch

    def classify_aggregate(self, annotations: Any, argdict: dict[str, Any]) -> Any:
        picks = sbu.PickList()
        for phase in self.labels:
            if phase == "N":
                continue
            picks += self.picks_from_annotations(
                annotations.select(channel=f"{self.__class__.__name__}_{phase}"),
                argdict.get(f"{phase}_threshold", self._annotate_args["*_threshold"][1]),
                phase,
            )
        return sbu.ClassifyOutput(self.name, picks=sbu.PickList(sorted(picks)))


# --------------------------------------------------------------------------- SeisBench datasets on disk

_P_COLUMNS = ("trace_p_arrival_sample", "trace_pg_arrival_sample", "trace_pn_arrival_sample", "trace_p1_arrival_sample")
_S_COLUMNS = ("trace_s_arrival_sample", "trace_sg_arrival_sample", "trace_sn_arrival_sample", "trace_s1_arrival_sample")


def resolve_seisbench_path(source: str | Path) -> Path:
    """The folder of a SeisBench dataset: a path, or ``"seisbench:<name>"`` in SeisBench's cache.

    Nothing is downloaded: a dataset that is not on disk is an error naming where it was looked for.
    """
    text = str(source)
    if text.startswith("seisbench:"):
        name = text.split(":", 1)[1]
        if not name:
            raise InvalidArgumentError(f"data: expected 'seisbench:<name>', got {text!r}")
        candidates = [Path(seisbench.cache_data_root) / "datasets" / name, Path(seisbench.cache_data_root) / "datasets" / name.lower()]
    else:
        candidates = [Path(text)]
    for folder in candidates:
        if folder.is_dir() and (any(folder.glob("metadata*.csv"))):
            return folder
    raise DataFormatError(
        f"data: expected a SeisBench dataset folder (metadata.csv + waveforms.hdf5) at {' or '.join(map(str, candidates))}, "
        "got none (shapeloss never downloads; fetch it with SeisBench first, e.g. seisbench.data.ETHZ())"
    )


def _first_pick(row: Any, columns: Sequence[str]) -> float:
    for column in columns:
        if column in row and row[column] == row[column]:  # not NaN
            return float(row[column])
    return float("nan")


def load_seisbench_traces(
    source: str | Path,
    split: str | None = None,
    max_traces: int | None = None,
    sampling_rate: float = 100.0,
    component_order: str = "ENZ",
) -> list[PhaseNetTrace]:
    """Traces with both a P and an S pick from a SeisBench dataset on disk.

    Args:
        source: the dataset folder, or ``"seisbench:<name>"`` (SeisBench's cache; no download).
        split: keep only this value of the metadata's ``split`` column (``"train"``,
            ``"dev"``, ``"test"``); ``None`` keeps all.
        max_traces: read at most this many traces (in metadata order).
        sampling_rate: resample waveforms (and scale the picks) to this rate.
        component_order: component order of the returned data (ours: ``"ENZ"``).

    Returns:
        :class:`~shapeloss.seismic.npz.PhaseNetTrace` objects: ``data`` ``(3, N)`` float32, picks
        ``itp``/``its`` in samples at ``sampling_rate`` (from ``trace_p_arrival_sample`` /
        ``trace_s_arrival_sample``, or the ``Pg``/``Pn``/``Sg``/``Sn`` columns when those are
        missing). Traces without a P or an S pick are left out.

    Raises:
        DataFormatError: no dataset at ``source``, no pick columns, or an unknown split.
    """
    folder = resolve_seisbench_path(source)
    dataset = sbd.WaveformDataset(folder, sampling_rate=sampling_rate, component_order=component_order,
                                  dimension_order="NCW", cache=None)
    meta = dataset.metadata
    lower = {c.lower(): c for c in meta.columns}
    p_cols = [lower[c] for c in _P_COLUMNS if c in lower]
    s_cols = [lower[c] for c in _S_COLUMNS if c in lower]
    if not p_cols or not s_cols:
        raise DataFormatError(
            f"{folder}: expected P and S pick columns such as {_P_COLUMNS[0]!r} and {_S_COLUMNS[0]!r} in the metadata, "
            f"got columns {sorted(meta.columns)[:20]}"
        )
    indices = np.arange(len(meta))
    if split is not None:
        if "split" not in meta.columns:
            raise DataFormatError(f"{folder}: expected a 'split' column to select split={split!r}, got none")
        if split not in set(meta["split"]):
            raise DataFormatError(f"{folder}: expected split {split!r} among {sorted(set(meta['split']))}, got none")
        indices = indices[(meta["split"] == split).to_numpy()]
    traces: list[PhaseNetTrace] = []
    for i in indices:
        row = meta.iloc[int(i)]
        rate = float(row.get("trace_sampling_rate_hz", sampling_rate))
        p, s = _first_pick(row, p_cols), _first_pick(row, s_cols)
        if not (np.isfinite(p) and np.isfinite(s)):
            continue
        data = np.asarray(dataset.get_waveforms(int(i)), dtype=np.float32)
        components = int((np.abs(data).max(axis=-1) > 0).sum())
        # the writer moves the user's trace name to trace_name_original (trace_name locates the bucket)
        original = row.get("trace_name_original")
        name = str(original) if isinstance(original, str) and original else str(row.get("trace_name", f"trace_{i}"))
        traces.append(PhaseNetTrace(
            name=name, data=data, itp=int(round(p * sampling_rate / rate)), its=int(round(s * sampling_rate / rate)),
            channels=component_order, components=components,
        ))
        if max_traces is not None and len(traces) >= max_traces:
            break
    return traces


def load_seisbench_splits(source: str | Path, max_traces: int | None = None, **kwargs: Any) -> dict[str, list[PhaseNetTrace]]:
    """``{"train": [...], "dev": [...], "test": [...]}`` from the dataset's own ``split`` column,
    or from :func:`~shapeloss.seismic.npz.split_by_trace` when it has none."""
    from .npz import split_by_trace

    folder = resolve_seisbench_path(source)
    metadata = next(iter(sorted(folder.glob("metadata*.csv"))))
    import pandas as pd

    columns = pd.read_csv(metadata, nrows=0).columns
    if "split" in columns:
        present = set(pd.read_csv(metadata, usecols=["split"])["split"].dropna())
        return {name: load_seisbench_traces(folder, split=name, max_traces=max_traces, **kwargs) if name in present else []
                for name in ("train", "dev", "test")}
    return split_by_trace(load_seisbench_traces(folder, max_traces=max_traces, **kwargs))
