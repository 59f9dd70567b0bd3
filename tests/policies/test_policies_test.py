"""`aks-auditor policies test` for authors: a wrong expectation is a readable diff, extra cases live in
ID.tests.yaml, --filter picks cases, --require-outcomes names what the cases never reach."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from auditor.resources import builtin_policies_dir

from ..conftest import run_cli

AKS_007 = builtin_policies_dir() / "aks" / "AKS-007.yaml"


def copy_policy(tmp_path: Path, edit: object = None) -> Path:
    folder = tmp_path / "pack"
    folder.mkdir()
    target = folder / "AKS-007.yaml"
    shutil.copy(AKS_007, target)
    if callable(edit):
        raw = yaml.safe_load(target.read_text(encoding="utf-8"))
        edit(raw)
        target.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return target


def test_a_wrong_expectation_fails_with_the_diff(tmp_path: Path) -> None:
    def flip(raw: dict) -> None:  # type: ignore[type-arg]
        case = raw["tests"][0]
        key = next(iter(case["expect"]))
        case["expect"][key] = "pass" if case["expect"][key] != "pass" else "fail"

    path = copy_policy(tmp_path, flip)
    code, out, err = run_cli("policies", "test", str(path))
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith("FAIL AKS-007 ")
    assert lines[1].startswith("    ") and lines[1].endswith(":")
    assert lines[2].startswith("      expected: ")
    assert lines[3].startswith("      got:      ")
    assert lines[4].startswith("      message:  ")
    assert lines[5].startswith('      evidence: {"')
    assert lines[-1].endswith(" passed, 1 failed in 1 policies")


def test_cases_beside_the_policy_filter_and_junit(tmp_path: Path) -> None:
    path = copy_policy(tmp_path)
    extra = {
        "tests": [
            {
                "name": "security patch channel passes",
                "estate": {
                    "clusters": [
                        {
                            "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.ContainerService/managedClusters/sp",
                            "name": "sp",
                            "autoUpgradeProfile": {"nodeOSUpgradeChannel": "SecurityPatch"},
                        }
                    ]
                },
                "expect": {"sp": "pass"},
            }
        ]
    }
    (path.parent / "AKS-007.tests.yaml").write_text(yaml.safe_dump(extra), encoding="utf-8")
    code, out, _ = run_cli("policies", "test", str(path.parent), "--filter", "security patch")
    assert code == 0
    assert out.splitlines() == [
        "PASS AKS-007 security patch channel passes",
        "1 passed, 0 failed in 1 policies",
    ]
    code, out, _ = run_cli("policies", "validate", str(path.parent))
    assert code == 0 and "policies valid" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests: [{name: x}]", "AKS-007.tests.yaml: AKS-007: tests.0: estate: Field required"),
        ("[", "AKS-007.tests.yaml: not valid YAML"),
        ("tests: 3", "AKS-007.tests.yaml: expected a list of test cases"),
    ],
)
def test_a_broken_tests_file_is_exit_2_and_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = copy_policy(tmp_path)
    (path.parent / "AKS-007.tests.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli("policies", "test", str(path))
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1


def test_require_outcomes_names_an_outcome_no_case_reaches(tmp_path: Path) -> None:
    def only_passes(raw: dict) -> None:  # type: ignore[type-arg]
        raw["requires"] = [{"expr": "true", "reason": "never"}]  # error now applies; no case reaches it

    path = copy_policy(tmp_path, only_passes)
    code, out, _ = run_cli("policies", "test", str(path), "--require-outcomes")
    assert code == 1
    assert "COVERAGE AKS-007: fail, pass; missing: error" in out.splitlines()
    assert out.splitlines()[-1].endswith("; 1 policies miss an outcome")


def test_nothing_to_test_is_a_usage_error(tmp_path: Path) -> None:
    path = copy_policy(tmp_path)
    code, _, err = run_cli("policies", "test", str(path), "--filter", "no such case")
    assert code == 2
    assert err == f"aks-auditor: error: no test cases matched in {path}\n"


def test_the_policy_schema_validates_every_builtin_and_rejects_an_unknown_key() -> None:
    import json

    from jsonschema import Draft202012Validator

    code, out, _ = run_cli("schema", "policy")
    assert code == 0
    validator = Draft202012Validator(json.loads(out))
    files = sorted(builtin_policies_dir().rglob("*.yaml"))
    assert len(files) == 20
    for path in files:
        raw = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        assert list(validator.iter_errors(raw)) == [], path
    raw["severety"] = "high"
    assert [e.message for e in validator.iter_errors(raw)] == [
        "Additional properties are not allowed ('severety' was unexpected)"
    ]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("AKS-008.max_age_days_linux=-5", "-5 is below the minimum 1"),
        ("AKS-012.min_duration_hours=25", "25 is above the maximum 24"),
        (
            "AKS-006.allowed=patch,weekly",
            "'weekly' is not one of 'patch', 'stable', 'rapid', 'node-image', 'none'",
        ),
    ],
)
def test_set_values_outside_declared_bounds_are_refused(
    tmp_path: Path, assignment: str, message: str
) -> None:
    code, _, err = run_cli("scan", "--demo", "--set", assignment, "--output-dir", str(tmp_path))
    assert code == 2
    assert err == f"aks-auditor: error: --set {assignment}: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_a_default_or_a_case_parameter_outside_its_bounds_is_a_broken_policy(tmp_path: Path) -> None:
    def bad_default(raw: dict) -> None:  # type: ignore[type-arg]
        raw["parameters"]["allowed"]["default"] = ["NodeImage", "Weekly"]

    path = copy_policy(tmp_path, bad_default)
    code, _, err = run_cli("policies", "test", str(path))
    assert code == 2
    assert err == (
        f"aks-auditor: error: {path}: AKS-007: parameters.allowed.default: 'Weekly' is not one of "
        "'NodeImage', 'SecurityPatch', 'Unmanaged', 'None'\n"
    )


def test_a_scaffold_passes_policies_test_as_written_and_runs_in_a_scan(tmp_path: Path) -> None:
    import json

    pack = tmp_path / "pack"
    code, out, err = run_cli("policies", "new", "ACME-001", "--output-dir", str(pack))
    assert (code, err) == (0, "")
    assert sorted(p.name for p in pack.iterdir()) == [
        "ACME-001.tests.yaml",
        "ACME-001.yaml",
        "policy.schema.json",
    ]
    text = (pack / "ACME-001.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=policy.schema.json\n")
    code, out, _ = run_cli("policies", "test", str(pack), "--require-outcomes")
    assert code == 0, out
    assert out.splitlines()[-1] == "2 passed, 0 failed in 1 policies"
    schema = json.loads((pack / "policy.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(run_cli("schema", "policy")[1])
    code, _, _ = run_cli(
        "scan",
        "--demo",
        "--policies",
        str(pack),
        "-q",
        "--format",
        "json",
        "--output-dir",
        str(tmp_path / "r"),
    )
    report = json.loads((tmp_path / "r" / "aks-auditor.json").read_text(encoding="utf-8"))
    assert len([f for f in report["findings"] if f["policyId"] == "ACME-001"]) == 12  # one per demo cluster
    code, _, err = run_cli("policies", "new", "ACME-001", "--output-dir", str(pack))
    assert code == 2 and err.endswith("ACME-001.yaml: exists; it is never overwritten\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["acme-1"], "policies new acme-1: expected an id like ACME-001 (letters, a dash, 3+ digits)"),
        (["ACME-002", "--resource", "placement"], "--resource placement: scaffolds exist for cluster; "),
    ],
)
def test_scaffold_refusals_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run_cli("policies", "new", *args, "--output-dir", str(tmp_path))
    assert code == 2
    assert err.startswith(f"aks-auditor: error: {message}")
    assert list(tmp_path.iterdir()) == []
