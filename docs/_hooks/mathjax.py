"""MkDocs hook: serve MathJax with the site, so formulas render offline (no CDN).

``pymdownx.arithmatex`` (generic mode) wraps each formula as ``<span class="arithmatex">\\(...\\)</span>``
or ``<div class="arithmatex">\\[...\\]</div>``; MathJax typesets them in the reader's browser. The
script is MathJax 3's self-contained ``tex-svg.js`` (SVG output: no font files to fetch) from the
``django-static-mathjax`` package (extra ``docs``), copied into the built site at
``assets/mathjax/tex-svg.js``; ``docs/javascripts/mathjax-config.js`` configures it and loads first.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

SCRIPT = "assets/mathjax/tex-svg.js"


def mathjax_source() -> Path:
    """The packaged ``tex-svg.js``; a clear error when the ``docs`` extra is missing."""
    try:
        import mathjax  # django-static-mathjax: MathJax's distribution as package data
    except ImportError as exc:
        raise PluginError("MathJax: expected the package django-static-mathjax (pip install -e '.[docs]'), got none") from exc
    path = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js"
    if not path.is_file():
        raise PluginError(f"MathJax: expected {path} in django-static-mathjax, got no such file")
    return path


def on_files(files, config):
    files.append(File.generated(config, SCRIPT, abs_src_path=str(mathjax_source())))
    return files
