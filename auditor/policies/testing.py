"""Run the test cases a policy file carries: a small estate and the verdict expected per resource."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditor.errors import PolicyError, describe_validation_error
from auditor.findings import Finding, Status
from auditor.inventory import Estate
from auditor.inventory.base import normalize_id
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import TESTS_SUFFIX, ConfiguredPolicy, PolicySource, param_type_problem
from auditor.policies.model import PolicyTest
from auditor.release_calendar import ReleaseCalendar
from auditor.timeutil import as_utc
from auditor.yaml_file import read_yaml

#: Scan time for test cases that do not set ``now`` (fixed, so results never depend on the day).
DEFAULT_TEST_NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Mismatch:
    """One resource whose verdict differs from the case's expectation (``got`` None: no single finding)."""

    key: str
    expected: Status
    got: Finding | None
    found: int = 1

    def __str__(self) -> str:
        if self.got is None:
            return f"{self.key}: expected {self.expected.value}, found {self.found} findings for it"
        return f"{self.key}: expected {self.expected.value}, got {self.got.status.value}: {self.got.message}"


@dataclass(frozen=True)
class CaseResult:
    policy_id: str
    case: str
    mismatches: tuple[Mismatch, ...]
    findings: tuple[Finding, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(str(m) for m in self.mismatches)

    @property
    def ok(self) -> bool:
        return not self.mismatches


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
    for name, value in case.params.items():
        declared = spec.parameters[name]
        problem = param_type_problem(declared.type, value) or declared.bounds_problem(value)
        if problem:
            raise PolicyError(f"{source.path}: {spec.id}: tests[{case.name}].params.{name}: {problem}")
    params = {name: p.default for name, p in spec.parameters.items()} | case.params
    now = as_utc(case.now or DEFAULT_TEST_NOW)
    calendar = (
        ReleaseCalendar(as_of=now.date(), source=f"{source.path} tests[{case.name}]", releases=case.calendar)
        if case.calendar is not None
        else None
    )
    evaluator = Evaluator([ConfiguredPolicy(source, params)], now, calendar)
    findings = evaluator.evaluate(_estate(source, case, now))
    mismatches = []
    for key, expected in case.expect.items():
        matched = _match(findings, key)
        if len(matched) != 1:
            mismatches.append(Mismatch(key, expected, None, len(matched)))
        elif matched[0].status is not expected:
            mismatches.append(Mismatch(key, expected, matched[0]))
    return CaseResult(spec.id, case.name, tuple(mismatches), findings)


def extra_cases_file(source: PolicySource) -> Path:
    """``ID.tests.yaml`` beside the policy file: test cases too big to sit inline."""
    return source.path.with_name(f"{source.spec.id}{TESTS_SUFFIX}{source.path.suffix}")


def policy_cases(source: PolicySource) -> tuple[PolicyTest, ...]:
    """The policy's inline ``tests:`` and those of its ``ID.tests.yaml`` (a list, or ``tests:`` of one)."""
    path = extra_cases_file(source)
    if not path.is_file():
        return source.spec.tests
    raw = read_yaml(path, PolicyError, what="test case file")
    items = raw.get("tests") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise PolicyError(f"{path}: expected a list of test cases (or tests: [...])")
    cases = []
    for index, item in enumerate(items):
        try:
            cases.append(PolicyTest.model_validate(item))
        except ValidationError as error:
            raise PolicyError(
                f"{path}: {source.spec.id}: tests.{index}: {describe_validation_error(error)}"
            ) from None
    extra = tuple(cases)
    names = [case.name for case in (*source.spec.tests, *extra)]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise PolicyError(f"{path}: {source.spec.id}: test case name(s) used twice: {', '.join(twice)}")
    return (*source.spec.tests, *extra)


def run_policy_tests(source: PolicySource) -> list[CaseResult]:
    return [run_case(source, case) for case in policy_cases(source)]
