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
        self._paths: list[tuple[str, ...]] = []
        for match in _PLACEHOLDER.finditer(source):
            if match.group(1):
                path = tuple(match.group(1).split("."))
                if path[0] not in roots:
                    known = ", ".join(sorted(roots))
                    raise TemplateError(f"unknown placeholder {{{match.group(1)}}}: expected one of {known}")
                self._paths.append(path)

    def render(self, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            value: Any = variables
            for part in match.group(1).split("."):
                if isinstance(value, Mapping) and part in value:
                    value = value[part]
                else:
                    return "(unknown)"
            return _format(value)

        return _PLACEHOLDER.sub(replace, self.source)
