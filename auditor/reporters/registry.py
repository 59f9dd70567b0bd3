"""Which renderer serves which ``--format``: an exhaustive mapping, no import-time registration."""

from __future__ import annotations

from typing import assert_never

from auditor.reporters.html import render_html
from auditor.reporters.interface import OutputFormat, Renderer
from auditor.reporters.json_report import render_json
from auditor.reporters.junit import render_junit
from auditor.reporters.markdown import render_markdown
from auditor.reporters.sarif import render_sarif

ALL_FORMATS: tuple[OutputFormat, ...] = tuple(OutputFormat)


def renderer_for(fmt: OutputFormat) -> Renderer:
    """The renderer for ``fmt``; mypy fails the build if a new OutputFormat has no case here."""
    match fmt:
        case OutputFormat.JSON:
            return Renderer(fmt, "json", render_json)
        case OutputFormat.SARIF:
            return Renderer(fmt, "sarif", render_sarif)
        case OutputFormat.HTML:
            return Renderer(fmt, "html", render_html)
        case OutputFormat.JUNIT:
            return Renderer(fmt, "junit.xml", render_junit)
        case OutputFormat.MARKDOWN:
            return Renderer(fmt, "md", render_markdown)
        case _:
            assert_never(fmt)
