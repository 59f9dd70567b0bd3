"""``aks-auditor calendar update|show``, and the calendar a scan uses (--release-calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from auditor.cli import echo
from auditor.cli.options import EXIT_CODES_HELP
from auditor.errors import ConfigError
from auditor.outputs import write_output
from auditor.release_calendar import (
    DEFAULT_MAX_AGE_DAYS,
    DEFAULT_URL,
    CalendarChoice,
    ReleaseCalendar,
    load_calendar_file,
    parse_calendar,
    render_calendar,
)


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def _fetched(url: str) -> ReleaseCalendar:
    """The calendar at ``url``, fetched with the proxy and CA settings of the SDK (azure.core's pipeline,
    imported only when a URL is given)."""
    from auditor.collectors.web import fetch_json

    return parse_calendar(fetch_json(url), url)


def read_calendar(spec: str) -> ReleaseCalendar:
    """A calendar from a file or an http(s) URL."""
    return _fetched(spec) if _is_url(spec) else load_calendar_file(Path(spec))


def choose_calendar(
    spec: str | None, *, demo: bool, max_age_days: int = DEFAULT_MAX_AGE_DAYS
) -> CalendarChoice:
    """--release-calendar when given; else the demo's own calendar for the demo estate (``demo``), the
    packaged one otherwise."""
    if spec is not None:
        return CalendarChoice(read_calendar(spec), spec, max_age_days)
    return CalendarChoice.demo(max_age_days) if demo else CalendarChoice.packaged(max_age_days)


@click.group(epilog=EXIT_CODES_HELP)
def calendar() -> None:
    """The AKS release calendar behind end-of-support dates (AKS-013, AKS-014, the horizon report)."""


@calendar.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the calendar (then scan with --release-calendar FILE).",
)
@click.option(
    "--url",
    default=DEFAULT_URL,
    show_default=True,
    help="endoflife.date API v1 product URL, or the URL of a calendar file.",
)
def update(output: Path, url: str) -> None:
    """Fetch the calendar, validate it and write it atomically (nothing is written if any step fails)."""
    if not _is_url(url):
        raise ConfigError(f"--url {url}: expected an https:// (or http://) URL")
    fetched = _fetched(url)
    write_output(output, render_calendar(fetched), "the release calendar")
    newest = fetched.newest_first()[0]
    echo.out(
        f"calendar: {output} ({len(fetched.releases)} minors, newest {newest.release_cycle}, "
        f"as of {fetched.as_of})"
    )


@calendar.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--release-calendar",
    "spec",
    metavar="FILE|URL",
    help="Calendar to show (default: the one in the package).",
)
@click.option("--demo", is_flag=True, help="Show the demo estate's calendar.")
def show(spec: str | None, demo: bool) -> None:
    """Print each minor's GA date, end of community and long-term support, and days left from today."""
    chosen = choose_calendar(spec, demo=demo)
    cal = chosen.calendar
    today = datetime.now(UTC).date()
    echo.out(f"release calendar ({chosen.origin}), as of {cal.as_of} ({(today - cal.as_of).days} days old)")
    echo.out(f"source: {cal.source}")
    echo.out(f"{'minor':<7} {'GA':<11} {'community ends':<19} LTS ends")
    for release in cal.newest_first():
        echo.out(
            f"{release.release_cycle:<7} {_day(release.release_date):<11} "
            f"{_ends(release.eol, today):<19} {_ends(release.eoes, today)}"
        )


def _day(value: date | None) -> str:
    return str(value) if value is not None else "-"


def _ends(value: date | None, today: date) -> str:
    return f"{value} ({(value - today).days:+d}d)" if value is not None else "-"
