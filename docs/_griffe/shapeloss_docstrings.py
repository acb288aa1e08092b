"""Griffe extension for the docs build: read shapeloss's docstrings as they are written.

* ``Example:`` (singular, the house style) becomes ``Examples:``, so Google-style parsing
  renders the ``>>>`` lines as code instead of nested block quotes;
* a parameter line naming several parameters (``g_scheduler / d_scheduler: ...`` or
  ``a, b: ...``) becomes one line per parameter with the same text;
* reStructuredText roles (``:class:`~x.Y```, ``:func:``, ``:meth:``, ``:mod:``, ``:attr:``)
  become inline code, so they neither show as raw text nor look like broken links.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.M)
_SHARED = re.compile(r"^(\s+)([A-Za-z_]\w*(?:\s*(?:/|,)\s*[A-Za-z_]\w*)+):(\s.*)$", re.M)
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


class ShapelossDocstrings(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
            text = _SHARED.sub(_split_shared, text)
            obj.docstring.value = _ROLE.sub(r"`\1`", text)


def _split_shared(match: re.Match[str]) -> str:
    indent, names, rest = match.groups()
    return "\n".join(f"{indent}{name}:{rest}" for name in re.split(r"\s*(?:/|,)\s*", names))
