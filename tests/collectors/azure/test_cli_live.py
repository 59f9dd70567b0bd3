"""`aks-auditor scan` (live by default) and `aks-auditor collect` against the fake ARM, through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.arm import FakeArm
from tests.fakes.arm_estate import (
    SUBSCRIPTION,
    ArmEstate,
    cluster_arm_id,
    generated_estate,
    norm,
    subscription_id,
)

from ...conftest import run_cli as run

PREMIUM = cluster_arm_id(SUBSCRIPTION, "rg1", "premium1")
WINDOW_POLICIES = {"AKS-010", "AKS-011", "AKS-012"}


def live_scan(fake: FakeArm, out: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    code, _, err = run(
        "scan", "--arm-endpoint", fake.base, "--format", "json", "--output-dir", str(out), *extra
    )
    report = out / "aks-auditor.json"
    return code, json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}, err


def verdicts(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(f["policyId"], f["resourceId"]): f["status"] for f in report["findings"]}


def test_collect_then_scan_gives_the_findings_of_a_live_scan(arm: FakeArm, tmp_path: Path) -> None:
    snapshot = tmp_path / "estate.json"
    code, out, err = run("collect", "--output", str(snapshot), "--arm-endpoint", arm.base)
    assert (code, err) == (0, "")
    assert out == f"collected 2 clusters, 1 fleets from 1 subscriptions; 0 coverage gaps -> {snapshot}\n"
    assert json.loads(snapshot.read_text(encoding="utf-8"))["source"] == "azure"
    code_live, live, _ = live_scan(arm, tmp_path / "live")
    code_saved, _, _ = run(
        "scan", "--inventory", str(snapshot), "--format", "json", "--output-dir", str(tmp_path / "saved")
    )
    saved = json.loads((tmp_path / "saved" / "aks-auditor.json").read_text(encoding="utf-8"))
    assert verdicts(live) == verdicts(saved)
    assert len(verdicts(live)) > 20
    assert code_live == code_saved == 1  # the examples run Kubernetes 1.9: failing, and complete


def test_denied_subscription_exits_3_unless_partial_is_allowed(
    start_arm: Callable[[ArmEstate], FakeArm], tmp_path: Path
) -> None:
    fake = start_arm(generated_estate(clusters=6, subscriptions=3))
    fake.forbidden_subscriptions.add(subscription_id(1))
    scope = [arg for i in range(3) for arg in ("--subscription", subscription_id(i))]
    code, report, _ = live_scan(fake, tmp_path / "strict", *scope)
    assert code == 3
    [gap] = report["scan"]["coverage"]["gaps"]
    assert (gap["scope"], gap["target"]) == ("subscription", subscription_id(1))
    assert {f["subscriptionId"] for f in report["findings"] if f["resourceKind"] == "cluster"} == {
        subscription_id(0),
        subscription_id(2),
    }
    code, report, _ = live_scan(fake, tmp_path / "partial", *scope, "--allow-partial")
    assert code == 1  # the failing findings decide; the gap is still reported
    assert len(report["scan"]["coverage"]["gaps"]) == 1
    snapshot = str(tmp_path / "estate.json")
    code, out, err = run("collect", "-o", snapshot, "--arm-endpoint", fake.base, *scope)
    assert code == 3 and "; 1 coverage gaps -> " in out
    assert err.startswith(f"gap: subscription {subscription_id(1)}: resourcegraph:subscriptions: HTTP 403 ")
    assert run("collect", "-o", snapshot, "--arm-endpoint", fake.base, *scope, "--allow-partial")[0] == 0


def test_maintenance_forbidden_makes_the_window_policies_error(arm: FakeArm, tmp_path: Path) -> None:
    arm.forbidden_maintenance.add(norm(PREMIUM))
    code, report, _ = live_scan(arm, tmp_path / "r", "--allow-partial")
    assert code == 3  # findings that could not be evaluated: not excused by --allow-partial
    windows = {k: v for k, v in verdicts(report).items() if k[0] in WINDOW_POLICIES}
    assert {v for (_, resource), v in windows.items() if resource == PREMIUM} == {"error"}
    assert "error" not in {v for (_, resource), v in windows.items() if resource != PREMIUM}


def test_verbose_logs_each_call_without_secrets(arm: FakeArm, tmp_path: Path) -> None:
    code, _, err = run("collect", "-o", str(tmp_path / "e.json"), "--arm-endpoint", arm.base, "-v", "-q")
    assert code == 0
    lines = err.splitlines()
    assert "aks-auditor: POST /providers/Microsoft.ResourceGraph/resources 200" in "\n".join(lines)
    assert any(
        line.startswith("aks-auditor: GET /subscriptions/") and "/maintenanceConfigurations 200 " in line
        for line in lines
    )
    assert (
        len([line for line in lines if line.startswith("aks-auditor: ")]) == len(arm.calls()) - 1
    )  # no token
    assert "fake-arm-token" not in err and "Bearer" not in err and "api-version" not in err


def test_credential_failure_is_one_error_line_and_exit_3(
    arm: FakeArm, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")  # the identity endpoint answers 401
    for scope in ([], ["--subscription", SUBSCRIPTION]):
        code, out, err = run("collect", "-o", str(tmp_path / "e.json"), "--arm-endpoint", arm.base, *scope)
        assert code == 3 and out == ""
        first, hint = err.splitlines()
        assert first.startswith("aks-auditor: error: Azure authentication failed: ")
        assert hint.startswith("aks-auditor: hint: sign in (az login)")
        assert not (tmp_path / "e.json").exists()
    assert arm.calls("graph") == []


def test_bad_option_values_exit_2(arm: FakeArm) -> None:
    for args, expected in (
        (["collect", "-o", "e.json", "--arm-endpoint", "management.azure.com"], "expected an https:// URL"),
        (
            ["collect", "-o", "e.json", "--arm-audience", "ftp://x"],
            "--arm-audience 'ftp://x': expected an https",
        ),
        (["scan", "--workers", "0"], "Invalid value for '--workers'"),
        (["scan", "--cloud", "Mars"], "Invalid value for '--cloud'"),
    ):
        code, _, err = run(*args)
        assert code == 2 and expected in err and "Traceback" not in err, (args, err)
        if args[0] == "collect":  # ours: one line (click's own usage errors keep click's format)
            assert err.count("\n") == 1
    assert arm.log == []


def test_endpoint_from_environment(arm: FakeArm, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", arm.base)
    code, _, _ = run("collect", "-o", str(tmp_path / "e.json"), "-q")
    assert code == 0 and len(arm.calls("graph")) == 7


def test_cloud_and_audience_decide_the_token_resource(arm: FakeArm, tmp_path: Path) -> None:
    out = str(tmp_path / "e.json")
    assert run("collect", "-o", out, "--arm-endpoint", arm.base, "--cloud", "AzureChinaCloud", "-q")[0] == 0
    custom = "https://management.contoso.example/"
    tenant = ("--tenant", "11111111-2222-3333-4444-555555555555")  # accepted; managed identity ignores it
    assert (
        run("collect", "-o", out, "--arm-endpoint", arm.base, "--arm-audience", custom, *tenant, "-q")[0] == 0
    )
    resources = [c.query["resource"][0] for c in arm.calls("token")]
    assert resources == ["https://management.chinacloudapi.cn", "https://management.contoso.example"]


def test_collect_takes_its_scope_from_the_config_file(
    start_arm: Callable[[ArmEstate], FakeArm], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aks-auditor.yaml's scope and endpoint reach the live collectors; a flag narrows it further."""
    fake = start_arm(generated_estate(clusters=6, subscriptions=3))
    config = tmp_path / "aks-auditor.yaml"
    config.write_text(
        "scope:\n"
        f"  subscriptions: [{subscription_id(0)}, {subscription_id(2)}]\n"
        f"  armEndpoint: {fake.base}\n"
        "collection:\n  workers: 2\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run("collect", "-o", "estate.json")
    assert (code, err) == (0, "")
    snapshot = json.loads((tmp_path / "estate.json").read_text(encoding="utf-8"))
    ids = sorted(s["id"] for s in snapshot["scope"]["subscriptions"])
    assert ids == sorted([subscription_id(0), subscription_id(2)])
    monkeypatch.setenv("AKS_AUDITOR_SUBSCRIPTION", subscription_id(1))
    assert run("collect", "-o", "env.json")[0] == 0
    env = json.loads((tmp_path / "env.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in env["scope"]["subscriptions"]] == [subscription_id(1)]
