"""Console summary: plain text a CliRunner test or a human can read."""

from __future__ import annotations

from collections.abc import Callable

from auditor.findings import ScanResult, Severity, Status
from auditor.inventory.estate import Coverage, CoverageGap
from auditor.reporters.console import MAX_FINDINGS, MAX_GAPS, render_console

MakeResult = Callable[..., ScanResult]


def test_totals_coverage_and_worst_first(result: ScanResult) -> None:
    text = render_console(result)
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert "Status:   fail 6, error 2, waived 1, skipped 1, pass 3" in lines
    assert "Failed:   critical 2, high 2, medium 0, low 1, info 1" in lines
    assert any(
        line.startswith("Coverage: INCOMPLETE - Scan incomplete: 2 gaps, 2 findings could not be evaluated")
        for line in lines
    )
    assert "  - hub my-hub-2: list memberclusters: 403 Forbidden" in lines
    top = lines.index("Top failing policies:")
    assert "FLT-002 [critical]" in lines[top + 1]
    listed = lines[lines.index("Failing findings (6, most severe first):") + 1 :]
    assert [line.split("]")[0].strip(" [") for line in listed] == [
        "critical",
        "critical",
        "high",
        "high",
        "low",
        "info",
    ]
    assert listed[0] == (
        "  [critical] AKS-002 system: "
        "Node image AKSUbuntu-2204gen2-202401.09.0 is 120 days behind the latest."
    )


def test_limits(make_result: MakeResult, result: ScanResult) -> None:
    template = next(f for f in result.findings if f.status is Status.FAIL)
    many = [template.model_copy(update={"resource_name": f"r{i}"}) for i in range(MAX_FINDINGS + 5)]
    gaps = tuple(
        CoverageGap(scope="cluster", target=f"c{i}", operation="get", reason="timeout") for i in range(12)
    )
    base = make_result(findings=many)
    scan = base.scan.model_copy(update={"coverage": Coverage(read={"clusters": 1}, gaps=gaps)})
    text = render_console(base.model_copy(update={"scan": scan}))
    assert "  ... and 5 more (see the HTML or JSON report)" in text
    assert f"  ... and {12 - MAX_GAPS} more gaps" in text
    assert text.count("  - cluster c") == MAX_GAPS


def test_complete_and_clean(make_result: MakeResult, result: ScanResult) -> None:
    text = render_console(
        make_result(complete=True, findings=[f for f in result.findings if f.status is Status.PASS])
    )
    assert "Coverage: complete (read: clusters 2, fleets 1, hubs 1, nodePools 3, subscriptions 2)" in text
    assert "Failing findings: none" in text
    assert "Top failing policies: none" in text


def test_says_when_the_estate_was_collected(make_result: MakeResult) -> None:
    lines = render_console(make_result()).splitlines()
    assert (
        lines[1]
        == "Scanned:  2024-06-03 08:00:00 UTC; estate collected / judged as of 2024-06-02 06:30:00 UTC"
    )
    base = make_result()
    live = base.model_copy(update={"scan": base.scan.model_copy(update={"evaluated_at": None})})
    assert render_console(live).splitlines()[1] == "Scanned:  2024-06-03 08:00:00 UTC"


def test_top_findings_are_the_most_severe_of_many(make_result: MakeResult, result: ScanResult) -> None:
    template = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "AKS-003")
    many = [
        template.model_copy(
            update={"resource_name": f"low-{n:05d}", "resource_id": f"{template.resource_id}-{n:05d}"}
        )
        for n in range(20_000)
    ]
    critical = template.model_copy(
        update={
            "severity": Severity.CRITICAL,
            "resource_name": "the-one",
            "resource_id": template.resource_id + "-z",
        }
    )
    text = render_console(make_result(findings=[*many, critical]))
    listed = text.split("Failing findings (20001, most severe first):\n")[1].splitlines()
    assert listed[0].startswith("  [critical] AKS-003 the-one:")
    assert [line.split()[3] for line in listed[1:MAX_FINDINGS]] == [
        f"low-{n:05d}:" for n in range(MAX_FINDINGS - 1)
    ]
    assert listed[MAX_FINDINGS] == "  ... and 19981 more (see the HTML or JSON report)"
