#!/usr/bin/env python
"""The numbers of docs/theory.md: the model-free simulation and the loss landscapes, with provenance.

Usage::

    python benchmarks/diagnostics_simulation.py             # writes runs/diagnostics_simulation/<timestamp>/
    python benchmarks/diagnostics_simulation.py --publish   # maintainers: refresh the committed JSON

Runs the same calls as the page's commands (``python -m shapeloss.diagnostics simulate ...`` for
spreads 0.1, 0.3 and 0.5 s, the skewed spread 0.3 s with shape 5, and ``landscape --sigma 20
--spread 30``) and writes their summaries into one JSON with the command, the commit and the
device, which ``benchmarks/docs_tables.py`` turns into the page's table and sentences.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's modules, as benchmarks.<name>
from benchmarks._provenance import provenance  # noqa: E402
from benchmarks._results import write_json  # noqa: E402

from shapeloss.runs import add_run_arguments, apply_threads, output_paths, parse_checked  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT / "benchmarks" / "results" / "diagnostics_simulation.json"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=3000, help="Adam steps per simulation (default 3000, as on the page)")
    p.add_argument("--seed", type=int, default=0)
    add_run_arguments(p, publish=str(PUBLISHED.relative_to(ROOT)))
    a = parse_checked(p, argv)
    if a.steps < 1:
        p.error(f"--steps: expected an int >= 1, got {a.steps}")
    if a.publish and a.out:
        p.error("--out: expected no path together with --publish, got both")
    a.threads = apply_threads(a.threads)
    out, _ = output_paths("diagnostics_simulation", PUBLISHED.name, out=a.out, run_dir=a.run_dir,
                          publish=a.publish, published=PUBLISHED)

    import torch

    from shapeloss.diagnostics.landscape import gaussian_label, pointwise_landscape, template_landscape
    from shapeloss.diagnostics.simulation import simulate_spreads

    torch.set_num_threads(a.threads)
    command, commit, uncommitted = provenance(__file__, argv)
    started = time.perf_counter()
    rate, label = 100.0, gaussian_label(20.0)
    common = dict(label=label, loss="bce", steps=a.steps, batch_size=64, lr=0.05, seed=a.seed, sampling_rate=rate)
    symmetric = simulate_spreads([s * rate for s in (0.1, 0.3, 0.5)], skew=0.0, **common)
    skewed = simulate_spreads([0.3 * rate], skew=5.0, **common)
    lands = [f(label, "bce", spread=s) for s in (0.0, 30.0) for f in (pointwise_landscape, template_landscape)]
    result = {
        "benchmark": "diagnostics_simulation", "command": command, "commit": commit, "uncommitted_files": uncommitted,
        "device": "cpu", "threads": a.threads, "torch": torch.__version__, "platform": platform.platform(),
        "settings": {"sigma": 20.0, "sampling_rate": rate, "steps": a.steps, "batch_size": 64, "lr": 0.05,
                     "seed": a.seed, "loss": "bce", "landscape_spread": 30.0},
        "simulation": [r.to_dict() for r in symmetric],
        "simulation_skew": [r.to_dict() for r in skewed],
        "landscapes": [land.to_dict(include_grid=False) for land in lands],
        "wall_seconds": time.perf_counter() - started,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, result, indent=1, allow_nan=False)  # never a half-written result
    for r in result["simulation"] + result["simulation_skew"]:
        print(f"spread {r['spread_seconds']:g} s skew {r['skew']:g}: point-wise {r['pointwise']['height']:.3f} "
              f"at {r['pointwise']['position']:+.1f}, closed form {r['closed_form']['height']:.3f} "
              f"at {r['closed_form']['position']:+.1f}, template {r['template']['height']:.3f} "
              f"at {r['template']['position']:+.2f}")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
