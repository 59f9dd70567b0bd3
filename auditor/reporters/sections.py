"""The HTML report's sections beyond the glance that are derived from the result: the waivers (applied,
expired, stale) and the trend of the stored scans as SVG coordinates. Pure functions of a ScanResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from auditor.findings import SEVERITY_ORDER, HistoryPoint, ScanResult, Severity, Status
from auditor.landscape import minor_key


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


@dataclass(frozen=True)
class GridCell:
    minor: str
    clusters: int
    supported: bool | None
    #: SVG centre and radius of the dot (radius 0: no cluster on this minor here).
    x: float
    y: float
    r: float


@dataclass(frozen=True)
class VersionGrid:
    """Regions by minors as SVG geometry: a band over each region's supported minors, a dot per
    (region, minor) sized by its clusters; minors whose community support has ended are marked."""

    width: int
    height: int
    minors: list[tuple[str, float, bool]]  # (minor, x, ended)
    rows: list[tuple[str, float, list[GridCell], tuple[float, float] | None]]  # region, y, cells, band
    left: int
    step: int


def version_grid(result: ScanResult, left: int = 130, step: int = 56, row: int = 40) -> VersionGrid | None:
    land = result.landscape
    if land is None or not land.regions:
        return None
    minors = sorted(
        {m for r in land.regions for m in r.clusters} | {m for r in land.regions for m in r.supported or ()},
        key=minor_key,
    )
    ended_before = result.scan.evaluated_at or result.scan.started_at
    calendar = result.scan.calendar.minors if result.scan.calendar else {}

    def ended(minor: str) -> bool:
        entry = calendar.get(minor)
        return bool(entry and entry.end_of_support and entry.end_of_support < ended_before.date())

    xs = {m: left + step * i + step / 2 for i, m in enumerate(minors)}
    top = max((r.clusters.get(m, 0) for r in land.regions for m in minors), default=1) or 1
    rows = []
    for index, region in enumerate(land.regions):
        y = 34 + row * index + row / 2
        supported = set(region.supported or ())
        cells = [
            GridCell(
                minor=m,
                clusters=region.clusters.get(m, 0),
                supported=None if region.supported is None else m in supported,
                x=xs[m],
                y=y,
                r=0 if not region.clusters.get(m) else 5 + 11 * (region.clusters[m] / top) ** 0.5,
            )
            for m in minors
        ]
        inside = [xs[m] for m in minors if m in supported]
        band = (min(inside) - step / 2 + 3, max(inside) + step / 2 - 3) if inside else None
        rows.append((region.region, y, cells, band))
    return VersionGrid(
        width=left + step * len(minors) + 10,
        height=34 + row * len(land.regions) + 8,
        minors=[(m, xs[m], ended(m)) for m in minors],
        rows=rows,
        left=left,
        step=step,
    )
