"""The docs site builds under --strict (the code on its pages runs in tests/test_docs_code.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
