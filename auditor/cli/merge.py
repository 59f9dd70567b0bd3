"""``aks-auditor merge --inventory``: join the snapshots of ``collect --shard I/N`` into one."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from auditor.cli import echo
from auditor.cli.options import ALLOW_PARTIAL, QUIET
from auditor.collectors.shard_merge import MAX_SPREAD, merge_shards
from auditor.errors import EXIT_INCOMPLETE, EXIT_OK, ConfigError
from auditor.inventory.snapshot import dump_model, load_estate
from auditor.outputs import check_snapshot_target, write_output

MERGE_EXIT_HELP = """Exit codes: 0 merged; 2 a file is unreadable or not a shard, or a shard is missing,
given twice or of another collection (nothing is written); 3 merged, but some shard has coverage gaps
(--allow-partial: 0); 4 the output cannot be written."""


@click.command(epilog=MERGE_EXIT_HELP)
@click.argument("snapshots", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--inventory",
    "inventory",
    is_flag=True,
    help="The files are snapshots (`collect --shard I/N`); required, as only snapshots are merged.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the merged snapshot (scan it with `scan --inventory`).",
)
@click.option(
    "--max-spread",
    type=click.IntRange(1, 7 * 24 * 60),
    default=int(MAX_SPREAD.total_seconds() // 60),
    show_default=True,
    metavar="MINUTES",
    help="Refuse shards collected further apart than this (a shard left from an earlier run).",
)
@ALLOW_PARTIAL
@QUIET
def merge(
    snapshots: tuple[Path, ...],
    inventory: bool,
    output: Path,
    max_spread: int,
    allow_partial: bool,
    quiet: bool,
) -> None:
    """Join the snapshots of every shard of one collection into the snapshot one collection would write."""
    if not inventory:
        raise ConfigError(
            "merge: only snapshots are merged: use `merge --inventory SNAPSHOT… -o FILE`, then scan the "
            "merged snapshot with `scan --inventory FILE`"
        )
    if not snapshots:
        raise ConfigError("merge --inventory: name the snapshot of every shard")
    check_snapshot_target(output)
    shards = [(str(path), load_estate(path)) for path in snapshots]
    merged = merge_shards(shards, max_spread=timedelta(minutes=max_spread))
    write_output(output, dump_model(merged), "snapshot")
    gaps = merged.coverage.gaps
    if not quiet:
        echo.out(
            f"merged {len(snapshots)} shards: {len(merged.clusters)} clusters, {len(merged.fleets)} fleets "
            f"from {len(merged.scope.subscriptions)} subscriptions; {len(gaps)} coverage gaps -> {output}"
        )
        for gap in gaps:
            echo.err(f"gap: {gap.scope} {gap.target}: {gap.operation}: {gap.reason}")
    sys.exit(EXIT_INCOMPLETE if gaps and not allow_partial else EXIT_OK)
