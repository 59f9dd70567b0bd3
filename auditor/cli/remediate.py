"""``aks-auditor remediate --plan FILE``: re-read and re-validate a plan against Azure; ``--apply`` it."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click
from azure.core.credentials import TokenCredential

from auditor.cli import echo
from auditor.cli.live import call_log, credential
from auditor.cli.options import LIVE, QUIET
from auditor.collectors.azure.clients import AzureClients
from auditor.collectors.gather import EstateGatherer
from auditor.collectors.sources import HubConfig, SourceOptions
from auditor.config import LiveOptions
from auditor.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.inventory.base import arm_segment
from auditor.policies.listing import available_policies
from auditor.policies.loader import Selection, configure
from auditor.remediation.apply import GOOD, Applier, Outcome, StepResult, Waits
from auditor.remediation.journal import Journal
from auditor.remediation.plan import RemediationPlan, load_plan
from auditor.remediation.render import short_name, step_label
from auditor.remediation.target import StepTarget
from auditor.remediation.verify import changes
from auditor.scan import run_scan

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
    allow_cost_changes: bool = False,
    quiet: bool = False,
) -> int:
    """Re-check (and with ``do_apply`` apply) a plan; returns the exit code. Also ``scan --apply``."""
    plan = _in_scope(plan, live)
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
                allow_cost_changes=allow_cost_changes,
                report=report,
            ).run()
        finally:
            clients.close()
        if do_apply and not quiet and any(result.outcome is Outcome.APPLIED for result in results):
            for line in _judged_again(plan, results, live, azure_credential):
                echo.out(line)
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


def _judged_again(
    plan: RemediationPlan, results: list[StepResult], live: LiveOptions, azure_credential: TokenCredential
) -> list[str]:
    """Collect the subscriptions the applied steps touched again, evaluate the built-in policies they
    fix, and say how each of those findings stands now."""
    applied = [r for r in results if r.outcome is Outcome.APPLIED]
    subscriptions = tuple(sorted({arm_segment(r.step.cluster_id, "subscriptions") or "" for r in applied}))
    settings = live.azure.model_copy(
        update={"subscriptions": subscriptions, "management_groups": (), "exclude_subscriptions": ()}
    )
    estate = EstateGatherer(SourceOptions(), HubConfig(), settings).gather(azure_credential)
    wanted = {policy_id for r in applied for policy_id in r.step.policy_ids}
    policies = [
        p
        for p in configure(available_policies(()), Selection(enable=frozenset(wanted)))
        if p.spec.id in wanted
    ]
    after = run_scan(estate, policies, started_at=datetime.now(UTC), fail_on=None)
    gaps = len(after.scan.coverage.gaps)
    lines = [
        f"judged again after a fresh collection of {len(subscriptions)} subscription(s)"
        + (f" ({gaps} coverage gaps: some findings may be missing)" if gaps else "")
        + ":"
    ]
    for change in changes(results, after):
        if change.after is None:
            lines.append(
                f"  unknown {change.policy_id} {short_name(change.resource_id)}: no finding now (collected?)"
            )
            continue
        mark = "fixed" if change.fixed else "still"
        lines.append(
            f"  {mark} {change.policy_id} {short_name(change.resource_id)}: fail -> {change.after.value}"
        )
    unknown = sorted(wanted - {p.spec.id for p in policies})
    if unknown:
        lines.append(f"  not judged again (not built-in policies; re-run your scan): {', '.join(unknown)}")
    return lines


#: Live options that mean nothing to a plan (its steps name their resources): refused, not ignored.
_NOT_FOR_PLANS = ("--management-group", "--deep", "--workers")


def _in_scope(plan: RemediationPlan, live: LiveOptions) -> RemediationPlan:
    """The plan's steps in the subscriptions ``--subscription`` / ``--exclude-subscription`` leave.

    Steps only depend on steps of their own cluster, so keeping whole subscriptions keeps every
    dependency. ``scan --apply`` passes the scan's own options: its plan is already in that scope.
    ``--management-group``, ``--deep`` and ``--workers`` mean nothing to a plan: ``remediate`` refuses them.
    """
    wanted = {s.lower() for s in live.azure.subscriptions}
    unwanted = {s.lower() for s in live.azure.exclude_subscriptions}
    if not wanted and not unwanted:
        return plan

    def kept(cluster_id: str) -> bool:
        subscription = (arm_segment(cluster_id, "subscriptions") or "").lower()
        return (not wanted or subscription in wanted) and subscription not in unwanted

    return plan.model_copy(update={"steps": tuple(step for step in plan.steps if kept(step.cluster_id))})
