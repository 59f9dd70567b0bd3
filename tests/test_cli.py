"""The CLI: one test per exit code, bad input gives one line and exit 2, outputs are complete."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, compliant_catalog, compliant_cluster
from .conftest import run_cli as run


def scan_args(inventory: Path, out: Path, *extra: str) -> list[str]:
    return ["scan", "--inventory", str(inventory), "--output-dir", str(out), *extra]


def test_exit_0_clean_estate(tmp_path: Path, write_estate: Callable[..., Path]) -> None:
    inventory = write_estate(clusters=[compliant_cluster()], catalogs=[compliant_catalog()])
    code, _, err = run(*scan_args(inventory, tmp_path / "r", "--format", "json"))
    assert (code, err) == (0, "")
    result = json.loads((tmp_path / "r" / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["summary"]["byStatus"]["fail"] == 0
    assert result["summary"]["byStatus"]["pass"] == 13
    assert result["summary"]["byStatus"]["skipped"] == 1  # AKS-005: not on the LTS plan


def test_exit_1_failing_findings_at_or_above_fail_on(
    tmp_path: Path, write_estate: Callable[..., Path]
) -> None:
    stale = compliant_cluster() | {"currentKubernetesVersion": "1.29.2", "kubernetesVersion": "1.29.2"}
    stale["nodePools"][0]["currentOrchestratorVersion"] = "1.29.2"
    inventory = write_estate(clusters=[stale], catalogs=[compliant_catalog()])
    code, out, _ = run(*scan_args(inventory, tmp_path / "r", "--format", "json"))
    assert code == 1
    assert "AKS-001" in out
    # 1.29 is past its end of support: AKS-013 is critical; the other failures are below that threshold
    assert run(*scan_args(inventory, tmp_path / "r", "--format", "json", "--fail-on", "critical"))[0] == 1
    below = ("--fail-on", "critical", "--disable", "AKS-013")
    assert run(*scan_args(inventory, tmp_path / "r", "--format", "json", *below))[0] == 0
    assert run(*scan_args(inventory, tmp_path / "r", "--format", "json", "--fail-on", "none"))[0] == 0


def test_exit_3_incomplete_wins_over_failures(tmp_path: Path, write_estate: Callable[..., Path]) -> None:
    stale = compliant_cluster() | {"currentKubernetesVersion": "1.29.2", "maintenanceConfigurations": None}
    inventory = write_estate(clusters=[stale], catalogs=[compliant_catalog()])
    code, _, _ = run(*scan_args(inventory, tmp_path / "r", "--format", "json"))
    assert code == 3
    gap = write_estate(
        clusters=[compliant_cluster()],
        catalogs=[compliant_catalog()],
        coverage={
            "gaps": [{"scope": "subscription", "target": "s2", "operation": "resourcegraph", "reason": "403"}]
        },
    )
    assert run(*scan_args(gap, tmp_path / "r", "--format", "json"))[0] == 3


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["scan", "--demo", "--set", "AKS-008.nope=1"],
            "aks-auditor: error: --set AKS-008.nope=1: policy AKS-008 has no parameter 'nope'",
        ),
        (
            ["scan", "--demo", "--set", "AKS-008"],
            "aks-auditor: error: --set AKS-008: expected POLICY_ID.parameter=value",
        ),
        (
            ["scan", "--demo", "--disable", "NOPE-001"],
            "aks-auditor: error: --disable NOPE-001: no such policy",
        ),
        (
            ["scan", "--demo", "--inventory", "estate.json"],
            "aks-auditor: error: choose one source: --inventory FILE, --demo, or neither for a live Azure scan",
        ),
        (
            ["scan", "--arm-endpoint", "http://arm.local"],
            "--arm-endpoint 'http://arm.local': expected an https:// URL",
        ),
        (["scan", "--demo", "--fail-on", "severe"], "Invalid value for '--fail-on'"),
        (["scan", "--bogus"], "No such option '--bogus'"),
        (["policies", "show", "NOPE-9"], "aks-auditor: error: no such policy 'NOPE-9'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], expected: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err


def test_corrupt_and_newer_snapshots_exit_2_with_one_line(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"kind": "Estate", "schemaVers', encoding="utf-8")
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"kind": "Estate", "schemaVersion": "7.0"}), encoding="utf-8")
    for path, expected in ((corrupt, "not valid JSON"), (newer, "schemaVersion 7.0 is newer")):
        code, _, err = run(*scan_args(path, tmp_path / "r"))
        assert code == 2
        assert err.count("\n") == 1 and expected in err and str(path) in err
        assert not (tmp_path / "r").exists()  # nothing half-written


def test_malformed_policy_and_expression_error_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "X-001.yaml").write_text("id: X-001\nname: [\n", encoding="utf-8")
    code, _, err = run("scan", "--demo", "--policies", str(bad), "--output-dir", str(tmp_path / "r"))
    assert code == 2 and "X-001.yaml: not valid YAML at line" in err and err.count("\n") == 1
    (bad / "X-001.yaml").write_text(
        "id: X-001\nname: x\ntitle: T\nseverity: low\nresource: cluster\ndescription: d\nrationale: r\n"
        "check: resource.name ==\nmessage: m\ntests: []\n",
        encoding="utf-8",
    )
    code, _, err = run("policies", "validate", str(bad))
    assert code == 2
    assert "X-001.yaml: X-001: check: line 1, column 17: Syntax error" in err


def test_policies_validate_builtin_and_list_show() -> None:
    code, out, _ = run("policies", "validate", str(REPO / "policies"))
    assert code == 0 and out.startswith("20 policies valid")
    code, out, _ = run("policies", "list")
    assert code == 0 and "FLEET-005" in out and "off" in out.splitlines()[-1]
    code, out, _ = run("policies", "show", "AKS-008")
    shown = json.loads(out)
    assert shown["parameters"]["max_age_days_windows"]["default"] == 45


def test_schema_commands_print_json_schemas() -> None:
    for kind, title in (("inventory", "Estate"), ("result", "ScanResult")):
        code, out, _ = run("schema", kind)
        assert code == 0 and json.loads(out)["title"] == title


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("aks-auditor, version ")


def test_reports_are_written_atomically_with_ordinary_permissions(tmp_path: Path) -> None:
    out = tmp_path / "r"
    code, _, _ = run("scan", "--demo", "--output-dir", str(out), "--format", "json", "--format", "html")
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "aks-auditor.html",
        "aks-auditor.json",
    ]  # no temp files left
    assert (out / "aks-auditor.json").stat().st_mode & 0o044 == 0o044  # readable by group/others (umask 022)


def test_convert_re_renders_a_saved_result_identically(tmp_path: Path) -> None:
    direct = tmp_path / "direct"
    assert (
        run(
            "scan",
            "--demo",
            "--output-dir",
            str(direct),
            "--format",
            "json",
            "--format",
            "sarif",
            "--format",
            "junit",
            "--format",
            "markdown",
        )[0]
        == 1
    )
    converted = tmp_path / "converted"
    code, out, _ = run(
        "convert",
        str(direct / "aks-auditor.json"),
        "--format",
        "sarif",
        "--format",
        "junit",
        "--format",
        "markdown",
        "--output-dir",
        str(converted),
    )
    assert code == 0 and "aks-auditor.sarif" in out
    for name in ("aks-auditor.sarif", "aks-auditor.junit.xml", "aks-auditor.md"):
        assert (converted / name).read_bytes() == (direct / name).read_bytes(), name


def test_convert_refuses_an_estate_snapshot(tmp_path: Path, write_estate: Callable[..., Path]) -> None:
    code, _, err = run(
        "convert", str(write_estate()), "--format", "html", "--output-dir", str(tmp_path / "o")
    )
    assert code == 2 and "expected a file of kind 'ScanResult', found kind 'Estate'" in err


LIVE_ONLY = [
    ("--subscription", "s1"),
    ("--management-group", "mg"),
    ("--exclude-subscription", "s2"),
    ("--tenant", "t"),
    ("--cloud", "AzureChinaCloud"),
    ("--arm-endpoint", "https://arm.example"),
    ("--arm-audience", "https://arm.example"),
    ("--deep",),
    ("--workers", "4"),
    ("--verbose",),
    ("-v",),
]


@pytest.mark.parametrize("flag", LIVE_ONLY, ids=[flag[0] for flag in LIVE_ONLY])
@pytest.mark.parametrize("source", ["--demo", "--inventory"])
def test_live_only_flags_are_refused_with_a_snapshot_or_the_demo(
    tmp_path: Path, write_estate: Callable[..., Path], source: str, flag: tuple[str, ...]
) -> None:
    chosen = ["--demo"] if source == "--demo" else ["--inventory", str(write_estate())]
    code, out, err = run("scan", *chosen, *flag, "--output-dir", str(tmp_path / "r"))
    shown = "--verbose" if flag[0] == "-v" else flag[0]
    assert (code, out) == (2, "")
    assert err == f"aks-auditor: error: {shown} is for live scans only; it does nothing with {source}\n"
    assert not (tmp_path / "r").exists()


def test_the_arm_endpoint_from_the_environment_is_not_refused_with_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", "https://arm.example")
    code, _, err = run("scan", "--demo", "--format", "json", "--output-dir", str(tmp_path / "r"))
    assert (code, err) == (1, "")


def test_options_shared_by_every_source_are_accepted_with_the_demo(tmp_path: Path) -> None:
    code, _, err = run("scan", "--demo", "--allow-partial", "-q", "--output-dir", str(tmp_path / "r"))
    assert (code, err) == (1, "")
