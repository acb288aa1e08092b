"""The package's layout: facades keep every old import path, rooms stay small, the core knows no domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "shapeloss"

# Every name `from shapeloss.metrics import X` gave before metrics.py was split by job (7f54cfe),
# private helpers included (benchmarks and other modules import some of them).
METRICS_NAMES = [
    "find_peaks", "match_peaks", "label_peaks", "NearbyPeaks", "best_peak_near_labels", "effective_detections",
    "SuppressionReport", "suppression_report", "pick_metrics", "threshold_sweep", "bootstrap_ratio", "HISTOGRAM_BINS",
    "_as_float_tensor", "_probabilities", "_pair", "_unit_interval", "_non_negative_int", "_channel_names",
    "_positions", "_local_maxima", "_select_by_distance", "_peaks_2d", "_greedy_match", "_nearby", "_json_float",
    "_pick_counts", "_ratio", "_f1", "_picking_inputs", "_counts", "_safe_ratio",
]
OPERATING_POINTS_NAMES = [
    "PickCounts", "count_picks", "pr_curve", "operating_points", "threshold_transfer", "bootstrap_operating_points",
    "compare_operating_points", "bootstrap_transfer", "concat_counts", "DEFAULT_THRESHOLDS",
]


@pytest.mark.parametrize("name", METRICS_NAMES)
def test_every_old_metrics_name_is_still_importable(name):
    from shapeloss import metrics

    assert getattr(metrics, name) is not None


def test_the_metrics_facade_hands_out_the_job_modules_objects():
    from shapeloss import metrics, peaks, picking, statistics, suppression

    assert metrics.find_peaks is peaks.find_peaks and metrics.match_peaks is peaks.match_peaks
    assert metrics.suppression_report is suppression.suppression_report
    assert metrics.pick_metrics is picking.pick_metrics and metrics.bootstrap_ratio is statistics.bootstrap_ratio
    assert set(metrics.__all__) <= set(METRICS_NAMES)


def test_the_domains_use_the_one_peak_module():
    import importlib

    from shapeloss import peaks

    ecg_metrics = importlib.import_module("shapeloss.ecg.metrics")
    annotate = importlib.import_module("shapeloss.seismic.annotate")

    assert ecg_metrics.find_peaks is peaks.find_peaks and ecg_metrics.match_peaks is peaks.match_peaks
    assert annotate.find_peaks is peaks.find_peaks


@pytest.mark.parametrize("name", OPERATING_POINTS_NAMES)
def test_every_operating_points_name_is_still_importable(name):
    from shapeloss import operating_points

    assert name in operating_points.__all__ and getattr(operating_points, name) is not None


def test_importing_the_metrics_does_not_import_matplotlib():
    code = "import sys, shapeloss, shapeloss.metrics; print(any(m.startswith('matplotlib') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_suppression_report_still_plots(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np

    from shapeloss.metrics import suppression_report

    y = np.exp(-0.5 * ((np.arange(200) - 100) / 20.0) ** 2)[None, None]
    ax = suppression_report(0.5 * y, y).plot()
    assert len(ax.patches) == 20 + 1  # one bar per histogram bin, plus the shaded band
    assert ax.get_xlabel().startswith("best predicted peak within 10 samples")
