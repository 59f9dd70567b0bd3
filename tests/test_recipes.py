"""docs/recipes/: the pipelines validate against their published schemas (as vendored by check-jsonschema,
no download), every aks-auditor option they use exists, and the Dockerfile keeps to its rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import run_cli

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "recipes"
WORKFLOWS = sorted((RECIPES / "github-actions").glob("*.yml"))


def check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python", "--builtin-schema", schema,
         *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_github_workflows_validate_against_the_workflow_schema(tmp_path: Path) -> None:
    assert [p.name for p in WORKFLOWS] == ["pr-gate.yml", "scheduled-scan.yml"]
    done = check("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs: {a: {runs-on: x, steps: [{usez: y}]}}\n", encoding="utf-8")
    assert check("vendor.github-workflows", broken).returncode == 1  # the check can fail


def test_azure_pipeline_validates_against_its_schema(tmp_path: Path) -> None:
    done = check("vendor.azure-pipelines", RECIPES / "azure-pipelines.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("schedules: 5\n", encoding="utf-8")
    assert check("vendor.azure-pipelines", broken).returncode == 1


def _commands() -> list[list[str]]:
    """Every ``aks-auditor ...`` command line of the recipes, split into words."""
    commands = []
    for path in [*WORKFLOWS, RECIPES / "azure-pipelines.yml"]:
        for text in re.findall(
            r"aks-auditor scan[^\n]*(?:\n[ \t]+--[^\n]*)*", path.read_text(encoding="utf-8")
        ):
            commands.append(" ".join(text.split()).split(" "))
    return commands


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w)[:60])
def test_recipe_commands_use_options_that_exist(words: list[str]) -> None:
    _, usage, _ = run_cli("scan", "--help")
    flags = {word for word in words if word.startswith("--")}
    assert flags, words
    missing = sorted(flag for flag in flags if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage))
    assert missing == [], f"options not in scan --help: {missing}"


def test_the_recipes_gate_on_drift_and_keep_the_reports() -> None:
    scheduled = yaml.safe_load(
        (RECIPES / "github-actions" / "scheduled-scan.yml").read_text(encoding="utf-8")
    )
    steps = scheduled["jobs"]["scan"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert {"azure/login", "github/codeql-action/upload-sarif", "actions/upload-artifact"} <= set(uses)
    assert scheduled["permissions"]["id-token"] == "write"  # OIDC, no client secret
    scan = next(step["run"] for step in steps if "aks-auditor scan" in step.get("run", ""))
    assert "--baseline history:latest" in scan and "--fail-on-new-only" in scan
    assert all(
        step.get("if") == "always()"
        for step in steps
        if step.get("uses", "").startswith(("github/", "actions/upload"))
    )


def test_the_dockerfile_is_minimal_pinned_and_not_root() -> None:
    lines = [line.strip() for line in (RECIPES / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    base = instructions[0].split()
    assert base[0] == "FROM" and re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base[1]), base  # a pinned tag
    users = [i.split()[1] for i in instructions if i.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    entry = next(i for i in instructions if i.startswith("ENTRYPOINT"))
    assert entry == 'ENTRYPOINT ["aks-auditor"]'  # exec form: signals reach the process
    assert instructions.index(f"USER {users[-1]}") < instructions.index(entry)
    assert not any(i.startswith("ADD ") for i in instructions)
