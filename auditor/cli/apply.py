"""Re-check a remediation plan against Azure and apply it: ``remediate --plan`` and ``scan --apply``.

The commands import this module when they run (it loads the Azure SDK), so that no other command pays for it
(tests/test_imports.py)."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import click
from azure.core.credentials import TokenCredential

from auditor.cli import echo
from auditor.cli.live import call_log, credential
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
from auditor.remediation.plan import RemediationPlan
from auditor.remediation.render import short_name, step_label
from auditor.remediation.target import StepTarget
from auditor.remediation.verify import changes
from auditor.scan import run_scan


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
