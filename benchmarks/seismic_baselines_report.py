"""Markdown tables of the seismic benchmark's arms, rendered from its result JSONs (the tables are
made by ``benchmarks/_seismic_baselines.py``).

Usage::

    python benchmarks/seismic_baselines_report.py benchmarks/results/seismic_s_phase_synthetic_quick_baselines.json
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's modules, as benchmarks.<name>
from benchmarks._seismic_baselines import render  # noqa: E402

if __name__ == "__main__":
    print(render(sys.argv[1:]))
