"""Drift against a baseline: new / unchanged / fixed, the new-only gate, the scope check, every format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator

from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.findings import ScanResult, Severity, Status
from auditor.gates.baseline import check_scope, compare
from auditor.gates.threshold import exit_code
from auditor.inventory import Estate
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.reporters.sarif import render_sarif
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan
from tests.conftest import CONTRACTS

from ..conftest import cluster_id, compliant_catalog, compliant_cluster, estate_document, run_cli

POLICIES = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
SUB = "00000000-0000-0000-0000-000000000001"


def stale(name: str) -> dict[str, Any]:
    cluster = compliant_cluster(name) | {"currentKubernetesVersion": "1.34.1", "kubernetesVersion": "1.34.1"}
    cluster["nodePools"][0]["currentOrchestratorVersion"] = "1.34.1"
    return cluster  # AKS-004: 1.34.1 is not a patch the catalog offers (1.34.5 is)


def scan(*clusters: dict[str, Any], subscriptions: tuple[str, ...] = (SUB,)) -> ScanResult:
    scope = {"subscriptions": [{"id": sub} for sub in subscriptions]}
    document = estate_document(clusters=list(clusters), catalogs=[compliant_catalog()], scope=scope)
    started = datetime(2026, 6, 2, tzinfo=UTC)
    return run_scan(Estate.model_validate(document), POLICIES, started_at=started, fail_on=Severity.HIGH)


def failing(result: ScanResult, name: str) -> set[tuple[str, str | None]]:
    return {
        (f.policy_id, f.baseline_state)
        for f in result.findings
        if f.resource_name == name and f.status is Status.FAIL
    }


def test_new_unchanged_fixed_absent_and_unknown() -> None:
    before = scan(
        stale("kept"), compliant_cluster("broke"), stale("mended"), stale("deleted"), stale("unread")
    )
    after = scan(stale("kept"), stale("broke"), compliant_cluster("mended"), stale("unread"), stale("added"))
    unread = {
        f.fingerprint for f in after.findings if f.resource_name == "unread" and f.policy_id == "AKS-004"
    }
    after = after.model_copy(
        update={
            "findings": tuple(
                f.model_copy(update={"status": Status.ERROR}) if f.fingerprint in unread else f
                for f in after.findings
            )
        }
    )
    compared = compare(after, before, "before.json")
    assert failing(compared, "kept") == {("AKS-004", "unchanged")}
    assert failing(compared, "broke") == {("AKS-004", "new")}  # passed in the baseline
    assert failing(compared, "added") == {("AKS-004", "new")}  # not in the baseline at all
    baseline = compared.baseline
    assert baseline is not None
    assert (baseline.new, baseline.unchanged, baseline.fixed, baseline.unknown) == (2, 1, 2, 1)
    fixed = {(item.resource_name, item.now) for item in baseline.fixed_findings}
    assert fixed == {("mended", "pass"), ("deleted", "absent")}  # "unread" errors now: never fixed
    mended = next(item for item in baseline.fixed_findings if item.resource_name == "mended")
    assert mended.evidence and mended.resource_id == cluster_id("mended")  # the last-known evidence
    # passing findings carry no state; the result is otherwise unchanged
    assert all(f.baseline_state is None for f in compared.findings if f.status is not Status.FAIL)
    assert compared.summary == after.summary


def test_a_severity_escalation_is_new() -> None:
    before = scan(stale("a"))
    lower = tuple(
        f.model_copy(update={"severity": Severity.LOW}) if f.status is Status.FAIL else f
        for f in before.findings
    )
    compared = compare(scan(stale("a")), before.model_copy(update={"findings": lower}), "b.json")
    assert failing(compared, "a") == {("AKS-004", "new")}
    same = compare(scan(stale("a")), before, "b.json")
    assert failing(same, "a") == {("AKS-004", "unchanged")}


def test_the_new_only_gate_counts_new_failures_and_never_hides_an_incomplete_scan() -> None:
    before = scan(stale("a"))
    unchanged = compare(scan(stale("a")), before, "b.json")
    assert exit_code(unchanged, Severity.MEDIUM) == EXIT_FINDINGS
    assert exit_code(unchanged, Severity.MEDIUM, new_only=True) == EXIT_OK
    grown = compare(scan(stale("a"), stale("b")), before, "b.json")
    assert exit_code(grown, Severity.MEDIUM, new_only=True) == EXIT_FINDINGS
    assert exit_code(grown, Severity.HIGH, new_only=True) == EXIT_OK  # AKS-004 is medium
    gap = {
        "gaps": [{"scope": "region", "target": "eastus", "operation": "kubernetesVersions", "reason": "x"}]
    }
    document = estate_document(clusters=[stale("a")], catalogs=[compliant_catalog()], coverage=gap)
    partial = run_scan(Estate.model_validate(document), POLICIES, started_at=datetime.now(UTC), fail_on=None)
    assert exit_code(compare(partial, before, "b.json"), Severity.MEDIUM, new_only=True) == EXIT_INCOMPLETE


def test_a_baseline_of_other_subscriptions_is_refused() -> None:
    before = scan(stale("a"), subscriptions=(SUB, "sub-b"))
    with pytest.raises(ConfigError) as refused:
        check_scope(scan(stale("a")), before, "b.json")
    assert refused.value.message == (
        "--baseline b.json: it covers subscription(s) sub-b that this scan does not; compare results of the "
        "same scope, or pass --baseline-any-scope"
    )
    check_scope(scan(stale("a"), subscriptions=(SUB, "sub-b", "sub-c")), before, "b.json")  # more is fine


def test_sarif_carries_baseline_states_and_absent_results() -> None:
    before = scan(stale("kept"), stale("mended"))
    compared = compare(scan(stale("kept"), compliant_cluster("mended")), before, "b.json")
    log = json.loads(b"".join(render_sarif(compared)))
    schema = json.loads((CONTRACTS / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    states = {
        (r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"], r["baselineState"]) for r in results
    }
    assert states == {("AKS-004", "kept", "unchanged"), ("AKS-004", "mended", "absent")}
    absent = next(r for r in results if r["baselineState"] == "absent")
    assert (absent["kind"], absent["level"]) == ("pass", "none")
    assert absent["message"]["text"].startswith("Fixed since the baseline (now pass): ")


def write(path: Path, *clusters: dict[str, Any], subscription: str = SUB) -> Path:
    scope = {"subscriptions": [{"id": subscription}]}
    document = estate_document(clusters=list(clusters), catalogs=[compliant_catalog()], scope=scope)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_cli_baseline_gate_scope_and_every_format(tmp_path: Path) -> None:
    first = write(tmp_path / "first.json", stale("a"))
    base = tmp_path / "base"
    assert run_cli("scan", "--inventory", str(first), "--output-dir", str(base), "--format", "json")[0] == 0
    baseline = tmp_path / "baseline.json"
    (base / "aks-auditor.json").rename(baseline)
    second = write(tmp_path / "second.json", stale("a"), stale("b"))
    out = tmp_path / "r"
    args = ("scan", "--inventory", str(second), "--output-dir", str(out), "--fail-on", "medium",
            "--format", "json", "--format", "markdown", "--format", "html")  # fmt: skip
    code, stdout, err = run_cli(*args, "--baseline", str(baseline), "--fail-on-new-only")
    assert (code, err) == (1, "")
    drift = f"1 new, 1 unchanged, 0 fixed since {baseline} (scanned "
    assert stdout.splitlines()[1].startswith(f"Baseline: {drift}")
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["schemaVersion"] == "2.4"
    assert result["baseline"]["new"] == 1 and result["baseline"]["fixedFindings"] == []
    states = {f["resourceName"]: f["baselineState"] for f in result["findings"] if f["status"] == "fail"}
    assert states == {"a": "unchanged", "b": "new"}
    assert "1 new, 1 unchanged, 0 fixed since" in (out / "aks-auditor.md").read_text(encoding="utf-8")
    assert drift in (out / "aks-auditor.html").read_text(encoding="utf-8")
    # the baseline itself as the baseline: nothing new, the gate passes though failures remain
    code, _, _ = run_cli("scan", "--inventory", str(first), "--output-dir", str(out), "--fail-on", "medium",
                         "--baseline", str(baseline), "--fail-on-new-only")  # fmt: skip
    assert code == 0


def test_cli_bad_baseline_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    inventory = write(tmp_path / "estate.json", stale("a"))
    out = tmp_path / "r"
    code, _, err = run_cli(
        "scan", "--inventory", str(inventory), "--output-dir", str(out), "--fail-on-new-only"
    )
    assert (code, err) == (
        2,
        "aks-auditor: error: --fail-on-new-only compares with a baseline: give --baseline RESULT.json\n",
    )
    broken = tmp_path / "baseline.json"
    broken.write_text('{"kind": "Estate", "schemaVersion": "1.0"}', encoding="utf-8")
    code, _, err = run_cli(
        "scan", "--inventory", str(inventory), "--output-dir", str(out), "--baseline", str(broken)
    )
    assert (code, err) == (
        2,
        f"aks-auditor: error: {broken}: expected a file of kind 'ScanResult', found kind 'Estate'\n",
    )
    other = tmp_path / "other.json"
    elsewhere = write(tmp_path / "elsewhere.json", stale("a"), subscription="s2")
    run_cli("scan", "--inventory", str(elsewhere), "--output-dir", str(tmp_path / "o"), "--format", "json")
    (tmp_path / "o" / "aks-auditor.json").rename(other)
    code, _, err = run_cli(
        "scan", "--inventory", str(inventory), "--output-dir", str(out), "--baseline", str(other)
    )
    assert code == 2 and err.startswith(
        f"aks-auditor: error: --baseline {other}: it covers subscription(s) s2 "
    )
    assert not out.exists()
    code, _, _ = run_cli("scan", "--inventory", str(inventory), "--output-dir", str(out), "--baseline", str(other),
                         "--baseline-any-scope", "--fail-on", "none")  # fmt: skip
    assert code == 0


def test_a_1_0_result_serves_as_a_baseline(tmp_path: Path, write_estate: Any) -> None:
    inventory = write_estate(clusters=[stale("a")], catalogs=[compliant_catalog()])
    run_cli("scan", "--inventory", str(inventory), "--output-dir", str(tmp_path / "o"), "--format", "json")
    current = json.loads((tmp_path / "o" / "aks-auditor.json").read_text(encoding="utf-8"))
    old = {k: v for k, v in current.items() if k not in {"horizon", "baseline"}} | {"schemaVersion": "1.0"}
    old["scan"] = {k: v for k, v in old["scan"].items() if k not in {"calendar", "evaluatedAt"}}
    old["scan"]["coverage"].pop("notes", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    code, out, err = run_cli("scan", "--inventory", str(inventory), "--output-dir", str(tmp_path / "r"),
                             "--baseline", str(path), "--fail-on-new-only", "--fail-on", "low")  # fmt: skip
    assert (code, err) == (0, "")
    assert "Baseline: 0 new, 1 unchanged, 0 fixed" in out


def test_the_demo_shows_drift_against_last_weeks_copy(tmp_path: Path) -> None:
    """docs/examples/drift: the README's example, exact on fingerprints (policy, resource)."""
    last_week = Path(__file__).resolve().parents[2] / "docs" / "examples" / "drift" / "last-week.json"
    code, _, _ = run_cli(
        "scan", "--inventory", str(last_week), "--format", "json", "--output-dir", str(tmp_path / "lw")
    )
    assert code == 1
    baseline = tmp_path / "lw" / "aks-auditor.json"
    code, out, err = run_cli("scan", "--demo", "--baseline", str(baseline), "--fail-on-new-only",
                             "--format", "json", "--output-dir", str(tmp_path / "now"))  # fmt: skip
    assert (code, err) == (1, "")
    assert out.splitlines()[1].startswith(
        f"Baseline: 2 new, 41 unchanged, 3 fixed since {baseline} (scanned "
    )
    result = json.loads((tmp_path / "now" / "aks-auditor.json").read_text(encoding="utf-8"))
    new = sorted(
        (f["policyId"], f["resourceName"]) for f in result["findings"] if f.get("baselineState") == "new"
    )
    assert new == [("AKS-007", "aks-test-weu-01"), ("AKS-013", "aks-prod-sea-01")]
    fixed = sorted((f["policyId"], f["resourceName"], f["now"]) for f in result["baseline"]["fixedFindings"])
    assert fixed == [
        ("AKS-006", "aks-prod-eus-01", "pass"),
        ("AKS-011", "aks-test-weu-01", "skipped"),
        ("AKS-012", "aks-prod-eus-01", "pass"),
    ]
    escalated = next(
        f for f in result["findings"] if f["policyId"] == "AKS-013" and f["resourceName"] == "aks-prod-sea-01"
    )
    assert escalated["severity"] == "high"  # medium last week: 32 days left then
