"""Time helpers shared by every layer: one rule for naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already (snapshots and results written by
    hand may omit the offset; reading them as local time would shift every age by the machine's zone)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """``2026-11-20T06:00:00Z``: ISO 8601 in UTC with a ``Z``."""
    return as_utc(moment).isoformat().replace("+00:00", "Z")
