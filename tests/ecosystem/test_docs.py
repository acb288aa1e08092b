"""The docs site builds under --strict, and the code on its pages runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "docs" / page).read_text(), flags=re.S)


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="MkDocs (extra 'docs') not installed")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings (extra 'docs') not installed")
    pytest.importorskip("material", reason="mkdocs-material (extra 'docs') not installed")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "index.html").read_text().count("ShapeLoss") > 10


def test_every_nav_page_exists():
    yaml = pytest.importorskip("yaml", reason="PyYAML (with MkDocs) not installed")
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))["nav"]

    def pages(entries):
        for entry in entries:
            for value in entry.values():
                yield from (pages(value) if isinstance(value, list) else [value])

    missing = [p for p in pages(nav) if not (ROOT / "docs" / p).is_file()]
    assert not missing


def test_concepts_code_runs():
    for block in _python_blocks("concepts.md"):
        exec(compile(block, "concepts.md", "exec"), {})


def test_getting_started_code_runs(tmp_path, monkeypatch):
    for module in ("obspy", "seisbench", "lightning", "tensorboard"):
        pytest.importorskip(module, reason=f"{module} (an extra) not installed")
    monkeypatch.chdir(tmp_path)  # the TensorBoard example writes runs/demo
    namespace: dict = {}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in _python_blocks("getting-started.md"):
            exec(compile(block, "getting-started.md", "exec"), namespace)
    assert (tmp_path / "runs" / "demo").is_dir()
    assert namespace["result"].probabilities.shape == (3, 12000)
