"""``aks-auditor remediate --plan FILE``: re-read and re-validate a plan against Azure; ``--apply`` it."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from auditor.cli import echo
from auditor.cli.live import call_log, credential
from auditor.cli.options import LIVE, QUIET
from auditor.collectors.azure.clients import AzureClients
from auditor.config import LiveOptions
from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.remediation.apply import GOOD, Applier, Outcome, StepResult, Waits
from auditor.remediation.journal import Journal
from auditor.remediation.plan import RemediationPlan, load_plan
from auditor.remediation.render import step_label
from auditor.remediation.target import StepTarget

REMEDIATE_EXIT_HELP = """Exit codes: 0 every step is applied and verified (or, without --apply, could be);
1 a step failed, did not verify or was blocked by one that did; 2 bad plan, journal or options;
3 the live state could not be read."""


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
    live: LiveOptions,
    quiet: bool,
) -> None:
    """Re-read every resource in a plan, re-check each step against it, and with --apply make the change.

    A step whose premise no longer holds is dropped with the reason, never applied blindly. Re-running
    the same plan resumes from its journal: finished steps are skipped, started ones polled, not resent.
    """
    plan = load_plan(plan_file)
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
            quiet=quiet,
        )
    )


def apply_plan(
    plan: RemediationPlan,
    plan_file: Path,
    live: LiveOptions,
    *,
    do_apply: bool,
    yes: bool,
    journal: Path | None = None,
    parallel: int = 4,
    wait_interval: float = 15.0,
    respect_windows: bool = False,
    quiet: bool = False,
) -> int:
    """Re-check (and with ``do_apply`` apply) a plan; returns the exit code. Also ``scan --apply``."""
    if do_apply and not yes and not sys.stdin.isatty():
        raise ConfigError("--apply without a terminal needs --yes (nothing was changed)")
    if do_apply and not yes:
        clusters = len({step.cluster_id.lower() for step in plan.steps})
        click.confirm(f"Apply {len(plan.steps)} steps to {clusters} clusters/fleets in Azure?", abort=True)
    journal_file = journal or plan_file.with_name(plan_file.name + ".journal.jsonl")
    record = Journal.open(journal_file, plan_file) if do_apply else None
    numbers = {step.id: index for index, step in enumerate(plan.steps, 1)}

    def report(result: StepResult) -> None:
        if not quiet:
            detail = f": {result.detail}" if result.detail else ""
            echo.out(
                f"  {numbers[result.step.id]:>3}. {result.outcome.value} {step_label(result.step)}{detail}"
            )

    with call_log(live.verbose), credential(live.azure, needed=True) as azure_credential:
        assert azure_credential is not None
        clients = AzureClients(azure_credential, live.azure)
        try:
            results = Applier(
                plan,
                StepTarget(clients),
                record,
                apply=do_apply,
                parallel=parallel,
                waits=Waits(interval=wait_interval),
                respect_windows=respect_windows,
                report=report,
            ).run()
        finally:
            clients.close()
    counts = Counter(result.outcome for result in results)
    if not quiet:
        shown = ", ".join(f"{count} {outcome.value}" for outcome, count in counts.items()) or "nothing to do"
        echo.out(
            f"{'applied' if do_apply else 'dry run'}: {shown}"
            + (f"; journal: {record.path}" if record else "")
        )
        if not do_apply:
            echo.out("nothing was changed in Azure; --apply makes these changes.")
    if counts[Outcome.UNREADABLE]:
        return EXIT_INCOMPLETE
    settled = all(result.outcome in GOOD | {Outcome.DROPPED, Outcome.DEFERRED} for result in results)
    return EXIT_OK if settled else EXIT_FINDINGS
