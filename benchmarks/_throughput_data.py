"""The throughput benchmark's data and picking measurements: each data source against the BCE-only
training it feeds (seismic, ECG and edges), and continuous picking against SeisBench and the bare
forward pass."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import torch

from shapeloss import seed_everything, step_loader
from shapeloss.seismic import PhaseNet, SyntheticBatches

ROOT = Path(__file__).resolve().parents[1]


def data_throughput(length: int, batch_size: int, repeats: int) -> dict:
    from shapeloss.seismic import synthetic_windows

    out = {}
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    synthetic_windows(batch_size, rng)
    t0 = time.perf_counter()
    for _ in range(repeats):
        synthetic_windows(batch_size, rng)
    out["synthetic_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
    # What the training loop is fed: step_loader's worker processes (one core each), in order.
    for workers in (1, 2):
        warm = 2 * workers  # the first batches carry the workers' start-up
        loader = step_loader(SyntheticBatches(batch_size, seed=0), 0, warm + repeats, workers=workers)
        for _ in range(warm):
            next(loader)
        t0 = time.perf_counter()
        for _ in range(repeats):
            next(loader)
        out[f"synthetic_loader_{workers}_workers_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
        del loader
    try:
        from shapeloss.seismic import DEFAULT_NCEDC_PATH, NpzBatches, load_phasenet_folder

        folder = ROOT / DEFAULT_NCEDC_PATH
        traces = load_phasenet_folder(folder)
        batches = NpzBatches(traces, batch_size)
        batches(0)
        t0 = time.perf_counter()
        for i in range(repeats):
            batches(i)
        out["ncedc_windows_per_second"] = repeats * batch_size / (time.perf_counter() - t0)
    except Exception as exc:  # the shared data folder is optional
        out["ncedc_windows_per_second"] = None
        out["ncedc_note"] = f"not measured: {type(exc).__name__}: {exc}"[:200]
    return out


def _bce_windows_per_second(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int) -> float:
    """Windows per second of plain BCE training steps (Adam), median of ``steps`` after one warm-up."""
    optimizer, loss = torch.optim.Adam(net.parameters(), lr=1e-3), torch.nn.BCEWithLogitsLoss()
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss(net(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - t0)
    return x.shape[0] / statistics.median(times[1:])


def other_domains_throughput(batch_size: int, threads: int, repeats: int, small: bool = False) -> dict:
    """The ECG and edge benchmarks' data sources (one core) against their nets' BCE training.

    Nets and sizes are those of ``benchmarks/ecg_delineation.py`` and
    ``benchmarks/synthetic_edges.py`` at their defaults (``small``: tiny sizes for the smoke run).
    """
    from shapeloss.ecg import make_synthetic_ecg
    from shapeloss.ecg.dataset import build_lead_set, sample_windows
    from shapeloss.edges import make_contour_images, make_onset_burst
    from shapeloss.nets import UNet1d, UNet2d

    length, image, window, records = (128, 24, 256, 2) if small else (512, 48, 1024, 20)
    leads = build_lead_set(make_synthetic_ecg(records, seed=0))
    rng = np.random.default_rng(0)
    sources = {
        "edges_1d": (lambda k: make_onset_burst(batch_size, seed=k, length=length)[:2],
                     lambda: UNet1d(1, 1, widths=(8, 16, 32, 64), kernel_size=7)),
        "edges_2d": (lambda k: make_contour_images(batch_size, seed=k, size=(image, image))[:2],
                     lambda: UNet2d(1, 2, widths=(8, 16, 32))),
        "ecg_crops": (lambda k: sample_windows(leads, batch_size, window, rng),
                      lambda: UNet1d(1, 6, widths=(8, 16, 32, 64), kernel_size=9)),
    }
    out = {}
    for name, (make, build) in sources.items():
        torch.set_num_threads(1)
        x, y = make(0)
        t0 = time.perf_counter()
        for k in range(repeats):
            make(k + 1)
        made = repeats * batch_size / (time.perf_counter() - t0)
        torch.set_num_threads(threads)
        seed_everything(0)
        trained = _bce_windows_per_second(build(), x.float(), y.float(), steps=2 if small else 4)
        out[name] = {"windows_per_second": made, "training_windows_per_second_bce": trained,
                     "over_training": made / trained, "window_shape": list(x.shape[1:])}
    return out


def _seisbench_annotator(data: np.ndarray, overlap: int):
    """SeisBench's PhaseNet ``annotate`` on the same samples (random weights, no download), or a note."""
    try:
        import obspy
        import seisbench.models as sbm
    except ImportError as exc:
        return None, f"not measured (SeisBench or ObsPy missing): {exc}"
    seed_everything(0)
    model = sbm.PhaseNet().eval()
    stream = obspy.Stream([
        obspy.Trace(data[i].astype(np.float64), header={"network": "XX", "station": "SYN", "channel": f"HH{c}",
                                                         "sampling_rate": 100.0})
        for i, c in enumerate("ENZ")
    ])
    model.annotate(stream.slice(stream[0].stats.starttime, stream[0].stats.starttime + 300), overlap=overlap)
    return (lambda: model.annotate(stream, overlap=overlap)), __import__("seisbench").__version__


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def picking_throughput(hours: float, overlap: int, threads: int, repeats: int = 5) -> dict | None:
    """Continuous picking of ``hours`` of 3-component 100 Hz data: ours, SeisBench's and the bare
    forward pass over the same windows, timed alternately ``repeats`` times (medians)."""
    try:
        from shapeloss.seismic.annotate import annotate  # written by the ecosystem work
    except ImportError as exc:
        return {"note": f"not measured: {exc}"}
    torch.set_num_threads(threads)
    seed_everything(0)
    model = PhaseNet().eval()
    n = int(hours * 3600 * 100)
    data = np.random.default_rng(0).standard_normal((3, n)).astype(np.float32)
    annotate(data[:, :30_000], model, sampling_rate=100.0, overlap=overlap)
    step = 3001 - overlap
    windows = max(1, (n - 3001) // step + 1)
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((windows, 3, 3001)).astype(np.float32))

    def bare() -> None:
        with torch.no_grad():
            for i in range(0, windows, 256):
                model(x[i : i + 256])

    bare()
    theirs, version = _seisbench_annotator(data, overlap)
    ours_t, bare_t, theirs_t = [], [], []
    for _ in range(repeats):
        ours_t.append(_timed(lambda: annotate(data, model, sampling_rate=100.0, overlap=overlap)))
        bare_t.append(_timed(bare))
        if theirs is not None:
            theirs_t.append(_timed(theirs))
    wall, bare_wall = statistics.median(ours_t), statistics.median(bare_t)
    out = {
        "hours": hours, "overlap": overlap, "repeats": repeats, "windows": windows,
        "wall_seconds": wall, "wall_seconds_all": ours_t,
        "times_real_time": hours * 3600 / wall, "bare_forward_seconds": bare_wall,
        "bare_forward_seconds_all": bare_t, "share_of_bare_forward": bare_wall / wall,
    }
    if theirs is None:
        out["seisbench"] = {"note": version}
    else:
        sb = statistics.median(theirs_t)
        out["seisbench"] = {"wall_seconds": sb, "wall_seconds_all": theirs_t, "times_real_time": hours * 3600 / sb,
                            "ours_over_seisbench_throughput": sb / wall, "seisbench": version}
    return out


def data_and_picking(args, rows: list[dict]) -> tuple[dict, dict | None]:
    """Data sources against the BCE-only training they feed, and continuous picking."""
    data = data_throughput(args.length, max(args.batch_sizes), repeats=2 if args.smoke else 10)
    consumption = max((r["windows_per_second"] for r in rows if r.get("preset") == "bce_only"), default=None)
    if consumption:
        data["training_windows_per_second_bce"] = consumption
        data["synthetic_over_training"] = data["synthetic_windows_per_second"] / consumption
        for workers in (1, 2):
            key = f"synthetic_loader_{workers}_workers_windows_per_second"
            data[f"synthetic_loader_{workers}_workers_over_training"] = data[key] / consumption
        if data.get("ncedc_windows_per_second"):
            data["ncedc_over_training"] = data["ncedc_windows_per_second"] / consumption
    data["other_domains"] = other_domains_throughput(max(args.batch_sizes), args.threads, repeats=2 if args.smoke else 10,
                                                     small=args.smoke)
    picking = picking_throughput(args.pick_hours, args.overlap, args.threads, repeats=2 if args.smoke else 5)

    return data, picking
