"""``aks-auditor remediate --plan FILE``: re-read and re-validate a plan against Azure; ``--apply`` it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.cli.options import LIVE, QUIET
from auditor.config import LiveOptions
from auditor.errors import ConfigError
from auditor.remediation.plan import load_plan

REMEDIATE_EXIT_HELP = """Exit codes: 0 every step is applied and verified (or, without --apply, could be);
1 a step failed, did not verify or was blocked by one that did; 2 bad plan, journal or options;
3 the live state could not be read; 4 the journal could not be written (before any change)."""


@click.command(epilog=REMEDIATE_EXIT_HELP)
@click.option(
    "--plan",
    "plan_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The remediation-plan.json a scan --remediate wrote.",
)
@click.option(
    "--apply", "do_apply", is_flag=True, help="Make the changes (without it: only show what would change)."
)
@click.option(
    "--yes", is_flag=True, help="Do not ask for confirmation (needed for --apply without a terminal)."
)
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append-only record of the run, to resume from. Default: the plan's name + .journal.jsonl.",
)
@click.option(
    "--parallel", type=click.IntRange(1, 32), default=4, show_default=True, help="Clusters changed at once."
)
@click.option(
    "--wait-interval",
    type=click.FloatRange(0, 600),
    default=15.0,
    show_default=True,
    metavar="SECONDS",
    help="Between reads of a resource another operation is changing (ARM's own polling pace is kept).",
)
@click.option(
    "--respect-maintenance-window",
    "respect_windows",
    is_flag=True,
    help="Defer an upgrade whose cluster is outside its maintenance window now (re-run to apply it later).",
)
@click.option(
    "--allow-cost-changes", is_flag=True, help="Apply steps that change billing (the Premium tier)."
)
@LIVE
@QUIET
def remediate(
    plan_file: Path,
    do_apply: bool,
    yes: bool,
    journal: Path | None,
    parallel: int,
    wait_interval: float,
    respect_windows: bool,
    allow_cost_changes: bool,
    live: LiveOptions,
    quiet: bool,
) -> None:
    """Re-read every resource in a plan, re-check each step against it, and with --apply make the change.

    A step whose premise no longer holds is dropped with the reason, never applied blindly. Re-running
    the same plan resumes from its journal: finished steps are skipped, started ones polled, not resent.
    """
    refused = [flag for flag in live.given if flag in _NOT_FOR_PLANS]
    if refused:
        raise ConfigError(f"{refused[0]} does nothing with --plan (its steps name their resources)")
    plan = load_plan(plan_file)
    from auditor.cli.apply import apply_plan  # the Azure SDK: loaded by the commands that call Azure

    sys.exit(
        apply_plan(
            plan,
            plan_file,
            live,
            do_apply=do_apply,
            yes=yes,
            journal=journal,
            parallel=parallel,
            wait_interval=wait_interval,
            respect_windows=respect_windows,
            allow_cost_changes=allow_cost_changes,
            quiet=quiet,
        )
    )


#: Live options that mean nothing to a plan (its steps name their resources): refused, not ignored.
_NOT_FOR_PLANS = ("--management-group", "--deep", "--workers")
