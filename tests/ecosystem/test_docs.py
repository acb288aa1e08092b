"""The docs site builds under --strict (the code on its pages runs in tests/test_docs_code.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The docs site built with ``mkdocs build --strict`` (once for this module)."""
    pytest.importorskip("mkdocs", reason="MkDocs (extra 'docs') not installed")
    pytest.importorskip("mkdocstrings", reason="mkdocstrings (extra 'docs') not installed")
    pytest.importorskip("material", reason="mkdocs-material (extra 'docs') not installed")
    pytest.importorskip("mathjax", reason="django-static-mathjax (extra 'docs', ships MathJax) not installed")
    folder = tmp_path_factory.mktemp("docs") / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return folder


def test_mkdocs_build_strict(site):
    assert (site / "api" / "index.html").read_text().count("ShapeLoss") > 10


@pytest.mark.parametrize(("name", "depth"), [("GlobalCritic", 4), ("PatchCritic", 3)])
def test_the_api_page_shows_each_critics_signature_and_default_depth(site, name, depth):
    """The two critics share one ``__init__``; the page shows its arguments and each class's depth."""
    text = re.sub(r"<[^>]+>", "", (site / "api" / "index.html").read_text())
    text = re.sub(r"\s+", "", text.replace("&#39;", "'").replace("&quot;", "'"))
    assert (
        f"{name}(label_channels,condition_channels,dims=1,width=32,depth=None,kernel_size=7,stride=2,"
        "first_stride=None,norm='batch',spectral_norm=False,max_width=256,downsample=1)"
    ) in text
    assert "means3here" in text and "default_depth,4" in text


def _source_formulas(markdown: str) -> int:
    """Formulas written in a page: ``$$...$$`` blocks and ``$...$`` spans outside code."""
    text = re.sub(r"```.*?```", "", markdown, flags=re.S)  # fenced code
    text = re.sub(r"`[^`\n]*`", "", text)  # inline code
    display = len(re.findall(r"\$\$.+?\$\$", text, flags=re.S))
    text = re.sub(r"\$\$.+?\$\$", "", text, flags=re.S)
    return display + len(re.findall(r"(?<![\\$])\$[^$\s][^$\n]*?\$", text))


def test_every_formula_is_wrapped_for_mathjax_served_with_the_site(site):
    """What a reader's browser gets: each formula wrapped for MathJax, and MathJax itself from
    the site (configured first), never from another host (readers may be offline)."""
    pages_with_math = 0
    for md in sorted((ROOT / "docs").glob("*.md")):
        html_path = site / ("index.html" if md.stem == "index" else f"{md.stem}/index.html")
        html = html_path.read_text()
        expected = _source_formulas(md.read_text())
        wrapped = re.findall(r'<(span|div) class="arithmatex">(.*?)</\1>', html, flags=re.S)
        assert len(wrapped) == expected, f"{md.name}: expected {expected} formulas wrapped, got {len(wrapped)}"
        for _, formula in wrapped:
            assert formula.strip().startswith(("\\(", "\\[")), f"{md.name}: {formula[:40]!r} lacks MathJax delimiters"
        scripts = re.findall(r'<script src="([^"]+)"', html)
        assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))], f"{md.name}: a script from another host"
        if wrapped:
            pages_with_math += 1
            config = next(i for i, s in enumerate(scripts) if s.endswith("javascripts/mathjax-config.js"))
            engine = next(i for i, s in enumerate(scripts) if s.endswith("assets/mathjax/tex-svg.js"))
            assert config < engine, f"{md.name}: the MathJax settings must load before MathJax"
            for src in (scripts[config], scripts[engine]):
                assert (html_path.parent / src).resolve().is_file(), f"{md.name}: {src} is not in the built site"
    assert pages_with_math >= 2  # the loss on the home page, the concepts page
    engine = (site / "assets" / "mathjax" / "tex-svg.js").read_text(errors="replace")
    assert "MathJax" in engine and "typesetPromise" in engine and len(engine) > 500_000  # the real, self-contained engine
    config = (site / "javascripts" / "mathjax-config.js").read_text()
    assert '"arithmatex"' in config and "window.MathJax" in config


def test_every_nav_page_exists():
    yaml = pytest.importorskip("yaml", reason="PyYAML (with MkDocs) not installed")
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text().replace("!!python", "#"))["nav"]

    def pages(entries):
        for entry in entries:
            for value in entry.values():
                yield from (pages(value) if isinstance(value, list) else [value])

    missing = [p for p in pages(nav) if not (ROOT / "docs" / p).is_file()]
    assert not missing
