#!/usr/bin/env python
"""The markdown tables of docs/seismic.md, rendered from result JSONs of ``seismic_s_phase.py``.

Usage::

    python benchmarks/seismic_table.py benchmarks/results/seismic_s_phase_synthetic_quick_3seeds.json

One row per arm and run, the ratios with their 95 % bootstrap intervals on the ShapeLoss row,
then the per-schedule summary over seeds (mean, min-max) and the synthetic targets. The tables
are made by ``benchmarks/_seismic_summary.py``; the pages' blocks built on them
(``benchmarks/_docs_seismic.py``) are kept by ``benchmarks/docs_tables.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's modules, as benchmarks.<name>
from benchmarks._seismic_summary import summary, table  # noqa: E402


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="result JSONs written by benchmarks/seismic_s_phase.py")
    for path in parser.parse_args(argv).paths:
        if not Path(path).is_file():
            parser.error(f"paths: expected an existing result JSON, got {path!r}")
        report = json.loads(Path(path).read_text())
        print(f"\n{path}\n")
        print(table(report))
        print()
        print("\n".join(summary(report)))


if __name__ == "__main__":
    main(sys.argv[1:])
