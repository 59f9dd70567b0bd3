"""Maintenance window arithmetic (python-dateutil rrules): when each schedule kind is open, and when next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.inventory.aks import MaintenanceConfiguration
from auditor.schedule import UnknownSchedule, is_open, next_opening


def config(**fields: Any) -> MaintenanceConfiguration:
    base = {"name": "aksManagedAutoUpgradeSchedule", "duration_hours": 8, "start_time": "00:00"}
    return MaintenanceConfiguration.model_validate(base | fields)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


WEEKLY = config(schedule_kind="weekly", interval_weeks=1, day_of_week="Sunday")


def test_weekly_is_open_for_its_duration_from_the_start_time() -> None:
    assert is_open(WEEKLY, at("2026-12-06T00:00"))  # a Sunday
    assert is_open(WEEKLY, at("2026-12-06T07:59"))
    assert not is_open(WEEKLY, at("2026-12-06T08:00"))
    assert not is_open(WEEKLY, at("2026-12-05T23:59"))
    assert next_opening(WEEKLY, at("2026-12-03T10:00")) == at("2026-12-06T00:00")


def test_a_window_crossing_midnight_and_an_offset() -> None:
    late = config(schedule_kind="weekly", interval_weeks=1, day_of_week="Sunday", start_time="22:00")
    assert is_open(late, at("2026-12-07T05:00"))  # Monday morning, still Sunday's window
    india = config(
        schedule_kind="daily", interval_days=1, start_time="02:00", utc_offset="+05:30", duration_hours=4
    )
    assert is_open(india, at("2026-12-02T20:30"))  # 02:00 IST on the 3rd
    assert not is_open(india, at("2026-12-03T02:00"))
    assert next_opening(india, at("2026-12-03T02:00")) == at("2026-12-03T20:30")


def test_intervals_count_from_the_start_date_and_are_unknown_without_one() -> None:
    fortnight = config(
        schedule_kind="weekly", interval_weeks=2, day_of_week="Sunday", start_date="2026-11-29"
    )
    assert is_open(fortnight, at("2026-11-29T01:00"))
    assert not is_open(fortnight, at("2026-12-06T01:00"))
    assert is_open(fortnight, at("2026-12-13T01:00"))
    with pytest.raises(UnknownSchedule, match="every 2 weekly needs a startDate"):
        is_open(
            config(schedule_kind="weekly", interval_weeks=2, day_of_week="Sunday"), at("2026-12-06T01:00")
        )


def test_monthly_kinds_and_not_allowed_dates() -> None:
    fifteenth = config(schedule_kind="absoluteMonthly", interval_months=1, day_of_month=15)
    assert is_open(fifteenth, at("2026-12-15T03:00")) and not is_open(fifteenth, at("2026-12-16T03:00"))
    last_friday = config(
        schedule_kind="relativeMonthly", interval_months=1, day_of_week="Friday", week_index="Last"
    )
    assert is_open(last_friday, at("2026-12-25T01:00"))
    assert not is_open(last_friday, at("2026-12-18T01:00"))
    frozen = MaintenanceConfiguration.model_validate(
        WEEKLY.model_dump() | {"not_allowed_dates": [{"start": "2026-12-20", "end": "2027-01-03"}]}
    )
    assert not is_open(frozen, at("2026-12-27T01:00"))
    assert next_opening(frozen, at("2026-12-19T00:00")) == at("2027-01-10T00:00")


def test_the_legacy_default_configuration_allows_whole_utc_hours() -> None:
    legacy = MaintenanceConfiguration.model_validate(
        {
            "name": "default",
            "schedule_kind": "timeInWeek",
            "time_in_week": [{"day": "Tuesday", "hour_slots": [1, 2]}],
            "not_allowed_time": [{"start": "2026-12-08T00:00:00Z", "end": "2026-12-08T23:59:59Z"}],
        }
    )
    assert is_open(legacy, at("2026-12-01T02:30"))
    assert not is_open(legacy, at("2026-12-01T03:00"))
    assert not is_open(legacy, at("2026-12-08T01:30"))  # not allowed that day
    assert next_opening(legacy, at("2026-12-02T00:00")) == at("2026-12-15T01:00")


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@settings(max_examples=200, deadline=None)
@given(
    day=st.sampled_from(DAYS),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 30]),
    hours=st.integers(4, 24),
    offset=st.sampled_from(["+00:00", "+05:30", "-08:00", "+13:00"]),
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
)
def test_weekly_windows_match_a_brute_force_reference(
    day: str, hour: int, minute: int, hours: int, offset: str, moment: datetime
) -> None:
    weekly = config(
        schedule_kind="weekly",
        interval_weeks=1,
        day_of_week=day,
        start_time=f"{hour:02d}:{minute:02d}",
        utc_offset=offset,
        duration_hours=hours,
    )
    sign = -1 if offset.startswith("-") else 1
    shift = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:])) * sign
    local = moment + shift
    # the start of the window that would contain `local`, looking back up to a week
    expected = False
    for back in range(8):
        start_day = (local - timedelta(days=back)).date()
        if start_day.strftime("%A") != day:
            continue
        start = datetime(start_day.year, start_day.month, start_day.day, hour, minute, tzinfo=UTC)
        if start <= local.replace(tzinfo=UTC) < start + timedelta(hours=hours):
            expected = True
    assert is_open(weekly, moment) is expected
    upcoming = next_opening(weekly, moment)
    assert upcoming is not None and moment <= upcoming < moment + timedelta(days=7)
    assert is_open(weekly, upcoming)
