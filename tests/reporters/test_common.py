"""Shared helpers: selections at estate scale must equal the plain sorted-and-cut answer."""

from __future__ import annotations

import random

import pytest

from auditor.findings import Finding, ScanResult, Severity, Status
from auditor.reporters.common import (
    finding_sort_key,
    first_findings,
    most_severe,
    policy_rows,
    sort_findings,
    status_counts,
)


def shuffled(result: ScanResult, count: int, seed: int) -> list[Finding]:
    """``count`` findings with random status, severity and policy (ids unique, mixed case)."""
    rnd = random.Random(seed)
    templates = list(result.findings)
    out = []
    for n in range(count):
        template = rnd.choice(templates)
        resource_id = f"{template.resource_id}-{rnd.randrange(10_000)}-{n}"
        out.append(
            template.model_copy(
                update={
                    "status": rnd.choice(list(Status)),
                    "severity": rnd.choice(list(Severity)),
                    "resource_id": resource_id.upper() if n % 3 == 0 else resource_id,
                }
            )
        )
    return out


@pytest.mark.parametrize("count", [0, 1, 7, 40, 49, 50, 399, 400, 1000])
def test_first_findings_equals_sorted_and_cut(result: ScanResult, count: int) -> None:
    findings = shuffled(result, 400, seed=count)
    assert first_findings(findings, count) == sorted(findings, key=finding_sort_key)[:count]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sorting_in_buckets_is_one_sort_ties_included(result: ScanResult, seed: int) -> None:
    findings = shuffled(result, 400, seed=seed)
    # ties: the same resource (other case) under the same policy, status and severity keep their order
    findings += [f.model_copy(update={"resource_id": f.resource_id.swapcase()}) for f in findings[::3]]
    random.Random(seed).shuffle(findings)
    expected = sorted(findings, key=finding_sort_key)
    assert [id(f) for f in sort_findings(iter(findings))] == [id(f) for f in expected]
    assert sort_findings([]) == []


@pytest.mark.parametrize("count", [0, 1, 25, 150, 399, 400, 401])
def test_most_severe_picks_the_same_set_as_a_full_sort(result: ScanResult, count: int) -> None:
    findings = shuffled(result, 400, seed=count)

    def rank(cls: tuple[Severity, Status]) -> tuple[int, str]:
        return (-cls[0].rank, cls[1].value)

    def full_key(finding: Finding) -> tuple[int, str, str, str]:
        return (*rank((finding.severity, finding.status)), finding.policy_id, finding.resource_id.lower())

    chosen = most_severe(findings, count, rank)
    expected = sorted(findings, key=full_key)[:count]
    assert len(chosen) == len(expected)
    assert {id(finding) for finding in chosen} == {id(finding) for finding in expected}


def test_policy_rows_count_every_status_and_add_stand_ins(result: ScanResult) -> None:
    orphan = result.findings[2].model_copy(update={"policy_id": "ZZZ-999", "title": "Orphan"})
    changed = result.model_copy(update={"findings": (orphan, *result.findings)})
    rows = policy_rows(changed)
    assert [row.policy.id for row in rows] == [*(policy.id for policy in result.policies), "ZZZ-999"]
    assert rows[-1].policy.title == "Orphan"
    for row in rows:
        mine = [f for f in changed.findings if f.policy_id == row.policy.id]
        assert row.counts == {status: sum(f.status is status for f in mine) for status in Status}
    assert policy_rows(changed, status_counts(changed.findings)) == rows
