"""Run the test cases a policy file carries: a small estate and the verdict expected per resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from auditor.errors import PolicyError, describe_validation_error
from auditor.findings import Finding
from auditor.inventory import Estate
from auditor.inventory.base import normalize_id
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import ConfiguredPolicy, PolicySource
from auditor.policies.model import PolicyTest
from auditor.timeutil import as_utc

#: Scan time for test cases that do not set ``now`` (fixed, so results never depend on the day).
DEFAULT_TEST_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class CaseResult:
    policy_id: str
    case: str
    problems: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _estate(source: PolicySource, case: PolicyTest, now: datetime) -> Estate:
    raw: dict[str, Any] = {"collectedAt": now.isoformat(), "source": "policy-test", **case.estate}
    try:
        return Estate.model_validate(raw)
    except ValidationError as error:
        raise PolicyError(
            f"{source.path}: {source.spec.id}: tests[{case.name}].estate: {describe_validation_error(error)}"
        ) from None


def _match(findings: tuple[Finding, ...], key: str) -> list[Finding]:
    wanted = normalize_id(key)
    by_id = [f for f in findings if normalize_id(f.resource_id) == wanted]
    return by_id or [f for f in findings if f.resource_name == key]


def run_case(source: PolicySource, case: PolicyTest) -> CaseResult:
    spec = source.spec
    unknown = sorted(set(case.params) - set(spec.parameters))
    if unknown:
        raise PolicyError(
            f"{source.path}: {spec.id}: tests[{case.name}].params: unknown parameter(s) {unknown}"
        )
    params = {name: p.default for name, p in spec.parameters.items()} | case.params
    now = as_utc(case.now or DEFAULT_TEST_NOW)
    findings = Evaluator([ConfiguredPolicy(source, params)], now).evaluate(_estate(source, case, now))
    problems = []
    for key, expected in case.expect.items():
        matched = _match(findings, key)
        if len(matched) != 1:
            problems.append(f"{key}: expected {expected.value}, found {len(matched)} findings for it")
        elif matched[0].status is not expected:
            problems.append(
                f"{key}: expected {expected.value}, got {matched[0].status.value}: {matched[0].message}"
            )
    return CaseResult(spec.id, case.name, tuple(problems), findings)


def run_policy_tests(source: PolicySource) -> list[CaseResult]:
    return [run_case(source, case) for case in source.spec.tests]
