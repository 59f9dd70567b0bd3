"""``aks-auditor scan`` and ``aks-auditor collect``: gather an estate, then judge it or save it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from auditor.cli import echo
from auditor.cli.calendar import choose_calendar
from auditor.cli.live import call_log, credential, progress_bars
from auditor.cli.option_group import validated
from auditor.cli.options import (
    ALLOW_PARTIAL,
    COLLECT_PROCESSES,
    EXIT_CODES_HELP,
    GATE,
    HUBS,
    LIVE,
    POLICIES,
    PROCESSES,
    QUIET,
    REMEDIATE,
    REPORTS,
    SCAN_SHARD,
    SHARD,
    SOURCE,
)
from auditor.cli.settings import configurable
from auditor.collectors.gather import EstateGatherer
from auditor.config import (
    CollectConfig,
    GateOptions,
    HubConfig,
    LiveOptions,
    PolicyOptions,
    RemediateOptions,
    ReportOptions,
    ScanConfig,
    SourceOptions,
)
from auditor.errors import EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.gates.baseline import check_scope, compare
from auditor.gates.threshold import exit_code
from auditor.gates.waivers import Waiver, load_waivers
from auditor.gcpause import collector_paused
from auditor.history import HistoryError, open_store
from auditor.inventory import Estate
from auditor.inventory.estate import resource_count
from auditor.inventory.snapshot import dump_model
from auditor.outputs import check_snapshot_target, write_output, write_reports
from auditor.policies.listing import available_policies
from auditor.policies.loader import ConfiguredPolicy, Selection, configure
from auditor.policies.parallel import default_processes
from auditor.remediation.plan import PLAN_FILE_NAME
from auditor.remediation.planner import build_plan, check_only
from auditor.remediation.render import render_plan
from auditor.reporters.console import render_console
from auditor.result_file import load_result
from auditor.scan import run_scan
from auditor.shard import Shard

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from auditor.history.store import HistoryStore

T = TypeVar("T")


class _HistoryRun:
    """--history for one scan. A store that cannot be reached is remembered, not raised: the scan and its
    reports go on, and the exit code is 3 at the end. A bad URL or a newer schema is exit 2 at once."""

    def __init__(self, url: str | None) -> None:
        self.store: HistoryStore | None = None
        self.error: HistoryError | None = None
        if url is not None:
            try:
                self.store = open_store(url)
            except HistoryError as error:
                self.error = error

    def call(self, function: Callable[..., T], *args: Any) -> T | None:
        try:
            return function(*args)
        except HistoryError as error:
            self.error = self.error or error
            return None


def _gather(
    source: SourceOptions, hubs: HubConfig, live: LiveOptions, quiet: bool, processes: int | None = None
) -> Estate:
    """Check the hub kubeconfig, then read the estate (live: with a credential, progress and -v log;
    ``processes``: collect in that many processes, each signing in on its own)."""
    notes = (lambda _note: None) if quiet else (lambda note: echo.err(f"aks-auditor: note: {note}"))

    def make_credential() -> AbstractContextManager[TokenCredential | None]:
        return credential(live.azure, needed=True)

    gatherer = EstateGatherer(
        source, hubs, live.azure, notes=notes, processes=processes or 1, make_credential=make_credential
    )
    with (
        call_log(live.verbose),
        progress_bars(quiet or not source.is_live) as progress,
        credential(live.azure, needed=source.is_live) as azure_credential,
    ):
        return gatherer.gather(azure_credential, progress)


def check_shard_scan(source: SourceOptions, gate: GateOptions, remediate: RemediateOptions) -> None:
    """``scan --shard``: a slice of a whole snapshot, judged; comparing, recording and remediating are
    for the merged result (ConfigError, exit 2)."""
    if source.is_live:
        raise ConfigError(
            "--shard: a scan judges a shard of a whole snapshot (--inventory FILE) or of --demo; to collect "
            "in shards use `collect --shard I/N`, join them with `merge --inventory`, then scan the merged "
            "snapshot with --shard"
        )
    given = [
        flag
        for flag, value in (
            ("--baseline", gate.baseline),
            ("--history", gate.history),
            ("--remediate", remediate.enabled or None),
        )
        if value is not None
    ]
    if given:
        raise ConfigError(
            f"--shard with {', '.join(given)}: a shard's result is one part of a scan; `merge` the shards' "
            "results first, then compare, record or remediate the merged result"
        )


def policies_and_waivers(
    policies: PolicyOptions, gate: GateOptions, started: datetime
) -> tuple[list[ConfiguredPolicy], tuple[Waiver, ...]]:
    """The configured policies and the accepted waivers (ConfigError / PolicyError / InputError, exit 2)."""
    selection = Selection(
        sets=policies.sets, enable=policies.enable, disable=policies.disable, origins=policies.origins
    )
    available = available_policies(policies.policy_dirs)
    configured = configure(available, selection)
    if gate.waivers is None:
        return configured, ()
    accepted = load_waivers(
        gate.waivers,
        known_policies={source.spec.id for source in available},
        max_days=gate.max_waiver_days,
        today=started.date(),
    )
    return configured, accepted


#: scan's option groups, by the argument each becomes (``config show`` builds them the same way).
SCAN_GROUPS = (SOURCE, POLICIES, REPORTS, GATE, REMEDIATE, HUBS, LIVE, QUIET)


@configurable
@click.command(epilog=EXIT_CODES_HELP)
@SOURCE
@POLICIES
@REPORTS
@GATE
@REMEDIATE
@HUBS
@LIVE
@PROCESSES
@SCAN_SHARD
@QUIET
def scan(
    source: SourceOptions,
    policies: PolicyOptions,
    reports: ReportOptions,
    gate: GateOptions,
    remediate: RemediateOptions,
    hubs: HubConfig,
    live: LiveOptions,
    processes: int | None,
    shard: Shard | None,
    quiet: bool,
) -> None:
    """Evaluate the policies over an estate and write reports.

    The estate is a snapshot (--inventory), the demo (--demo) or, with neither, read live from Azure.
    With --shard, the exit code is 0 once the shard's reports are written (2 and 4 as below): the gate
    is `merge`'s, over every shard's result.
    """
    started = datetime.now(UTC)
    config = validated(
        ScanConfig,
        source=source,
        policies=policies,
        reports=reports,
        gate=gate,
        hubs=hubs,
        live=live,
        remediate=remediate,
        quiet=quiet,
    )
    if shard is not None:
        check_shard_scan(source, gate, remediate)
    # Everything the user gave is validated before any estate is read or any API is called.
    configured, accepted = policies_and_waivers(policies, gate, started)
    from_history = gate.baseline_from_history
    baseline = load_result(Path(gate.baseline)) if gate.baseline and from_history is None else None
    history = _HistoryRun(gate.history)
    check_only(remediate.plan.only, {policy.spec.id for policy in configured})
    given = choose_calendar(policies.calendar, demo=False, max_age_days=policies.calendar_max_age_days)
    estate = _gather(config.source, config.hubs, config.live, config.quiet, processes)
    if shard is not None and estate.shard is not None:
        raise ConfigError(
            f"--shard {shard}: {source.inventory} is shard {estate.shard.index}/{estate.shard.count} of a "
            "collection; join the shards with `merge --inventory` and judge shards of the merged snapshot"
        )
    # Without --release-calendar, the demo estate (and copies of it) is judged with its own calendar.
    calendar = (
        given
        if policies.calendar
        else choose_calendar(None, demo=estate.source == "demo", max_age_days=policies.calendar_max_age_days)
    )
    result = run_scan(
        estate,
        configured,
        started_at=started,
        fail_on=gate.fail_on,
        waivers=accepted,
        calendar=calendar,
        report_tags=reports.tags,
        processes=processes or default_processes(resource_count(estate) // (shard.count if shard else 1)),
        shard=shard,
    )
    label = gate.baseline
    if from_history is not None and history.store is not None:
        found = history.call(history.store.baseline, from_history, result.scan.scope, result.scan.source)
        baseline, label = found if found else (None, label)
    if history.store is not None:
        result = history.call(history.store.annotate, result) or result
    if label is not None and (baseline is not None or from_history is not None) and history.error is None:
        if baseline is not None and not gate.baseline_any_scope:
            check_scope(result, baseline, label)
        result = compare(result, baseline, label)
    plan = build_plan(estate, result, remediate.plan, created_at=started) if remediate.enabled else None
    # Nothing below reads the estate: its memory serves the reports' rendering (measured at 10,000 clusters:
    # the command's peak 447 -> 424 MB; benchmarks/results/scale.md).
    del estate
    extra = [(PLAN_FILE_NAME, dump_model(plan))] if plan else []
    with collector_paused():  # the result lives until exit: no full collection rescans it while rendering
        written = write_reports(result, reports.formats, reports.output_dir, extra)
    if not config.quiet:
        echo.out(render_console(result), newline=False)
        for path in written:
            echo.out(f"report: {path}")
        if plan:
            for line in render_plan(plan, reports.output_dir / PLAN_FILE_NAME, applying=remediate.apply):
                echo.out(line)
    if history.store is not None:
        scan_id = history.call(history.store.record, result)
        if scan_id is not None and not config.quiet:
            echo.out(f"history: scan {scan_id} recorded in {history.store.shown}")
        history.store.close()
    if history.error is not None:
        echo.err(f"aks-auditor: error: {history.error.message}")
        sys.exit(history.error.exit_code)  # 3: the reports are written, the history is not
    if shard is not None:
        # A shard's result is a part of one scan: whether it fails the gate (1) or is incomplete (3) is
        # decided by `merge` over every shard (its gaps and error findings are in its result).
        if not config.quiet:
            echo.out(f"shard {shard}: the gate (exit 1 or 3) is decided by `merge` over every shard's result")
        sys.exit(EXIT_OK)
    if plan and remediate.apply:
        plan_file = reports.output_dir / PLAN_FILE_NAME
        from auditor.cli.apply import apply_plan  # the Azure SDK: loaded by the commands that call Azure

        sys.exit(
            apply_plan(plan, plan_file, config.live, do_apply=True, yes=remediate.yes, quiet=config.quiet)
        )
    sys.exit(
        exit_code(result, gate.fail_on, allow_partial=gate.allow_partial, new_only=gate.fail_on_new_only)
    )


@configurable
@click.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the estate snapshot (JSON, the file --inventory reads).",
)
@HUBS
@ALLOW_PARTIAL
@LIVE
@SHARD
@COLLECT_PROCESSES
@QUIET
def collect(
    output: Path,
    hubs: HubConfig,
    allow_partial: bool,
    live: LiveOptions,
    shard: Shard | None,
    processes: int | None,
    quiet: bool,
) -> None:
    """Read the estate live from Azure (and Fleet hubs) and write it as a snapshot (gaps: exit 3)."""
    if shard is not None:
        live = live.model_copy(update={"azure": live.azure.model_copy(update={"shard": shard})})
    config = validated(
        CollectConfig, live=live, hubs=hubs, allow_partial=allow_partial, output=output, quiet=quiet
    )
    check_snapshot_target(config.output)
    estate = _gather(SourceOptions(), config.hubs, config.live, config.quiet, processes)
    write_output(config.output, dump_model(estate), "snapshot")
    gaps = estate.coverage.gaps
    if not config.quiet:
        part = ""
        if estate.shard:
            part = f" (shard {shard} of {estate.shard.scope_subscriptions} subscriptions in scope)"
        echo.out(
            f"collected {len(estate.clusters)} clusters, {len(estate.fleets)} fleets from "
            f"{len(estate.scope.subscriptions)} subscriptions{part}; {len(gaps)} coverage gaps "
            f"-> {config.output}"
        )
        for gap in gaps:
            echo.err(f"gap: {gap.scope} {gap.target}: {gap.operation}: {gap.reason}")
    sys.exit(EXIT_INCOMPLETE if gaps and not config.allow_partial else EXIT_OK)
