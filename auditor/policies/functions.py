"""Custom functions available to policy expressions (pure Python; the engine adapter declares them).

Every function raises ``ValueError`` naming the offending input when it cannot answer; the engine turns
that into an error value, so the finding becomes ``error`` — never a pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auditor.inventory.aks import MaintenanceConfiguration
from auditor.kube_versions import (
    latest_version,
    minor_gap,
    minor_of,
    minor_path,
    node_image_date,
    same_major,
    version_compare,
    version_major,
    version_minor,
)
from auditor.release_calendar import ReleaseCalendar, packaged_calendar
from auditor.schedule import UnknownSchedule, is_open, next_opening


def as_utc_date(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days from ``earlier`` to ``later`` (negative when ``earlier`` is in the future)."""
    return (later - earlier).days


@dataclass(frozen=True)
class FunctionDoc:
    """A function as policy authors see it: CEL signature, summary, Python implementation."""

    name: str
    params: tuple[str, ...]
    returns: str
    summary: str
    impl: Callable[..., object]


#: ``windowGapDays`` when a window never opens within a year (its schedule is as good as none).
NO_WINDOW_DAYS = 366


def _window(configs: list[Any], name: str) -> MaintenanceConfiguration:
    """The maintenance configuration ``name`` of a cluster document's ``maintenanceConfigurations``."""
    for config in configs:
        if isinstance(config, dict) and config.get("name") == name:
            return MaintenanceConfiguration.model_validate(config)
    raise ValueError(f"no maintenance configuration named {name!r}")


def catalog(now: datetime, calendar: ReleaseCalendar | None = None) -> tuple[FunctionDoc, ...]:
    """All custom functions; ``daysSince``, ``daysUntil`` and the window functions measure against the scan
    time ``now``; ``supportEnds`` reads ``calendar`` (the packaged release calendar when None)."""
    calendar = calendar or packaged_calendar()

    def days_since(moment: datetime) -> int:
        return days_between(moment, now)

    def days_until(moment: datetime) -> int:
        return (as_utc_date(moment) - now.astimezone(UTC).date()).days

    def support_ends(version: str, lts: bool) -> datetime:
        ends = calendar.support_ends(minor_of(version), lts=lts)
        return datetime(ends.year, ends.month, ends.day, tzinfo=UTC)

    def window_gap_days(configs: list[Any], name: str) -> int:
        config = _window(configs, name)
        try:
            if is_open(config, now):
                return 0
            opens = next_opening(config, now)
        except UnknownSchedule as error:
            raise ValueError(str(error)) from None
        if opens is None or opens - now > timedelta(days=NO_WINDOW_DAYS):
            return NO_WINDOW_DAYS
        return math.ceil((opens - now) / timedelta(days=1))

    def next_window(configs: list[Any], name: str) -> str:
        config = _window(configs, name)
        try:
            opens = next_opening(config, now)
        except UnknownSchedule as error:
            raise ValueError(str(error)) from None
        return opens.strftime("%Y-%m-%dT%H:%MZ") if opens else "none within a year"

    return (
        FunctionDoc("minorOf", ("string",), "string", "`1.29.3` -> `1.29`", minor_of),
        FunctionDoc("versionMajor", ("string",), "int", "major number of a version", version_major),
        FunctionDoc("versionMinor", ("string",), "int", "minor number of a version", version_minor),
        FunctionDoc(
            "versionCompare",
            ("string", "string"),
            "int",
            "-1, 0 or 1 comparing two versions (a missing patch counts as 0)",
            version_compare,
        ),
        FunctionDoc("sameMajor", ("string", "string"), "bool", "both versions share a major", same_major),
        FunctionDoc(
            "minorGap",
            ("string", "string"),
            "int",
            "minors from the first version up to the second (error across majors)",
            minor_gap,
        ),
        FunctionDoc(
            "minorPath",
            ("string", "string"),
            "list<string>",
            "each minor hop from the first version to the second, e.g. 1.28->1.30: [1.29, 1.30]",
            minor_path,
        ),
        FunctionDoc(
            "latestVersion",
            ("list<string>",),
            "string",
            "the highest version in a list",
            latest_version,
        ),
        FunctionDoc(
            "nodeImageDate",
            ("string",),
            "timestamp",
            "build date in a Linux or Windows AKS node image version (error if unreadable)",
            node_image_date,
        ),
        FunctionDoc(
            "daysSince", ("timestamp",), "int", "whole days from a timestamp to the scan time", days_since
        ),
        FunctionDoc(
            "daysUntil",
            ("timestamp",),
            "int",
            "calendar days (UTC) from the scan date to a timestamp's date; negative once it has passed",
            days_until,
        ),
        FunctionDoc(
            "supportEnds",
            ("string", "bool"),
            "timestamp",
            "when a version's minor leaves support in the release calendar: the end of long-term support "
            "when the second argument is true, else of community support (error if the calendar has no date)",
            support_ends,
        ),
        FunctionDoc(
            "windowGapDays",
            ("list<dyn>", "string"),
            "int",
            "days from the scan time until the named maintenance window next opens (0: open now; "
            f"{NO_WINDOW_DAYS}: not within a year; error if its schedule cannot be known)",
            window_gap_days,
        ),
        FunctionDoc(
            "nextWindow",
            ("list<dyn>", "string"),
            "string",
            "when the named maintenance window next opens, as 2026-12-06T00:00Z (or 'none within a year')",
            next_window,
        ),
    )
