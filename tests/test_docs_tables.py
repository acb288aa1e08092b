"""Every generated block of README.md and docs/*.md matches what its JSON renders now.

``benchmarks/docs_tables.py`` keeps the results tables and quoted run numbers of the pages
between ``<!-- generated: NAME -->`` markers; this regenerates each block and fails on any
difference, naming the page, the block and the first differing line
(``python benchmarks/docs_tables.py --write`` refreshes them after a new run).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "docs_tables.py"


@pytest.fixture(scope="module")
def docs_tables():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("docs_tables", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_tables"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page_texts(docs_tables):
    return {str(p.relative_to(ROOT)): p.read_text() for p in docs_tables.pages()}


def test_every_generated_block_matches_its_json(docs_tables, page_texts):
    differences = []
    for page, text in page_texts.items():
        differences += docs_tables.render_page(text, page)[1]
    assert not differences, (
        "generated blocks differ from their JSONs (python benchmarks/docs_tables.py --write after a new run):\n"
        + "\n".join(map(str, differences)))


def test_every_registered_block_is_on_a_page_and_every_page_block_is_registered(docs_tables):
    used = docs_tables.blocks_used()
    assert set(used) <= set(docs_tables.TABLES), f"unknown blocks: {sorted(set(used) - set(docs_tables.TABLES))}"
    assert set(docs_tables.TABLES) <= set(used), f"registered, on no page: {sorted(set(docs_tables.TABLES) - set(used))}"


def test_every_results_table_of_the_docs_is_generated(page_texts):
    """A markdown table whose header names an arm or a ratio is a results table: it must sit in a block."""
    results_header = re.compile(r"^\|.*(effective|ratio|s/step|windows/s|F1|point-wise peak)", re.I)
    loose = []
    for page, text in page_texts.items():
        outside = re.sub(r"<!-- generated: ([\w.-]+) -->.*?<!-- /generated: \1 -->", "", text, flags=re.S).split("\n")
        loose += [f"{page}: {line[:80]}" for line, below in zip(outside, outside[1:] + [""])
                  if results_header.match(line) and below.startswith("|---")]
    assert not loose, "results tables outside a generated block:\n" + "\n".join(loose)


def _numbers(text: str) -> list[re.Match]:
    return list(re.finditer(r"\d", text))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_changing_any_digit_inside_a_block_is_caught(docs_tables, page_texts, data):
    """The drift test can fail: one digit changed anywhere inside a generated block is reported, with its block."""
    page = data.draw(st.sampled_from(sorted(p for p, t in page_texts.items() if docs_tables.BLOCK.search(t))))
    text = page_texts[page]
    block = data.draw(st.sampled_from(list(docs_tables.BLOCK.finditer(text))))
    body_start = block.start("body")
    digits = _numbers(block.group("body"))
    digit = data.draw(st.sampled_from(digits))
    pos = body_start + digit.start()
    new_digit = data.draw(st.sampled_from([d for d in "0123456789" if d != text[pos]]))
    changed = text[:pos] + new_digit + text[pos + 1:]
    restored, differences = docs_tables.render_page(changed, page)
    assert [d.block for d in differences] == [block.group("name")]
    assert restored == text  # --write puts the JSON's number back


def test_markers_that_do_not_pair_are_an_error(docs_tables):
    with pytest.raises(ValueError, match="expected '<!-- /generated: a -->'"):
        docs_tables.render_page("x <!-- generated: a -->1", "page.md", tables={"a": lambda r: "1"})
    with pytest.raises(ValueError, match="expected the end of an open block"):
        docs_tables.render_page("<!-- generated: a -->1<!-- /generated: b -->", "page.md", tables={"a": lambda r: "1"})
    with pytest.raises(KeyError, match="expected a name in TABLES"):
        docs_tables.render_page("<!-- generated: zz -->1<!-- /generated: zz -->", "page.md", tables={"a": lambda r: "1"})


def test_a_difference_names_page_block_and_first_differing_line(docs_tables):
    text = "<!-- generated: t -->\n| a |\n|---|\n| 1 |\n<!-- /generated: t -->\nand <!-- generated: s -->2.0<!-- /generated: s -->"
    tables = {"t": lambda r: "| a |\n|---|\n| 7 |", "s": lambda r: "2.0"}
    new, differences = docs_tables.render_page(text, "docs/x.md", tables=tables)
    assert len(differences) == 1
    d = differences[0]
    assert (d.page, d.block, d.line, d.found, d.expected) == ("docs/x.md", "t", 3, "| 1 |", "| 7 |")
    assert "docs/x.md: block 't', line 3" in str(d)
    assert "| 7 |" in new and "and <!-- generated: s -->2.0<!-- /generated: s -->" in new  # inline blocks stay inline


def test_inline_blocks_never_open_a_line(page_texts):
    """Markdown treats a line that starts with an HTML comment as a block: an inline number there would split its paragraph."""
    bad = [f"{page}:{i + 1}" for page, text in page_texts.items() for i, line in enumerate(text.split("\n"))
           if re.match(r"^\s*<!-- generated: [\w.-]+ -->", line) and not re.match(r"^<!-- generated: [\w.-]+ -->$", line)]
    assert not bad, f"inline generated blocks at the start of a line (put text before them): {bad}"
