"""Self-contained HTML report for a security team: one file, inline CSS, no network, readable without JS.

The template (``auditor/templates/html/report.html.j2``) gets the view objects of
:mod:`auditor.reporters.html_layout`: findings grouped by resource, the worst first; what needs action
in full, skipped checks one line each, passing checks as a count, and at estate scale only the most
severe findings in full with the rest counted per policy (the JSON report has every finding). Jinja2
autoescaping escapes every value; links are only emitted for http(s) help URIs.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from auditor.findings import SEVERITY_ORDER, STATUS_ORDER, ScanResult, Status
from auditor.fleet_cards import PLACEMENT_STEPS
from auditor.gcpause import collector_paused
from auditor.inventory.base import normalize_id
from auditor.reporters.common import (
    baseline_text,
    calendar_text,
    horizon_summary,
    incomplete_banner,
    judged_as_of,
    policy_rows,
    safe_url,
    status_counts,
    support_end_text,
    utc_timestamp,
    visible_controls,
    waiver_notices,
)
from auditor.reporters.glance import (
    SCORE_DEFINITION,
    anchor,
    glance,
    severity_breakdown,
)
from auditor.reporters.html_layout import (
    MAX_DETAILED,
    MAX_RESOURCES,
    STATUSES_OMITTED,
    GroupView,
    layout,
)
from auditor.reporters.matrix import LEGEND, matrix
from auditor.reporters.report_data import MATRIX_PAGE, cluster_profile, report_data, table_findings
from auditor.reporters.sarif import MAX_RESULTS as SARIF_MAX_RESULTS
from auditor.reporters.sections import trend_chart, version_grid, waiver_rows
from auditor.resources import template_loader

#: Cluster profiles under the headings are open while at most this many clusters are listed; beyond, each
#: shows its one-line summary and opens on a click (closed, the browser neither styles nor lays it out).
OPEN_CARDS = 100
#: Characters of the page written at a time.
_PIECE = 1 << 20


def group_findings(result: ScanResult, *, max_detailed: int = MAX_DETAILED) -> list[GroupView]:
    """Findings grouped parent -> resource, worst group first; within a group the parent comes first."""
    return layout(result, max_detailed=max_detailed).groups


@dataclass(frozen=True)
class _Assets:
    """The report's own stylesheet and script (package files, not data), and the Content-Security-Policy
    that allows exactly them: nothing else can run or style the page, whatever a name or tag holds."""

    style: Markup
    script: Markup
    csp: str


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@cache
def _assets() -> _Assets:
    environment = _environment()
    style = environment.get_template("report.css").render()
    script = environment.get_template("report.js").render()
    csp = (
        f"default-src 'none'; style-src {_sha256(style)}; script-src {_sha256(script)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return _Assets(Markup(style), Markup(script), csp)  # noqa: S704 - our package files, never data


def _visible_controls(value: Any) -> Any:
    """Jinja's ``finalize``: each ``{{ value }}`` before escaping; our own assets (Markup) pass unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible_controls(value)
    return value


@cache
def _environment() -> Environment:
    return Environment(
        loader=template_loader("html"),
        finalize=_visible_controls,
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _no_tags(_resource_id: str) -> dict[str, str]:
    return {}


def render_html(
    result: ScanResult, *, max_detailed: int = MAX_DETAILED, max_resources: int = MAX_RESOURCES
) -> Iterator[bytes]:
    """The complete HTML document as UTF-8, about a megabyte at a time: the template's text as Jinja
    writes it, never joined into one string (at 10,000 clusters the page and the pieces it was joined
    from were ~45 MB more held; benchmarks/results/scale.md)."""
    with collector_paused():
        pieces: list[str] = []
        size = 0
        for piece in _document(result, max_detailed=max_detailed, max_resources=max_resources):
            pieces.append(piece)
            size += len(piece)
            if size >= _PIECE:
                yield "".join(pieces).encode("utf-8")
                pieces, size = [], 0
        yield "".join(pieces).encode("utf-8")


def _document(result: ScanResult, *, max_detailed: int, max_resources: int) -> Iterator[str]:
    scope = result.scan.scope
    counts = status_counts(result.findings)
    template = _environment().get_template("report.html.j2")
    page = layout(result, max_detailed=max_detailed, max_resources=max_resources, counts=counts)
    grid = matrix(result)
    listed = {anchor(resource.id) for group in page.groups for resource in group.resources}
    cards = {normalize_id(card.resource_id): card for card in result.clusters}
    horizons = {normalize_id(h.resource_id): h for h in result.horizon}
    data = report_data(result, grid, table_findings(result), listed=listed, cards=cards, horizons=horizons)
    return template.generate(
        result=result,
        banner=incomplete_banner(result),
        started=utc_timestamp(result.scan.started_at),
        finished=utc_timestamp(result.scan.finished_at),
        judged=judged_as_of(result),
        duration=round((result.scan.finished_at - result.scan.started_at).total_seconds()),
        subscriptions=scope.subscriptions,
        statuses=STATUS_ORDER,
        severities=SEVERITY_ORDER,
        read=sorted(result.scan.coverage.read.items()),
        notes=result.scan.coverage.notes,
        drift=baseline_text(result),
        waiver_notices=waiver_notices(result),
        calendar=calendar_text(result),
        horizon=horizon_summary(result),
        gaps=result.scan.coverage.gaps,
        policy_rows=sorted(policy_rows(result, counts), key=lambda row: row.sort_key),
        help_uris={policy.id: safe_url(policy.help_uri) for policy in result.policies},
        layout=page,
        assets=_assets(),
        glance=glance(result),
        score_definition=SCORE_DEFINITION,
        listed=listed,
        data=data,
        cluster_profile=cluster_profile,
        cards_open=sum(normalize_id(r.id) in cards for g in page.groups for r in g.resources) <= OPEN_CARDS,
        matrix_page=MATRIX_PAGE,
        subscription_names={s.id.lower(): s.name for s in scope.subscriptions if s.name},
        anchor=anchor,
        breakdown=severity_breakdown(result),
        regions=sorted({f.location for f in result.findings if f.location}),
        waivers=waiver_rows(result),
        trend=trend_chart(result),
        matrix=grid,
        grid=version_grid(result),
        placement_steps=PLACEMENT_STEPS,
        cards=cards,
        horizons=horizons,
        normalize_id=normalize_id,
        legend=LEGEND,
        tag_names=result.report_tags.names if result.report_tags else (),
        tags_of=result.report_tags.of if result.report_tags else _no_tags,
        today=result.scan.started_at.date(),
        omitted_statuses=STATUSES_OMITTED,
        sarif_max_results=SARIF_MAX_RESULTS,
        Status=Status,
        support_end=support_end_text,
    )
