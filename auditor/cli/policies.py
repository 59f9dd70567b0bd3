"""``aks-auditor policies list|show|validate``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from auditor.cli import echo
from auditor.policies.listing import available_policies, policy_document, summary_line, validate_policy_dirs

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
