"""Every built-in policy's own test cases, run by one generic test; and a test that each policy has some."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from auditor.findings import Status
from auditor.policies.loader import PolicySource, load_policy_dirs
from auditor.resources import builtin_policies_dir

from ..conftest import run_cli

SOURCES = load_policy_dirs(builtin_policies_dir(), [])
CASES = [(source, case) for source in SOURCES for case in source.spec.tests]

#: The public API: these ids, names, kinds and severities are documented and must not drift silently.
EXPECTED = {
    "AKS-001": ("supported-kubernetes-version", ("cluster",), "high"),
    "AKS-002": ("node-pool-supported-version", ("nodePool",), "high"),
    "AKS-003": ("no-skipped-minors", ("cluster",), "high"),
    "AKS-004": ("patch-currency", ("cluster",), "medium"),
    "AKS-005": ("lts-requires-premium", ("cluster",), "high"),
    "AKS-006": ("auto-upgrade-channel-set", ("cluster",), "medium"),
    "AKS-007": ("node-os-upgrade-channel-set", ("cluster",), "medium"),
    "AKS-008": ("node-image-age", ("nodePool",), "medium"),
    "AKS-009": ("node-image-latest", ("nodePool",), "low"),
    "AKS-010": ("auto-upgrade-window", ("cluster",), "medium"),
    "AKS-011": ("node-os-window", ("cluster",), "medium"),
    "AKS-012": ("window-effective", ("cluster",), "low"),
    "AKS-013": ("end-of-support-horizon", ("cluster",), "medium"),
    "AKS-014": ("channel-reaches-support", ("cluster",), "high"),
    "AKS-015": ("next-window-within-reach", ("cluster",), "low"),
    "FLEET-001": ("member-joined", ("memberCluster",), "high"),
    "FLEET-002": ("placement-applied", ("placement",), "high"),
    "FLEET-003": ("update-run-no-skipped-minor", ("updateRun", "autoUpgradeProfile"), "high"),
    "FLEET-004": ("last-update-run-succeeded", ("fleet",), "medium"),
    "FLEET-005": ("cluster-in-fleet", ("cluster",), "info"),
}


def test_every_builtin_case_passes_through_policies_test_and_reaches_every_outcome(tmp_path: Path) -> None:
    """The same command policy authors run: every case, coverage required, JUnit for CI."""
    junit_file = tmp_path / "policies.junit.xml"
    code, out, err = run_cli(
        "policies", "test", str(builtin_policies_dir()), "--require-outcomes", "--junit", str(junit_file)
    )
    assert (code, err) == (0, ""), out
    lines = out.splitlines()
    assert sorted(line for line in lines if line.startswith("PASS ")) == sorted(
        f"PASS {s.spec.id} {c.name}" for s, c in CASES
    )
    assert not [line for line in lines if "missing:" in line]
    assert lines[-1] == f"{len(CASES)} passed, 0 failed in {len(SOURCES)} policies"
    suites = ET.parse(junit_file).getroot()
    assert sum(int(suite.get("tests", "0")) for suite in suites) == len(CASES)


@pytest.mark.parametrize("source", SOURCES, ids=[s.spec.id for s in SOURCES])
def test_policy_has_pass_and_fail_cases(source: PolicySource) -> None:
    expected = {status for case in source.spec.tests for status in case.expect.values()}
    assert source.spec.tests, f"{source.path} has no test cases"
    assert {Status.PASS, Status.FAIL} <= expected, f"{source.spec.id} must test both a pass and a fail"


def test_builtin_policy_ids_are_the_public_api() -> None:
    found = {
        s.spec.id: (s.spec.name, tuple(k.value for k in s.spec.resource), s.spec.severity.value)
        for s in SOURCES
    }
    assert found == EXPECTED
    disabled = {s.spec.id for s in SOURCES if not s.spec.enabled}
    assert disabled == {"FLEET-005", "AKS-015"}


def test_policies_needing_collected_data_test_the_error_path() -> None:
    # No false pass: each policy whose data may be missing proves that missing data is an error.
    needs_error_case = {
        "AKS-001",
        "AKS-002",
        "AKS-003",
        "AKS-004",
        "AKS-008",
        "AKS-009",
        "AKS-010",
        "AKS-011",
        "AKS-012",
        "FLEET-001",
        "FLEET-002",
        "FLEET-003",
        "FLEET-004",
    }
    for source in SOURCES:
        if source.spec.id in needs_error_case:
            statuses = {s for case in source.spec.tests for s in case.expect.values()}
            assert Status.ERROR in statuses, f"{source.spec.id} has no error case"
