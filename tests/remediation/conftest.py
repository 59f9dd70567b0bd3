"""The demo estate scanned once, and a planner call that takes options as keywords."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from auditor.demo import load_demo_estate
from auditor.findings import ScanResult
from auditor.inventory import Estate
from auditor.policies.listing import available_policies
from auditor.policies.loader import Selection, configure
from auditor.release_calendar import CalendarChoice
from auditor.remediation.plan import PlanOptions, RemediationPlan
from auditor.remediation.planner import build_plan
from auditor.scan import run_scan

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def scan(estate: Estate) -> ScanResult:
    policies = configure(available_policies(()), Selection(enable=frozenset({"FLEET-005"})))
    # the estates here are the demo and variations of it: judged with the demo's own calendar
    return run_scan(estate, policies, started_at=NOW, fail_on=None, calendar=CalendarChoice.demo())


@pytest.fixture(scope="session")
def demo() -> tuple[Estate, ScanResult]:
    estate = load_demo_estate()
    return estate, scan(estate)


Plan = Callable[..., RemediationPlan]


@pytest.fixture
def plan(demo: tuple[Estate, ScanResult]) -> Plan:
    def make(estate: Estate | None = None, **options: Any) -> RemediationPlan:
        chosen = estate or demo[0]
        result = demo[1] if estate is None else scan(chosen)
        return build_plan(chosen, result, PlanOptions(**options), NOW)

    return make
