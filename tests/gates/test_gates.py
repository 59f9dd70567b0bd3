"""Gates: exit codes from results, and waivers that expire."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, InputError
from auditor.findings import ScanResult, Severity, Status
from auditor.gates.threshold import exit_code
from auditor.gates.waivers import Waiver, load_waivers
from auditor.inventory import Estate
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan

from ..conftest import cluster_id, compliant_catalog, compliant_cluster, estate_document

POLICIES = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())


def scan(
    clusters: list[dict[str, Any]],
    waivers_text: str | None = None,
    tmp_path: Path | None = None,
    today: datetime = datetime(2026, 6, 2, tzinfo=UTC),
    **estate: object,
) -> ScanResult:
    waivers: tuple[Waiver, ...] = ()
    if waivers_text is not None and tmp_path is not None:
        path = tmp_path / "waivers.yaml"
        path.write_text(waivers_text, encoding="utf-8")
        waivers = load_waivers(path)
    document = estate_document(clusters=clusters, catalogs=[compliant_catalog()], **estate)
    return run_scan(
        Estate.model_validate(document), POLICIES, started_at=today, fail_on=Severity.HIGH, waivers=waivers
    )


def stale() -> dict[str, Any]:
    cluster = compliant_cluster("stale") | {
        "currentKubernetesVersion": "1.30.2",
        "kubernetesVersion": "1.30.2",
    }
    cluster["nodePools"][0]["currentOrchestratorVersion"] = "1.30.2"
    return cluster


def test_exit_code_thresholds() -> None:
    clean = scan([compliant_cluster()])
    failing = scan([stale()])
    assert exit_code(clean, Severity.HIGH) == EXIT_OK
    assert exit_code(failing, Severity.HIGH) == EXIT_FINDINGS
    # 1.30 left support on 2025-08-22 (packaged calendar): AKS-013 is critical, the rest high at most
    assert exit_code(failing, Severity.CRITICAL) == EXIT_FINDINGS
    assert {f.policy_id for f in failing.findings if f.severity is Severity.CRITICAL} == {"AKS-013"}
    assert exit_code(failing, None) == EXIT_OK


def test_incomplete_wins_and_skipped_does_not_count() -> None:
    gap = {
        "gaps": [
            {"scope": "region", "target": "westus", "operation": "kubernetesVersions", "reason": "timeout"}
        ]
    }
    assert exit_code(scan([stale()], coverage=gap), Severity.HIGH) == EXIT_INCOMPLETE
    skipped_only = scan([compliant_cluster()])
    assert any(f.status is Status.SKIPPED for f in skipped_only.findings)
    assert exit_code(skipped_only, Severity.INFO) == EXIT_OK


WAIVER = """\
waivers:
  - policy: AKS-001
    resource: "*/managedclusters/stale"
    reason: migration to 1.33 booked for June
    expires: 2026-06-30
    approvedBy: security-team
"""


def test_active_waiver_turns_the_failure_into_waived_and_clears_the_gate(tmp_path: Path) -> None:
    result = scan([stale()], WAIVER, tmp_path)
    by_policy = {f.policy_id: f for f in result.findings if f.resource_id == cluster_id("stale")}
    assert by_policy["AKS-001"].status is Status.WAIVED
    waiver = by_policy["AKS-001"].waiver
    assert waiver is not None and waiver.reason == "migration to 1.33 booked for June"
    assert "waiver" not in by_policy["AKS-001"].evidence  # the policy's evidence stays the policy's
    assert result.summary.by_status[Status.WAIVED] == 1
    # AKS-002 (the pool) is not waived, so the gate still fails on it
    assert exit_code(result, Severity.HIGH) == EXIT_FINDINGS


def test_expired_waiver_no_longer_applies(tmp_path: Path) -> None:
    result = scan([stale()], WAIVER, tmp_path, today=datetime(2026, 7, 1, tzinfo=UTC))
    statuses = {f.policy_id: f.status for f in result.findings}
    assert statuses["AKS-001"] is Status.FAIL


def test_errors_cannot_be_waived(tmp_path: Path) -> None:
    broken = compliant_cluster("stale") | {"currentKubernetesVersion": "latest"}
    result = scan([broken], WAIVER, tmp_path)
    assert {f.status for f in result.findings if f.policy_id == "AKS-001"} == {Status.ERROR}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "waivers:\n  - policy: AKS-001\n    resource: '*'\n    reason: x\n",
            "waivers.0.expires: Field required",
        ),
        (
            "waivers:\n  - {policy: A, resource: '*', reason: ' ', expires: 2026-01-01}\n",
            'waivers.0.reason: a waiver needs a reason (got " ")',
        ),
        ("waivers: [\n", "not valid YAML at line 2"),
        (
            "waivers:\n  - {policy: A, resource: '*', reason: r, expires: soon}\n",
            "waivers.0.expires: Input should be a valid date",
        ),
    ],
)
def test_bad_waiver_files_are_one_line_input_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert expected in raised.value.message and "\n" not in raised.value.message
