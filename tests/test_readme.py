"""The README cannot drift from the CLI or from policies/ (run with UPDATE_README=1 to regenerate)."""

from __future__ import annotations

import os
import re

from click.testing import CliRunner

from auditor.cli import cli
from auditor.policies.loader import load_policy_dirs
from auditor.resources import builtin_policies_dir

from .conftest import REPO

README = REPO / "README.md"
BEGIN = "<!-- policies:begin (generated from policies/ — tests/test_readme.py keeps it in sync) -->"
END = "<!-- policies:end -->"


def policy_table() -> str:
    rows = ["| id | name | resource | severity | default | title |", "| --- | --- | --- | --- | --- | --- |"]
    for source in load_policy_dirs(builtin_policies_dir(), []):
        spec = source.spec
        kinds = ", ".join(kind.value for kind in spec.resource)
        state = "on" if spec.enabled else "off"
        rows.append(f"| {spec.id} | {spec.name} | {kinds} | {spec.severity.value} | {state} | {spec.title} |")
    return "\n".join(rows)


def test_readme_policy_table_matches_policies() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    expected = "\n" + policy_table() + "\n"
    if os.environ.get("UPDATE_README") == "1":
        README.write_text(text[:start] + expected + text[end:], encoding="utf-8")
        return
    assert text[start:end] == expected, (
        "README policy table is stale: run UPDATE_README=1 pytest tests/test_readme.py"
    )


def test_readme_scan_help_matches_cli() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```text\n(Usage: aks-auditor scan .*?)```", text, re.S)
    assert block, "README has no `aks-auditor scan --help` block"
    actual = CliRunner().invoke(cli, ["scan", "--help"], prog_name="aks-auditor", terminal_width=80).output
    if os.environ.get("UPDATE_README") == "1":
        README.write_text(text.replace(block.group(1), actual), encoding="utf-8")
        return
    assert block.group(1) == actual, (
        "README --help block is stale: run UPDATE_README=1 pytest tests/test_readme.py"
    )


def test_readme_quick_start_has_exactly_the_two_commands_and_ci_runs_the_second() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/aks-auditor scan --demo",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest",
    ]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
