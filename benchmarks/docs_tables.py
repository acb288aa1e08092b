#!/usr/bin/env python
"""Results tables and sentences of README.md and docs/*.md, generated from the result JSONs.

Every number a page quotes from a run sits between two markers::

    <!-- generated: seismic-quick-3seeds -->
    | schedule | seed | ... |
    <!-- /generated: seismic-quick-3seeds -->

(on their own lines for a table; inside a sentence for a few words). ``TABLES`` maps each name
to a function that renders that block from the JSONs under ``benchmarks/results``. Usage::

    python benchmarks/docs_tables.py --check   # list the blocks that differ from their JSONs (exit 1 if any)
    python benchmarks/docs_tables.py --write   # maintainers: rewrite every block from the JSONs

``tests/test_docs_tables.py`` regenerates every block and fails on any difference, so a number
in the docs cannot drift from the run that made it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmarks package, for the modules the renderers import
import _docs_continuous  # noqa: E402
import _docs_domains  # noqa: E402
import _docs_ecg  # noqa: E402
import _docs_perf  # noqa: E402
import _docs_seismic  # noqa: E402
import edges_report  # noqa: E402
import _seismic_baselines  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

Renderer = Callable[[Path], str]
TABLES: dict[str, Renderer] = {**_docs_seismic.DOCS, **_docs_domains.DOCS, **_docs_ecg.DOCS, **_docs_perf.DOCS, **_docs_continuous.DOCS,
                               edges_report.NAME: edges_report.render, edges_report.ARMS_NAME: edges_report.render_arms,
                               **_seismic_baselines.DOCS}

BLOCK = re.compile(r"<!-- generated: (?P<name>[\w.-]+) -->(?P<body>.*?)<!-- /generated: (?P=name) -->", re.S)
OPENING = re.compile(r"<!-- (/?)generated: ([\w.-]+) -->")


def pages(root: Path = ROOT) -> list[Path]:
    """The pages that may hold generated blocks: README.md and docs/*.md."""
    return [root / "README.md"] + sorted((root / "docs").glob("*.md"))


@dataclass(frozen=True)
class Difference:
    """One generated block whose text is not what its renderer gives now."""

    page: str
    block: str
    line: int  # 1-based line of the block's first differing line, counted within the block
    found: str
    expected: str

    def __str__(self) -> str:
        return (f"{self.page}: block '{self.block}', line {self.line} of the block differs from its JSON:\n"
                f"  page:      {self.found!r}\n  generated: {self.expected!r}")


def _inline(body: str) -> bool:
    return not body.startswith("\n")


def _wrap(body: str, rendered: str) -> str:
    """Rendered text placed as the block's body: on its own lines for a block, inline otherwise."""
    rendered = rendered.strip("\n")
    return rendered if _inline(body) else f"\n{rendered}\n"


def _check_markers(text: str, page: str) -> None:
    stack: list[str] = []
    for m in OPENING.finditer(text):
        closing, name = m.group(1) == "/", m.group(2)
        if not closing:
            if stack:
                raise ValueError(f"{page}: block '{name}': expected no block inside block '{stack[-1]}', got one")
            stack.append(name)
        elif not stack or stack[-1] != name:
            raise ValueError(f"{page}: '<!-- /generated: {name} -->': expected the end of an open block "
                             f"{'named ' + repr(stack[-1]) if stack else '(none is open)'}, got this one")
        else:
            stack.pop()
    if stack:
        raise ValueError(f"{page}: block '{stack[-1]}': expected '<!-- /generated: {stack[-1]} -->', got the end of the page")


def render_page(text: str, page: str, results: Path = RESULTS,
                tables: dict[str, Renderer] | None = None) -> tuple[str, list[Difference]]:
    """``(text with every block regenerated, the differences found)`` for one page's text."""
    tables = TABLES if tables is None else tables
    _check_markers(text, page)
    differences: list[Difference] = []

    def replace(m: re.Match) -> str:
        name, body = m.group("name"), m.group("body")
        if name not in tables:
            raise KeyError(f"{page}: block '{name}': expected a name in TABLES ({', '.join(sorted(tables))}), got '{name}'")
        new = _wrap(body, tables[name](results))
        if new != body:
            old_lines, new_lines = body.strip("\n").split("\n"), new.strip("\n").split("\n")
            i = next((k for k, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b), min(len(old_lines), len(new_lines)))
            found = old_lines[i] if i < len(old_lines) else "(block ends)"
            expected = new_lines[i] if i < len(new_lines) else "(block ends)"
            differences.append(Difference(page, name, i + 1, found, expected))
        return f"<!-- generated: {name} -->{new}<!-- /generated: {name} -->"

    return BLOCK.sub(replace, text), differences


def blocks_used(root: Path = ROOT) -> dict[str, list[str]]:
    """Block name -> the pages (relative paths) that hold it."""
    used: dict[str, list[str]] = {}
    for path in pages(root):
        for m in BLOCK.finditer(path.read_text()):
            used.setdefault(m.group("name"), []).append(str(path.relative_to(root)))
    return used


def run(write: bool, root: Path = ROOT, results: Path = RESULTS) -> list[Difference]:
    """Check (and with ``write``, rewrite) every page; returns the differences found before writing."""
    found: list[Difference] = []
    for path in pages(root):
        text = path.read_text()
        new, differences = render_page(text, str(path.relative_to(root)), results)
        found += differences
        if write and new != text:
            tmp = path.with_suffix(".md.tmp")
            tmp.write_text(new)
            tmp.replace(path)
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="report the blocks that differ (exit 1 if any)")
    mode.add_argument("--write", action="store_true", help="rewrite every block from the JSONs (maintainers)")
    mode.add_argument("--show", metavar="NAME", help="print one block as rendered now")
    a = p.parse_args(argv)
    if a.show:
        if a.show not in TABLES:
            p.error(f"--show: expected one of {', '.join(sorted(TABLES))}, got {a.show!r}")
        print(TABLES[a.show](RESULTS))
        return 0
    differences = run(write=a.write)
    for d in differences:
        print(d)
    unused = sorted(set(TABLES) - set(blocks_used()))
    if unused:
        print(f"registered but on no page: {', '.join(unused)}")
    if a.write:
        print(f"rewrote {len(differences)} block(s)")
        return 0
    print(f"{len(differences)} block(s) differ from their JSONs" if differences else "every generated block matches its JSON")
    return 1 if differences or unused else 0


if __name__ == "__main__":
    sys.exit(main())
