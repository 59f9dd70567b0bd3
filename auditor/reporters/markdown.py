"""Markdown for a CI job summary ($GITHUB_STEP_SUMMARY): summary, coverage, the findings to act on.

GitHub renders the summary as GitHub-flavoured Markdown with HTML, so every value put in a table cell
goes through :func:`md_cell` (pipes, newlines, Markdown punctuation and HTML escaped). Rows stop at
``MAX_ROWS`` to keep the summary well under GitHub's 1 MiB limit per step.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined

from auditor.findings import SEVERITY_ORDER, STATUS_ORDER, ScanResult, Status
from auditor.reporters.common import (
    ACTIONABLE,
    baseline_text,
    calendar_text,
    first_findings,
    horizon_summary,
    incomplete_banner,
    judged_as_of,
    policy_rows,
    truncate,
    utc_timestamp,
    waiver_notices,
)
from auditor.resources import template_loader

MAX_ROWS = 500
_CELL_LIMIT = 300
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|#~])")


def md_cell(value: Any, limit: int = _CELL_LIMIT) -> str:
    """One table cell: single line, at most ``limit`` characters, no Markdown or HTML interpreted."""
    text = truncate(" ".join(str(value).split()), limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCTUATION.sub(r"\\\1", text)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=template_loader("markdown"),
        autoescape=False,  # noqa: S701 - Markdown, not HTML: cells are escaped by the md_cell filter
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = md_cell
    return env


def render_markdown(result: ScanResult) -> str:
    """The job-summary Markdown document."""
    rows = [finding for finding in result.findings if finding.status in ACTIONABLE]
    failing_policies = sorted(
        (row for row in policy_rows(result) if row.counts[Status.FAIL] or row.counts[Status.ERROR]),
        key=lambda row: row.sort_key,
    )
    template = _environment().get_template("report.md.j2")
    return template.render(
        result=result,
        banner=incomplete_banner(result),
        statuses=STATUS_ORDER,
        severities=SEVERITY_ORDER,
        read=sorted(result.scan.coverage.read.items()),
        notes=result.scan.coverage.notes,
        drift=baseline_text(result),
        waiver_notices=waiver_notices(result),
        calendar=calendar_text(result),
        horizon=horizon_summary(result),
        gaps=result.scan.coverage.gaps[:MAX_ROWS],
        more_gaps=max(len(result.scan.coverage.gaps) - MAX_ROWS, 0),
        policy_rows=failing_policies[:MAX_ROWS],
        findings=first_findings(rows, MAX_ROWS),
        more_findings=max(len(rows) - MAX_ROWS, 0),
        started=utc_timestamp(result.scan.started_at),
        judged=judged_as_of(result),
        Status=Status,
    )
