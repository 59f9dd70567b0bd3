"""The example pack in docs/examples/acme-pack: its cases reach every outcome through `policies test`,
it runs in a scan with the built-ins, and its policy.schema.json is what `schema policy` prints."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..conftest import REPO, run_cli

PACK = REPO / "docs" / "examples" / "acme-pack"


def test_the_pack_passes_its_own_tests_with_every_outcome() -> None:
    code, out, err = run_cli("policies", "test", str(PACK), "--require-outcomes")
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-1] == "4 passed, 0 failed in 4 policies"


def test_the_pack_runs_in_a_scan_beside_the_builtins(tmp_path: Path) -> None:
    code, _, err = run_cli(
        "scan", "--demo", "--policies", str(PACK), "-q", "--format", "json", "--output-dir", str(tmp_path)
    )
    assert (code, err) == (1, "")
    report = json.loads((tmp_path / "aks-auditor.json").read_text(encoding="utf-8"))
    statuses = Counter(
        (f["policyId"], f["status"]) for f in report["findings"] if f["policyId"].startswith("ACME")
    )
    assert statuses[("ACME-101", "fail")] == 5 and statuses[("ACME-101", "pass")] == 2
    assert not [key for key in statuses if key[1] == "error"], "the demo has every field the pack reads"
    assert {f["policyId"] for f in report["findings"]} >= {"AKS-001", "ACME-104"}


def test_the_shipped_schema_files_are_current_and_every_builtin_points_at_it() -> None:
    """policies/policy.schema.json ships in the wheel beside the built-ins; the pack carries a copy.
    Regenerate both with: aks-auditor schema policy > FILE."""
    printed = json.loads(run_cli("schema", "policy")[1])
    for path in (PACK / "policy.schema.json", REPO / "policies" / "policy.schema.json"):
        assert json.loads(path.read_text(encoding="utf-8")) == printed, f"{path} is stale"
    for policy in sorted((REPO / "policies").rglob("*.yaml")):
        first = policy.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../policy.schema.json", policy


def test_the_pre_commit_hook_runs_the_policy_tests() -> None:
    import yaml

    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    program, *args = hook["entry"].split()
    assert (hook["id"], program, hook["pass_filenames"]) == ("aks-auditor-policies", "aks-auditor", False)
    code, out, _ = run_cli(*args, str(PACK))  # what pre-commit runs, with the folder as the hook's args
    assert code == 0 and out.endswith("4 passed, 0 failed in 4 policies\n")
