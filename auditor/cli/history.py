"""``aks-auditor history list|show SCAN|trend``: read the scan history store (--history URL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click

from auditor.cli import echo
from auditor.cli.options import EXIT_CODES_HELP
from auditor.cli.settings import configurable
from auditor.errors import ConfigError
from auditor.history import open_store
from auditor.reporters.common import utc_timestamp

_SPAN = re.compile(r"^(\d+)([hdw])$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}

HISTORY = click.option(
    "--history",
    "url",
    required=True,
    metavar="URL",
    help="The store: a file (SQLite), sqlite:///PATH or postgresql://...",
)
SINCE = click.option("--since", metavar="30d|12h|2w|YYYY-MM-DD", help="Only scans from then on.")


def parse_since(text: str | None, now: datetime | None = None) -> datetime | None:
    if text is None:
        return None
    span = _SPAN.match(text.strip())
    if span:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--since {text}: expected 30d, 12h, 2w or a date like 2026-11-01") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group(epilog=EXIT_CODES_HELP)
def history() -> None:
    """The scan history that scan --history appends to: scans, one scan, per-policy trends."""


@configurable
@history.command("list", epilog=EXIT_CODES_HELP)
@HISTORY
@SINCE
def list_scans(url: str, since: str | None) -> None:
    """One line per recorded scan: id, time, source, totals, coverage."""
    store = open_store(url)
    try:
        rows = store.scans(parse_since(since))
    finally:
        store.close()
    echo.out(
        f"{'scan':>5}  {'started (UTC)':<19}  {'source':<8} {'fail':>5} {'error':>5} {'pass':>6}  coverage"
    )
    for row in rows:
        coverage = "complete" if row.complete else f"INCOMPLETE ({row.gaps} gaps)"
        echo.out(
            f"{row.id:>5}  {utc_timestamp(row.started_at)[:19]:<19}  {row.source:<8} "
            f"{row.by_status.get('fail', 0):>5} {row.by_status.get('error', 0):>5} "
            f"{row.by_status.get('pass', 0):>6}  {coverage}"
        )
    if not rows:
        echo.out("no scans recorded" + (f" since {since}" if since else ""))


@configurable
@history.command("show", epilog=EXIT_CODES_HELP)
@click.argument("scan_id", type=int)
@HISTORY
def show(scan_id: int, url: str) -> None:
    """A recorded scan and its findings that did not pass, with how long each has been failing."""
    store = open_store(url)
    try:
        row, items = store.scan(scan_id)
    finally:
        store.close()
    echo.out(
        f"scan {row.id}: {utc_timestamp(row.started_at)}, source {row.source}, aks-auditor {row.tool_version}"
    )
    shown = ", ".join(f"{k} {v}" for k, v in row.by_status.items())
    echo.out(
        f"  {row.total} findings: {shown}; {'complete' if row.complete else f'{row.gaps} coverage gaps'}"
    )
    for item in items:
        streak = ""
        if item.first_seen is not None:
            first = item.first_seen if item.first_seen.tzinfo else item.first_seen.replace(tzinfo=UTC)
            last = item.last_seen if item.last_seen.tzinfo else item.last_seen.replace(tzinfo=UTC)
            streak = f" (failing for {(last - first).days} days, since {first.date()})"
        head = f"  [{item.status:<7}] {item.severity:<8} {item.policy_id} {item.resource_name}"
        echo.out(f"{head}: {item.message}{streak}")


@configurable
@history.command("trend", epilog=EXIT_CODES_HELP)
@click.option("--policy", metavar="ID", help="One policy (default: all).")
@HISTORY
@SINCE
def trend(policy: str | None, url: str, since: str | None) -> None:
    """Per policy and scan: how many findings failed, passed, errored."""
    store = open_store(url)
    try:
        points = store.trend(policy, parse_since(since))
    finally:
        store.close()
    echo.out(f"{'policy':<10} {'scan':>5}  {'started (UTC)':<19} {'fail':>5} {'error':>5} {'pass':>6}")
    for point in points:
        counts = point.counts
        echo.out(
            f"{point.policy_id:<10} {point.scan_id:>5}  {utc_timestamp(point.started_at)[:19]:<19} "
            f"{counts.get('fail', 0):>5} {counts.get('error', 0):>5} {counts.get('pass', 0):>6}"
        )
    if not points:
        echo.out("no findings recorded" + (f" for {policy}" if policy else ""))
