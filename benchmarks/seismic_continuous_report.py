"""Markdown tables (for the docs) from a benchmarks/seismic_continuous.py JSON (the tables are made
by ``benchmarks/_continuous_report.py``).

Usage::

    python benchmarks/seismic_continuous_report.py benchmarks/results/seismic_continuous_<...>.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's modules, as benchmarks.<name>
from benchmarks._continuous_report import markdown  # noqa: E402

if __name__ == "__main__":
    print(markdown(json.loads(Path(sys.argv[1]).read_text())))
