"""Message templates: plain text with ``{dotted.path}`` placeholders, e.g. ``{resource.name}``.

Deliberately tiny (no logic, no attribute calls): messages are rendered once per finding, hundreds of
thousands of times on a large estate; anything computed belongs in an ``evidence`` expression.
``{{`` and ``}}`` are literal braces. Lists render comma-separated, null renders as ``none``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_\-]+)*)\}")
_STRAY = re.compile(r"(?<!\{)\{(?!\{)|(?<!\})\}(?!\})")


class TemplateError(Exception):
    pass


def _format(value: Any) -> str:
    if type(value) is str:
        return value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_format(item) for item in value) or "(none)"
    return str(value)


class Template:
    def __init__(self, source: str, roots: frozenset[str]) -> None:
        self.source = source
        stripped = _PLACEHOLDER.sub("", source)
        if _STRAY.search(stripped):
            raise TemplateError(
                f"unbalanced brace in message template {source!r} (use {{{{ for a literal brace)"
            )
        # Pre-split into literal text and placeholder paths: rendering is a join, no regex per finding.
        self._parts: list[str | tuple[str, ...]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(source):
            self._parts.append(source[position : match.start()])
            position = match.end()
            if not match.group(1):
                self._parts.append(match.group(0)[0])  # {{ or }}
                continue
            path = tuple(match.group(1).split("."))
            if path[0] not in roots:
                known = ", ".join(sorted(roots))
                raise TemplateError(f"unknown placeholder {{{match.group(1)}}}: expected one of {known}")
            self._parts.append(path)
        self._parts.append(source[position:])

    def render(self, variables: Mapping[str, Any]) -> str:
        return "".join(part if isinstance(part, str) else _lookup(variables, part) for part in self._parts)


def _lookup(variables: Mapping[str, Any], path: tuple[str, ...]) -> str:
    value: Any = variables
    for part in path:
        if isinstance(value, dict) and part in value:  # dict, not Mapping: an ABC check per step is slow
            value = value[part]
        else:
            return "(unknown)"
    return _format(value)
