"""``aks-auditor merge``: join the results of ``scan --shard I/N`` into one scan's result and its reports,
or (``--inventory``) the snapshots of ``collect --shard I/N`` into the snapshot one collection writes."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from auditor.cli import echo
from auditor.cli.options import ALLOW_PARTIAL, MERGE_REPORTS, QUIET
from auditor.collectors.shard_merge import MAX_SPREAD, merge_shards
from auditor.config import ReportOptions
from auditor.errors import EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.gates.threshold import exit_code
from auditor.gcpause import collector_paused
from auditor.inventory.snapshot import dump_model, load_estate
from auditor.outputs import check_snapshot_target, write_output, write_reports
from auditor.reporters.console import render_console
from auditor.result_file import load_result
from auditor.result_merge import merge_results

MERGE_EXIT_HELP = """Exit codes: 0 merged (results: and no finding reaches the shards' --fail-on); 1
results: findings reach --fail-on; 2 a file is unreadable or not a shard's, or a shard is missing, given
twice or of another scan or collection (nothing is written); 3 merged, but coverage is incomplete
(--allow-partial: gaps alone do not count; results: an error finding still does); 4 the output cannot be
written."""


@click.command(epilog=MERGE_EXIT_HELP)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--inventory",
    "inventory",
    is_flag=True,
    help="The files are snapshots of `collect --shard I/N` (without it: JSON results of `scan --shard`).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="--inventory: where to write the merged snapshot (scan it with `scan --inventory`).",
)
@click.option(
    "--max-spread",
    type=click.IntRange(1, 7 * 24 * 60),
    default=int(MAX_SPREAD.total_seconds() // 60),
    show_default=True,
    metavar="MINUTES",
    help="--inventory: refuse shards collected further apart than this (a shard left from an earlier run).",
)
@MERGE_REPORTS
@ALLOW_PARTIAL
@QUIET
def merge(
    files: tuple[Path, ...],
    inventory: bool,
    output: Path | None,
    max_spread: int,
    reports: ReportOptions,
    allow_partial: bool,
    quiet: bool,
) -> None:
    """Join every shard's result (`scan --shard`) into one scan's result and reports, or with --inventory
    every shard's snapshot (`collect --shard`) into the snapshot one collection would write."""
    if not files:
        raise ConfigError(f"merge: name the {'snapshot' if inventory else 'JSON result'} of every shard")
    if inventory:
        if output is None:
            raise ConfigError("merge --inventory: give --output FILE for the merged snapshot")
        _merge_snapshots(files, output, max_spread, allow_partial, quiet)
    if output is not None:
        raise ConfigError(
            "merge: --output is the merged snapshot of --inventory; the merged result's reports go to "
            "--output-dir"
        )
    with collector_paused():
        merged = merge_results([(str(path), load_result(path)) for path in files])
        written = write_reports(merged, reports.formats, reports.output_dir)
    if not quiet:
        echo.out(render_console(merged), newline=False)
        echo.out(f"merged {len(files)} shards' results")
        for path in written:
            echo.out(f"report: {path}")
    sys.exit(exit_code(merged, merged.scan.fail_on, allow_partial=allow_partial))


def _merge_snapshots(
    files: tuple[Path, ...], output: Path, max_spread: int, allow_partial: bool, quiet: bool
) -> None:
    check_snapshot_target(output)
    shards = [(str(path), load_estate(path)) for path in files]
    merged = merge_shards(shards, max_spread=timedelta(minutes=max_spread))
    write_output(output, dump_model(merged), "snapshot")
    gaps = merged.coverage.gaps
    if not quiet:
        echo.out(
            f"merged {len(files)} shards: {len(merged.clusters)} clusters, {len(merged.fleets)} fleets "
            f"from {len(merged.scope.subscriptions)} subscriptions; {len(gaps)} coverage gaps -> {output}"
        )
        for gap in gaps:
            echo.err(f"gap: {gap.scope} {gap.target}: {gap.operation}: {gap.reason}")
    sys.exit(EXIT_INCOMPLETE if gaps and not allow_partial else EXIT_OK)
