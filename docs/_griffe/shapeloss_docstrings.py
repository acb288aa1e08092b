"""Griffe extension for the docs build: read shapeloss's docstrings as they are written.

* ``Example:`` (singular, the house style) becomes ``Examples:``, so Google-style parsing
  renders the ``>>>`` lines as code instead of nested block quotes;
* a parameter line naming several parameters (``g_scheduler / d_scheduler: ...`` or
  ``a, b: ...``) becomes one line per parameter with the same text;
* reStructuredText roles (``:class:`~x.Y```, ``:func:``, ``:meth:``, ``:mod:``, ``:attr:``)
  become inline code, so they neither show as raw text nor look like broken links.

:class:`RuntimeInits` gives a class whose ``__init__`` is assigned rather than written as a ``def``
(``GlobalCritic`` and ``PatchCritic`` share one ``__init__``, copied with their own default
``depth``) the signature Python sees at runtime: static analysis would show no parameters.
"""

from __future__ import annotations

import importlib
import inspect
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


class RuntimeInits(griffe.Extension):
    def on_class_members(self, *, cls: Any, **kwargs: Any) -> None:
        init = cls.members.get("__init__")
        if init is None or init.is_function or init.is_alias:
            return
        runtime: Any = importlib.import_module(cls.module.path)
        for name in cls.path[len(cls.module.path) + 1 :].split("."):
            runtime = getattr(runtime, name)
        signature = inspect.signature(runtime.__init__)
        parameters = griffe.Parameters(
            *(
                griffe.Parameter(
                    p.name,
                    annotation=None if p.annotation is p.empty else str(p.annotation),
                    kind=griffe.ParameterKind(p.kind.description),
                    default=None if p.default is p.empty else repr(p.default),
                )
                for p in signature.parameters.values()
            )
        )
        returns = None if signature.return_annotation is signature.empty else str(signature.return_annotation)
        function = griffe.Function(
            "__init__", lineno=init.lineno, endlineno=init.endlineno, parameters=parameters, returns=returns
        )
        cls.set_member("__init__", function)
