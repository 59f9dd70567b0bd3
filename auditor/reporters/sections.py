"""The HTML report's sections beyond the glance that are derived from the result: the waivers (applied,
expired, stale) and the trend of the stored scans as SVG coordinates. Pure functions of a ScanResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from auditor.findings import SEVERITY_ORDER, HistoryPoint, ScanResult, Severity, Status


@dataclass
class WaiverRow:
    """One waiver as the report lists it: ``applied`` (with the findings it waives), ``expired`` (no
    longer waives) or ``stale`` (active, matched nothing)."""

    state: str
    reason: str
    expires: date
    approved_by: str | None
    #: The waiver's scope as written (policy, resource glob, ...); None for an applied one (the findings
    #: carry only the note).
    waiver: str | None = None
    findings: int = 0
    policies: set[str] = field(default_factory=set)

    def days_left(self, today: date) -> int:
        return (self.expires - today).days


def waiver_rows(result: ScanResult) -> list[WaiverRow]:
    """Applied waivers (grouped by their note: reason, expiry, approver), then expired, then stale; None
    of them without a waiver file."""
    report = result.waivers
    if report is None:
        return []
    applied: dict[tuple[str, date, str | None], WaiverRow] = {}
    for finding in result.findings:
        note = finding.waiver
        if finding.status is Status.WAIVED and note is not None:
            key = (note.reason, note.expires, note.approved_by)
            row = applied.setdefault(key, WaiverRow("applied", note.reason, note.expires, note.approved_by))
            row.findings += 1
            row.policies.add(finding.policy_id)
    listed = [
        WaiverRow(state, item.reason, item.expires, item.approved_by, waiver=item.waiver)
        for state, items in (("expired", report.expired), ("stale", report.stale))
        for item in items
    ]
    return sorted(applied.values(), key=lambda r: (r.expires, r.reason)) + listed


@dataclass(frozen=True)
class TrendLine:
    severity: Severity
    #: SVG polyline points: "x,y x,y ..."
    points: str
    last: int


@dataclass(frozen=True)
class TrendChart:
    """Failing findings per severity over the stored scans, as SVG coordinates (drawn by the template;
    the same numbers are in a table beside it)."""

    width: int
    height: int
    pad: int
    top: int
    lines: list[TrendLine]
    #: (x, label) of the first and the last scan.
    ticks: list[tuple[float, str]]
    points: list[HistoryPoint]


def trend_chart(result: ScanResult, width: int = 720, height: int = 220, pad: int = 36) -> TrendChart | None:
    """None without a history store."""
    if result.history is None or not result.history.trend:
        return None
    points = list(result.history.trend)
    top = max([1, *(n for p in points for n in p.failed_by_severity.values())])
    span = width - 2 * pad

    def x(index: int) -> float:
        return pad + (span / 2 if len(points) == 1 else span * index / (len(points) - 1))

    def y(count: int) -> float:
        return height - pad - (height - 2 * pad) * count / top

    lines = [
        TrendLine(
            severity,
            " ".join(
                f"{x(i):.1f},{y(p.failed_by_severity.get(severity, 0)):.1f}" for i, p in enumerate(points)
            ),
            points[-1].failed_by_severity.get(severity, 0),
        )
        for severity in SEVERITY_ORDER
        if any(p.failed_by_severity.get(severity, 0) for p in points)
    ]
    ticks = [(x(0), points[0].started_at.strftime("%Y-%m-%d"))]
    if len(points) > 1:
        ticks.append((x(len(points) - 1), points[-1].started_at.strftime("%Y-%m-%d")))
    return TrendChart(width, height, pad, top, lines, ticks, points)
