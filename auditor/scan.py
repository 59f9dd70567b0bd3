"""The core of a scan: Estate + configured policies -> ScanResult. No I/O, no clients."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from auditor import __version__
from auditor.findings import ScanInfo, ScanResult, Severity, Summary, ToolInfo
from auditor.gates.waivers import Waiver, apply_waivers
from auditor.inventory import Estate
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import ConfiguredPolicy
from auditor.timeutil import as_utc


def evaluation_time(estate: Estate) -> datetime:
    """Time-relative rules (image age, heartbeats) judge the estate as of its collection time.

    A live scan collects just before evaluating, so this is "now"; a saved snapshot is judged as it was
    when collected, so re-evaluating it later gives the same findings.
    """
    return as_utc(estate.collected_at)


def run_scan(
    estate: Estate,
    policies: Sequence[ConfiguredPolicy],
    *,
    started_at: datetime,
    fail_on: Severity | None,
    waivers: tuple[Waiver, ...] = (),
) -> ScanResult:
    """Evaluate, then apply waivers as of the scan's own start (an expired waiver stops applying)."""
    evaluator = Evaluator(policies, evaluation_time(estate))
    findings = apply_waivers(evaluator.evaluate(estate), waivers, started_at)
    return ScanResult(
        tool=ToolInfo(version=__version__),
        scan=ScanInfo(
            started_at=started_at,
            finished_at=datetime.now(UTC),
            source=estate.source,
            scope=estate.scope,
            coverage=estate.coverage,
            fail_on=fail_on,
            evaluated_at=evaluation_time(estate),
        ),
        policies=evaluator.refs,
        findings=findings,
        summary=Summary.of(findings),
    )
