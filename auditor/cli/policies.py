"""``aks-auditor policies list|show|validate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from auditor.cli import echo
from auditor.errors import EXIT_FINDINGS, EXIT_OK, ConfigError
from auditor.outputs import write_output
from auditor.policies.listing import available_policies, policy_document, summary_line, validate_policy_dirs
from auditor.policies.scaffold import scaffold
from auditor.policies.testkit import case_lines, coverage_lines, junit, load_targets, run_tests

_EXTRA_DIRS = click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Extra policy directory (repeatable).",
)


@click.group()
def policies() -> None:
    """List, show and validate policies."""


@policies.command("list")
@_EXTRA_DIRS
def policies_list(policy_dirs: tuple[Path, ...]) -> None:
    """List built-in (and extra) policies."""
    for source in available_policies(policy_dirs):
        echo.out(summary_line(source))


@policies.command("show")
@click.argument("policy_id")
@_EXTRA_DIRS
def policies_show(policy_id: str, policy_dirs: tuple[Path, ...]) -> None:
    """Show one policy: metadata, parameters and expressions."""
    echo.out(json.dumps(policy_document(available_policies(policy_dirs), policy_id), indent=2))


@policies.command("validate")
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
def policies_validate(directories: tuple[Path, ...]) -> None:
    """Validate policy files (structure, expressions, parameters) and run their test cases."""
    summary = validate_policy_dirs(directories)
    echo.out(f"{summary.policies} policies valid, {summary.cases} test cases passed")


@policies.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--filter", "name_filter", metavar="TEXT", help="Only cases whose 'ID name' contains TEXT.")
@click.option("--coverage", is_flag=True, help="Also show which outcomes each policy's cases reach.")
@click.option(
    "--require-outcomes",
    is_flag=True,
    help="Fail (exit 1) when a policy's cases miss an outcome that applies to it (implies --coverage).",
)
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the results as JUnit XML (for CI test tabs).",
)
def policies_test(
    paths: tuple[Path, ...],
    name_filter: str | None,
    coverage: bool,
    require_outcomes: bool,
    junit_file: Path | None,
) -> None:
    """Run the test cases of policy files (inline tests: and ID.tests.yaml beside each policy).

    Exit codes: 0 every case passes; 1 a case does not (or, with --require-outcomes, an outcome is
    not reached); 2 a broken policy or test file.
    """
    runs = run_tests(load_targets(paths), name_filter)
    results = [case for run in runs for case in run.cases]
    for case in results:
        for line in case_lines(case):
            echo.out(line)
    if coverage or require_outcomes:
        for line in coverage_lines(runs):
            echo.out(line)
    failed = sum(not case.ok for case in results)
    missing = sum(bool(run.missing) for run in runs) if require_outcomes else 0
    echo.out(
        f"{len(results) - failed} passed, {failed} failed in {len(runs)} policies"
        + (f"; {missing} policies miss an outcome" if missing else "")
    )
    if junit_file is not None:
        write_output(junit_file, junit(runs), "JUnit results")
    if not results:
        raise ConfigError(f"no test cases matched in {', '.join(map(str, paths))}")
    sys.exit(EXIT_FINDINGS if failed or missing else EXIT_OK)


@policies.command("new")
@click.argument("policy_id")
@click.option(
    "--resource",
    type=click.Choice(
        ["cluster", "nodePool", "fleet", "updateRun", "autoUpgradeProfile", "memberCluster", "placement"]
    ),
    default="cluster",
    show_default=True,
    help="The resource kind the policy judges.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Folder for the policy, its tests file and the policy JSON Schema.",
)
def policies_new(policy_id: str, resource: str, output_dir: Path) -> None:
    """Scaffold a policy and its tests file (they pass `policies test` as written), with comments."""
    for path, text in scaffold(policy_id, resource, output_dir).items():
        write_output(path, text, "policy scaffold")
        echo.out(f"wrote {path}")
    echo.out(f"next: aks-auditor policies test {output_dir}")
