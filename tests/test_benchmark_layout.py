"""The seismic, throughput and ECG delineation benchmarks' layout (issue 14, item 3): commands import
modules, never another command, and every file stays short. The other ECG and the edges files are
checked by their own issues."""

import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SEISMIC = sorted(p for p in BENCH.glob("*.py")
                 if p.name.startswith(("seismic_", "_seismic_", "_continuous_", "critic_", "soak", "diagnostics_"))
                 or p.name in ("_docs_seismic.py", "_docs_continuous.py", "_provenance.py", "_results.py", "__init__.py"))
SPLIT = sorted(p for p in BENCH.glob("*.py")  # split by job after the seismic ones (issue 14, item 3)
               if p.name.startswith(("throughput", "_throughput_", "ecg_delineation", "_ecg_delineation_")))
COMMANDS = {p.stem for p in BENCH.glob("*.py") if 'if __name__ == "__main__"' in p.read_text()}


def _imported(path: Path) -> set[str]:
    """Names of benchmark files ``path`` imports (``benchmarks.x``, ``from benchmarks import x`` or a bare ``x``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name.removeprefix("benchmarks.") for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "benchmarks":
                out |= {a.name for a in node.names}
            else:
                out.add(node.module.removeprefix("benchmarks."))
    return {name for name in out if (BENCH / f"{name}.py").is_file()}


def test_the_seismic_files_are_found():
    names = {p.name for p in SEISMIC}
    assert {"seismic_s_phase.py", "_seismic_work.py", "critic_tradeoff.py", "seismic_table.py"} <= names
    assert {"seismic_s_phase", "seismic_table", "critic_tradeoff", "seismic_continuous"} <= COMMANDS
    assert {"throughput.py", "_throughput_training.py", "_throughput_data.py", "ecg_delineation.py",
            "_ecg_delineation_eval.py"} <= {p.name for p in SPLIT}
    assert {"throughput", "ecg_delineation"} <= COMMANDS


@pytest.mark.parametrize("path", SEISMIC + SPLIT, ids=lambda p: p.name)
def test_no_file_imports_a_command(path):
    assert not _imported(path) & COMMANDS, f"{path.name} imports the command(s) {sorted(_imported(path) & COMMANDS)}"


@pytest.mark.parametrize("path", SEISMIC + SPLIT, ids=lambda p: p.name)
def test_every_file_is_short(path):
    assert len(path.read_text().splitlines()) <= 300, path.name


def _private_uses(tree: ast.AST) -> list[str]:
    """Private names a benchmark takes from shapeloss: ``from shapeloss.x import _y``, a private module
    (``shapeloss._x``), or ``m._y`` on a shapeloss module it imported."""
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.split(".")[0] == "shapeloss":
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)  # a module (or any object) it may reach into
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "shapeloss":
                    if any(part.startswith("_") for part in alias.name.split(".")):
                        found.append(alias.name)
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{ast.unparse(node)}")
    return found


ALL_BENCH = sorted(BENCH.rglob("*.py"))


def test_the_private_import_check_can_fail():
    bad = ast.parse("from shapeloss.metrics import _peaks_2d, find_peaks\nimport shapeloss._validation as v\n"
                    "from shapeloss import metrics\nmetrics._greedy_match(1)\nfrom shapeloss.edges import rivals as _r\n")
    assert _private_uses(bad) == ["shapeloss.metrics._peaks_2d", "shapeloss._validation", "metrics._greedy_match"]
    assert _private_uses(ast.parse("from shapeloss.metrics import find_peaks\nimport numpy as np\nnp._x\n")) == []


@pytest.mark.parametrize("path", ALL_BENCH, ids=lambda p: str(p.relative_to(BENCH)))
def test_no_benchmark_takes_a_private_name_from_shapeloss(path):
    """Benchmarks use the library as users do: a helper they need gets a public, documented home."""
    assert not _private_uses(ast.parse(path.read_text())), f"{path.name}: {_private_uses(ast.parse(path.read_text()))}"
