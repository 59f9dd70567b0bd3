"""Waivers, finished: scopes (subscription, resource group, tags), expired and stale waivers listed in
every format, unknown policy ids and far-off expiries refused."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.errors import InputError
from auditor.findings import Status
from auditor.gates.waivers import load_waivers

from ..conftest import compliant_catalog, compliant_cluster, estate_document, run_cli

PROD = "11111111-0000-0000-0000-000000000001"
TEST = "22222222-0000-0000-0000-000000000002"


def stale(name: str, subscription: str, group: str, tags: dict[str, str]) -> dict[str, Any]:
    cluster = compliant_cluster(name) | {
        "id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/managedClusters/{name}",
        "currentKubernetesVersion": "1.34.1",
        "kubernetesVersion": "1.34.1",
        "tags": tags,
    }
    cluster["nodePools"][0]["currentOrchestratorVersion"] = "1.34.1"
    return cluster  # AKS-004 fails (patch not offered)


def scan(tmp_path: Path, waivers: str, *extra: str) -> tuple[int, str, str, Path]:
    clusters = [
        stale("p1", PROD, "rg-prod", {"env": "prod"}),
        stale("t1", TEST, "rg-aks-test", {"env": "test", "team": "core"}),
        stale("t2", TEST, "rg-other", {}),
    ]
    inventory = tmp_path / "estate.json"
    inventory.write_text(
        json.dumps(estate_document(clusters=clusters, catalogs=[compliant_catalog()])), encoding="utf-8"
    )
    file = tmp_path / "waivers.yaml"
    file.write_text(waivers, encoding="utf-8")
    out = tmp_path / "r"
    code, stdout, err = run_cli(
        "scan", "--inventory", str(inventory), "--waivers", str(file), "--output-dir", str(out), "--fail-on", "none",
        *(f for fmt in ("json", "sarif", "html", "markdown", "junit") for f in ("--format", fmt)), *extra,
    )  # fmt: skip
    return code, stdout, err, out


def waived(out: Path) -> set[str]:
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    return {f["resourceName"] for f in result["findings"] if f["status"] == Status.WAIVED.value}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (f"subscription: '{TEST[:8]}-*'", {"t1", "t2"}),
        ("resourceGroup: RG-AKS-TEST", {"t1"}),  # case-insensitive, like Azure
        ("tags: {env: test}", {"t1"}),
        ("tags: {team: '*'}", {"t1"}),
        ("tags: {env: test, team: platform}", set()),  # every tag must match; no tags never match
        (f"subscription: '{TEST}'\n    tags: {{env: prod}}", set()),
    ],
)
def test_waivers_scoped_by_subscription_group_and_tags(
    tmp_path: Path, selector: str, expected: set[str]
) -> None:
    waivers = f"waivers:\n  - policy: AKS-004\n    {selector}\n    reason: patch rollout next week\n    expires: 2099-01-01\n"
    code, _, err, out = scan(tmp_path, waivers)
    assert (code, err) == (0, "")
    assert waived(out) == expected


def test_expired_and_stale_waivers_are_listed_in_every_format(tmp_path: Path) -> None:
    waivers = """\
waivers:
  - {policy: AKS-004, resource: "*/managedclusters/p1", reason: freeze, expires: 2026-01-31, approvedBy: cab}
  - {policy: AKS-006, resource: "*/managedclusters/t1", reason: manual upgrades, expires: 2099-01-01}
  - {policy: AKS-004, resource: "*/managedclusters/t1", reason: rollout, expires: 2099-01-01}
"""
    code, stdout, err, out = scan(tmp_path, waivers)
    assert (code, err) == (0, "")
    expired = "expired 2026-01-31: AKS-004 */managedclusters/p1 — freeze, approved by cab (no longer waives)"
    stale = "stale (matched nothing): AKS-006 */managedclusters/t1 — manual upgrades, until 2099-01-01"
    assert f"Waiver:   {expired}" in stdout and f"Waiver:   {stale}" in stdout
    assert waived(out) == {"t1"}  # the expired one waives nothing: p1 fails again
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["waivers"]["applied"] == 1
    assert [w["waiver"] for w in result["waivers"]["expired"]] == ["AKS-004 */managedclusters/p1"]
    assert [w["expires"] for w in result["waivers"]["stale"]] == ["2099-01-01"]
    for name in ("aks-auditor.md", "aks-auditor.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert "expired 2026-01-31: AKS-004" in text and "stale (matched nothing): AKS-006" in text, name
    sarif = json.loads((out / "aks-auditor.sarif").read_text(encoding="utf-8"))
    notes = [n["message"]["text"] for n in sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert expired in notes and stale in notes
    suites = ET.parse(out / "aks-auditor.junit.xml").getroot()
    (suite,) = [s for s in suites if s.get("name") == "aks-auditor waivers"]
    assert [c.find("skipped").get("message") for c in suite] == [expired, stale]  # type: ignore[union-attr]
    assert int(suites.get("tests", "0")) == sum(int(s.get("tests", "0")) for s in suites)


def test_a_waiver_for_a_policy_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    waivers = "waivers:\n  - {policy: AKS-04, resource: '*', reason: typo, expires: 2099-01-01}\n"
    code, out, err, report = scan(tmp_path, waivers)
    assert (code, out) == (2, "")
    assert err == (
        f"aks-auditor: error: {tmp_path / 'waivers.yaml'}: waivers[0].policy: no policy 'AKS-04' (a typo waives "
        "nothing, silently)\n"
    )
    assert not report.exists()


def test_max_waiver_days_refuses_far_off_expiries(tmp_path: Path) -> None:
    waivers = "waivers:\n  - {policy: AKS-004, resource: '*', reason: later, expires: 2099-01-01}\n"
    code, _, err, _ = scan(tmp_path, waivers, "--max-waiver-days", "90")
    assert code == 2
    assert err.endswith("waivers[0].expires: 2099-01-01 is more than 90 days away (--max-waiver-days 90)\n")
    path = tmp_path / "near.yaml"
    path.write_text("waivers:\n  - {policy: AKS-004, reason: soon, expires: 2026-12-20}\n", encoding="utf-8")
    (near,) = load_waivers(path, max_days=90, today=date(2026, 12, 3))
    assert near.resource == "*"  # the id glob defaults to every resource
    with pytest.raises(InputError):
        load_waivers(path, max_days=10, today=datetime(2026, 12, 3, tzinfo=UTC).date())
