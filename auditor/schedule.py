"""When an AKS maintenance window is open: occurrences of a maintenance configuration, by python-dateutil.

``maintenanceWindow`` schedules (daily, weekly, absoluteMonthly, relativeMonthly) start at ``startTime``
in ``utcOffset`` and last ``durationHours``; intervals above 1 count from ``startDate``, so without one
the phase is unknown and so is the answer (None, never a guess). ``notAllowedDates`` removes the
occurrences that start on those dates. The legacy ``default`` configuration allows whole UTC hours on
weekdays (``timeInWeek``) minus ``notAllowedTime`` spans.
https://learn.microsoft.com/azure/aks/planned-maintenance
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from dateutil import rrule

from auditor.inventory.aks import MaintenanceConfiguration

_DAYS = {
    "monday": rrule.MO,
    "tuesday": rrule.TU,
    "wednesday": rrule.WE,
    "thursday": rrule.TH,
    "friday": rrule.FR,
    "saturday": rrule.SA,
    "sunday": rrule.SU,
}
_WEEK_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
#: Any Monday long ago: the anchor of interval-1 schedules, whose phase does not depend on it.
_EPOCH = date(2000, 1, 3)


class UnknownSchedule(ValueError):
    """The configuration does not say enough to know when it is open."""


def is_open(config: MaintenanceConfiguration, moment: datetime) -> bool:
    """Whether ``moment`` falls inside one of the configuration's windows. Raises UnknownSchedule."""
    moment = moment.astimezone(UTC)
    if config.schedule_kind == "timeInWeek":
        return _legacy_open(config, moment)
    hours = config.duration_hours
    if not hours:
        raise UnknownSchedule(f"{config.name}: no durationHours")
    start = _latest_start(config, moment, timedelta(hours=hours))
    return start is not None and moment < start + timedelta(hours=hours)


def occurrences(
    config: MaintenanceConfiguration, after: datetime, count: int
) -> list[tuple[datetime, datetime]]:
    """The next ``count`` windows (start, end) in UTC starting at or after ``after``, within ~8 years.

    Only for ``maintenanceWindow`` schedules (the legacy configuration has hour slots, not windows).
    """
    if config.schedule_kind == "timeInWeek":
        raise UnknownSchedule(f"{config.name}: the legacy configuration has hour slots, not windows")
    hours = config.duration_hours
    if not hours:
        raise UnknownSchedule(f"{config.name}: no durationHours")
    found: list[tuple[datetime, datetime]] = []
    for start in _rule(config).xafter(after.astimezone(UTC), count=count + 3000, inc=True):
        if not _excluded(config, start):
            begin = start.astimezone(UTC)
            found.append((begin, begin + timedelta(hours=hours)))
            if len(found) == count:
                break
    return found


def next_opening(config: MaintenanceConfiguration, after: datetime) -> datetime | None:
    """The next start of a window at or after ``after`` (UTC), within a year; None if there is none."""
    after = after.astimezone(UTC)
    if config.schedule_kind == "timeInWeek":
        hour = after.replace(minute=0, second=0, microsecond=0)
        for step in range(24 * 7 * 53):
            candidate = hour + timedelta(hours=step)
            if candidate >= after and _legacy_open(config, candidate):
                return candidate
        return None
    rule = _rule(config)
    for start in rule.xafter(after, count=400, inc=True):
        if not _excluded(config, start):
            found: datetime = start.astimezone(UTC)
            return found
    return None


def next_window(config: MaintenanceConfiguration, now: datetime) -> tuple[datetime, datetime] | None:
    """The window open at ``now`` or, if none is, the next one to open within a year: (start, end) in UTC.
    None when nothing opens within a year. Raises UnknownSchedule."""
    now = now.astimezone(UTC)
    if config.schedule_kind == "timeInWeek":
        start = now.replace(minute=0, second=0, microsecond=0) if _legacy_open(config, now) else None
        start = start or next_opening(config, now)
        if start is None:
            return None
        end = start + timedelta(hours=1)
        while end - start < timedelta(days=7) and _legacy_open(config, end):
            end += timedelta(hours=1)
        return start, end
    hours = config.duration_hours
    if not hours:
        raise UnknownSchedule(f"{config.name}: no durationHours")
    current = _latest_start(config, now, timedelta(hours=hours))
    if current is not None and now < current + timedelta(hours=hours):
        begin = current.astimezone(UTC)
        return begin, begin + timedelta(hours=hours)
    opens = next_opening(config, now)
    if opens is None or opens - now > timedelta(days=366):
        return None
    return opens, opens + timedelta(hours=hours)


def _latest_start(config: MaintenanceConfiguration, moment: datetime, duration: timedelta) -> datetime | None:
    rule = _rule(config)
    starts: list[datetime] = rule.between(moment - duration, moment, inc=True)
    return next((start for start in reversed(starts) if not _excluded(config, start)), None)


def _offset(config: MaintenanceConfiguration) -> timezone:
    text = (config.utc_offset or "+00:00").strip()
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    try:
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))
    except ValueError:
        raise UnknownSchedule(f"{config.name}: utcOffset {config.utc_offset!r} is not ±HH:MM") from None


def _rule(config: MaintenanceConfiguration) -> rrule.rrule:
    tz = _offset(config)
    try:
        hour, minute = (int(part) for part in (config.start_time or "00:00").split(":"))
    except ValueError:
        raise UnknownSchedule(f"{config.name}: startTime {config.start_time!r} is not HH:MM") from None
    interval = {
        "daily": config.interval_days,
        "weekly": config.interval_weeks,
        "absoluteMonthly": config.interval_months,
        "relativeMonthly": config.interval_months,
    }.get(config.schedule_kind or "")
    if interval is None:
        raise UnknownSchedule(f"{config.name}: schedule {config.schedule_kind!r} without its interval")
    if config.start_date:
        anchor = date.fromisoformat(config.start_date)
    elif interval == 1:
        anchor = _EPOCH
    else:
        raise UnknownSchedule(f"{config.name}: every {interval} {config.schedule_kind} needs a startDate")
    start = datetime(anchor.year, anchor.month, anchor.day, hour, minute, tzinfo=tz)
    kind = config.schedule_kind
    if kind == "daily":
        return rrule.rrule(rrule.DAILY, interval=interval, dtstart=start)
    day = _DAYS.get((config.day_of_week or "").lower())
    if kind == "weekly":
        if day is None:
            raise UnknownSchedule(f"{config.name}: weekly without a dayOfWeek")
        # weeks count from the week of startDate (AKS: from the first such weekday on or after it)
        return rrule.rrule(rrule.WEEKLY, interval=interval, byweekday=day, dtstart=start)
    if kind == "absoluteMonthly":
        if not config.day_of_month:
            raise UnknownSchedule(f"{config.name}: absoluteMonthly without a dayOfMonth")
        return rrule.rrule(rrule.MONTHLY, interval=interval, bymonthday=config.day_of_month, dtstart=start)
    index = _WEEK_INDEX.get((config.week_index or "").lower())
    if day is None or index is None:
        raise UnknownSchedule(f"{config.name}: relativeMonthly needs dayOfWeek and weekIndex")
    return rrule.rrule(rrule.MONTHLY, interval=interval, byweekday=day(index), dtstart=start)


def _excluded(config: MaintenanceConfiguration, start: datetime) -> bool:
    """An occurrence starting on a ``notAllowedDates`` day (in the window's own offset) does not happen."""
    day = start.date()
    return any(
        date.fromisoformat(span.start) <= day <= date.fromisoformat(span.end)
        for span in config.not_allowed_dates
    )


def _legacy_open(config: MaintenanceConfiguration, moment: datetime) -> bool:
    weekday = moment.strftime("%A").lower()
    allowed = any(
        (slot.day or "").lower() == weekday and moment.hour in slot.hour_slots for slot in config.time_in_week
    )
    if not allowed:
        return False
    return not any(_instant(span.start) <= moment <= _instant(span.end) for span in config.not_allowed_time)


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
