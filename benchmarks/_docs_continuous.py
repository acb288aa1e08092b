"""Generated blocks of docs/seismic.md from the continuous-picking results
(``benchmarks/seismic_continuous.py`` JSONs): per-arm threshold-free measures with
intervals, paired differences against BCE, and threshold transfer."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from benchmarks import _continuous_report as report

SYNTHETIC_3SEEDS = "seismic_continuous_synthetic_quick_3seeds.json"
SYNTHETIC_ARMS = "seismic_continuous_synthetic_quick_arms_3seeds.json"
NCEDC_JITTER = "seismic_continuous_ncedc_jitter_per_window_3seeds.json"
NCEDC_PLAIN = "seismic_continuous_ncedc_3seeds.json"


def _load(results: Path, name: str) -> dict:
    return json.loads((results / name).read_text())


def headline(name: str, results: Path, catalogue: str = "analyst", tol: str | None = None) -> str:
    """Per-arm S measures on the run's source set (``sets.<source>.<catalogue>.S.<tol>``)."""
    return "\n".join(report.headline_table(_load(results, name), "S", catalogue, tol))


def measures(name: str, results: Path, records: str, catalogue: str, tol: str = "0.5s") -> str:
    """Per-arm S measures on one set of records (``sets.<records>.<catalogue>.S.<tol>``)."""
    return "\n".join(report.measures_table(_load(results, name), records, catalogue, "S", tol))


def differences(name: str, results: Path, catalogue: str = "analyst", tol: str = "0.5s", records: str | None = None) -> str:
    """Paired differences arm - BCE with 95 % intervals (``sets.<records>.<catalogue>.*.<tol>.*.vs_baseline``;
    ``records`` defaults to the run's source set)."""
    result = _load(results, name)
    return "\n".join(report.difference_table(result, records or result["source"], catalogue, tol))


def transfer(name: str, results: Path, tol: str = "0.5s") -> str:
    """S F1 lost when each arm's source threshold is applied to the shifted sets (``transfer``)."""
    return "\n".join(report.transfer_table(_load(results, name), "S", tol))


def provenance(name: str, results: Path) -> str:
    """The command, commit and device the run recorded (``command``, ``commit``, ``environment.device``)."""
    result = _load(results, name)
    return (f"`{result['command']}` (commit `{str(result['commit'])[:7]}`, {result['environment']['device']}, "
            f"seeds {result['settings']['seeds']})")


DOCS = {
    "continuous-synthetic-headline": partial(headline, SYNTHETIC_3SEEDS),
    "continuous-synthetic-truth": partial(headline, SYNTHETIC_3SEEDS, catalogue="truth"),
    "continuous-synthetic-differences": partial(differences, SYNTHETIC_3SEEDS),
    "continuous-synthetic-transfer": partial(transfer, SYNTHETIC_3SEEDS),
    "continuous-synthetic-provenance": partial(provenance, SYNTHETIC_3SEEDS),
    "continuous-arms-headline": partial(headline, SYNTHETIC_ARMS),
    "continuous-arms-differences": partial(differences, SYNTHETIC_ARMS),
    "continuous-arms-provenance": partial(provenance, SYNTHETIC_ARMS),
    "continuous-arms-transfer": partial(transfer, SYNTHETIC_ARMS),
    "continuous-arms-truth-tight": partial(headline, SYNTHETIC_ARMS, catalogue="truth", tol="0.1s"),
    "continuous-arms-truth-tight-differences": partial(differences, SYNTHETIC_ARMS, catalogue="truth", tol="0.1s"),
    "continuous-ncedc-test-truth": partial(measures, NCEDC_JITTER, records="ncedc", catalogue="truth"),
    "continuous-ncedc-test-differences": partial(differences, NCEDC_JITTER, catalogue="truth", records="ncedc"),
    "continuous-ncedc-provenance": partial(provenance, NCEDC_JITTER),
    "continuous-ncedc-plain-differences": partial(differences, NCEDC_PLAIN, catalogue="analyst", records="ncedc"),
    "continuous-ncedc-plain-provenance": partial(provenance, NCEDC_PLAIN),
}
