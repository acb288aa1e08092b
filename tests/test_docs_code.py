"""Every Python block of README.md and docs/*.md runs, page by page, in a scratch folder.

The blocks of one page share a namespace (a later block may use an earlier one's names). A block
that cannot run here says why in an HTML comment on the line before its fence, which the
rendered page hides:

* ``<!-- docs-test: requires obspy lightning -->``: runs when these are present; besides module
  names, ``ludb`` (the real LUDB data in ../shared/data/ludb or $SHAPELOSS_LUDB) and ``gpu``;
* ``<!-- docs-test: skip: <reason> -->``: never runs here (e.g. it needs four GPUs and the
  reader's own data loaders); the reason is required;
* ``<!-- docs-test: small OLD -> NEW -->``: runs with the text OLD replaced by NEW (a long
  training loop shortened, e.g. ``steps=400 -> steps=20``); what runs is the page's code with
  that one, visible substitution.
"""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md"] + sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"(?:<!-- docs-test: (?P<marker>[^\n]*?) -->\s*\n)?[ \t]*```python\n(?P<code>.*?)```", re.S)


def blocks(page: str) -> list[tuple[str | None, str]]:
    """``(marker or None, code)`` of each Python block of ``page``, in order."""
    text = (ROOT / page).read_text()
    found = [(m.group("marker"), m.group("code")) for m in FENCE.finditer(text)]
    assert len(found) == text.count("```python"), f"{page}: a python fence the test cannot parse"
    return found


def _missing(requirement: str) -> str | None:
    """Why ``requirement`` is not met here, or ``None`` when it is."""
    if requirement == "gpu":
        import torch

        return None if torch.cuda.is_available() else "needs a CUDA GPU"
    if requirement == "ludb":
        from shapeloss.ecg import default_ludb_root

        return None if default_ludb_root() is not None else "needs LUDB in ../shared/data/ludb (or $SHAPELOSS_LUDB)"
    return None if importlib.util.find_spec(requirement) else f"needs {requirement} (an optional extra)"


def small(marker: str | None, code: str) -> str:
    """``code`` with a ``small OLD -> NEW`` marker's substitution applied (exactly once)."""
    if marker is None or not marker.startswith("small "):
        return code
    old, sep, new = marker[len("small "):].partition(" -> ")
    assert sep and code.count(old) == 1, f"docs-test: {marker!r} expected OLD once in its block, got {code.count(old)}"
    return code.replace(old, new)


def why_not(marker: str | None) -> str | None:
    """Why a block with this marker does not run here (``None``: it runs)."""
    if marker is None or marker.startswith("small "):
        return None
    kind, _, rest = marker.partition(" ")
    if kind == "skip:":
        assert rest.strip(), "docs-test: skip needs a reason"
        return rest.strip()
    assert kind == "requires" and rest.split(), f"docs-test: expected 'requires NAME...', 'skip: REASON' or 'small OLD -> NEW', got {marker!r}"
    reasons = [r for r in map(_missing, rest.split()) if r]
    return "; ".join(reasons) or None


# What a page's code must have produced (beyond running without an error).
CHECKS = {
    "docs/getting-started.md": lambda ns, cwd: (
        ns["result"].probabilities.shape == (3, 12000) if "result" in ns else True
    ) and ((cwd / "runs" / "demo").is_dir() if "tb" in ns else True),
    "README.md": lambda ns, cwd: {"base", "adversarial", "discriminator"} <= set(ns["metrics"]),
}


def test_every_page_is_listed():
    assert "README.md" in PAGES and "docs/index.md" in PAGES
    assert sum(len(blocks(p)) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    found = blocks(page)
    if not found:
        pytest.skip(f"{page} has no Python block")
    monkeypatch.chdir(tmp_path)  # blocks that write files (logs, runs/...) write here
    namespace: dict = {"__name__": "__docs__"}
    skipped = []
    for k, (marker, code) in enumerate(found):
        reason = why_not(marker)
        if reason:
            skipped.append(f"block {k + 1}: {reason}")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(small(marker, code), f"{page} (block {k + 1})", "exec"), namespace)
    if len(skipped) == len(found):
        pytest.skip(f"{page}: " + "; ".join(skipped))
    check = CHECKS.get(page)
    assert check is None or check(namespace, tmp_path), f"{page}: the code ran but did not produce what the page says"
