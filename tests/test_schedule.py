"""Maintenance window arithmetic (python-dateutil rrules): when each schedule kind is open, and when next."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.inventory.aks import MaintenanceConfiguration
from auditor.schedule import UnknownSchedule, is_open, next_opening, next_window, occurrences


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


def test_the_legacy_example_of_the_aks_planned_maintenance_docs() -> None:
    """The test.json of MicrosoftDocs/azure-docs articles/aks/planned-maintenance.md (commit 00a4db1e):
    "maintenance windows every Tuesday at 1:00am - 3:00am and every Wednesday at 1:00am - 2:00am and at
    6:00am - 7:00am", except 2021-05-26T03:00:00Z to 2021-05-30T12:00:00Z."""
    legacy = MaintenanceConfiguration.model_validate(
        {
            "name": "default",
            "schedule_kind": "timeInWeek",
            "time_in_week": [
                {"day": "Tuesday", "hour_slots": [1, 2]},
                {"day": "Wednesday", "hour_slots": [1, 6]},
            ],
            "not_allowed_time": [{"start": "2021-05-26T03:00:00Z", "end": "2021-05-30T12:00:00Z"}],
        }
    )
    assert is_open(legacy, at("2021-05-18T01:30")) and is_open(legacy, at("2021-05-18T02:59"))  # Tuesday
    assert not is_open(legacy, at("2021-05-18T03:00"))
    assert is_open(legacy, at("2021-05-19T01:30")) and is_open(legacy, at("2021-05-19T06:30"))  # Wednesday
    assert not is_open(legacy, at("2021-05-19T02:00"))
    assert is_open(legacy, at("2021-05-26T01:30"))  # before the exception starts
    assert not is_open(legacy, at("2021-05-26T06:30"))  # inside it
    assert next_opening(legacy, at("2021-05-26T03:00")) == at("2021-06-01T01:00")


# MicrosoftDocs/azure-aks-docs articles/aks/planned-maintenance.md (commit 04921f5f, ms.date 12/19/2025).
# An interval above 1 counts from startDate, which the API returns (it defaults to the creation date), so
# the examples below give one as a GET would.


def test_the_json_file_examples_of_the_aks_planned_maintenance_docs() -> None:
    """default.json: "1:00 AM to 5:00 AM every Tuesday in UTC", except 2021-05-26 to 2021-05-30;
    autoUpgradeWindow.json: "every three months on the first of the month between 9:00 AM and 1:00 PM in
    UTC-08", except 2023-12-23 to 2024-01-05."""
    tuesday = config(
        name="default", schedule_kind="weekly", interval_weeks=1, day_of_week="Tuesday", duration_hours=4,
        utc_offset="+00:00", start_time="01:00", not_allowed_dates=[{"start": "2021-05-26", "end": "2021-05-30"}],
    )  # fmt: skip
    assert next_window(tuesday, at("2021-05-25T02:00")) == (at("2021-05-25T01:00"), at("2021-05-25T05:00"))
    assert not is_open(tuesday, at("2021-05-25T05:00"))
    assert next_window(tuesday, at("2021-05-25T05:00")) == (at("2021-06-01T01:00"), at("2021-06-01T05:00"))
    quarterly = config(
        schedule_kind="absoluteMonthly", interval_months=3, day_of_month=1, duration_hours=4,
        utc_offset="-08:00", start_time="09:00", start_date="2023-10-01",
        not_allowed_dates=[{"start": "2023-12-23", "end": "2024-01-05"}],
    )  # fmt: skip
    starts = [start for start, _ in occurrences(quarterly, at("2023-09-01T00:00"), 3)]
    assert starts == [
        at("2023-10-01T17:00"),
        at("2024-04-01T17:00"),
        at("2024-07-01T17:00"),
    ]  # 2024-01-01 excluded
    assert is_open(quarterly, at("2023-10-01T20:59")) and not is_open(quarterly, at("2023-10-01T21:00"))


def test_the_schedule_type_and_cli_examples_of_the_aks_planned_maintenance_docs() -> None:
    """ "every three days"; "every two weeks on Friday"; "every two months on the last Monday"; and the CLI
    example "every third Friday between 12:00 AM and 8:00 AM in the UTC+5:30 time zone"."""
    every_three_days = config(
        schedule_kind="daily", interval_days=3, start_date="2026-12-01", duration_hours=4
    )
    assert [s for s, _ in occurrences(every_three_days, at("2026-12-01T00:00"), 3)] == [
        at("2026-12-01T00:00"), at("2026-12-04T00:00"), at("2026-12-07T00:00"),
    ]  # fmt: skip
    fortnightly = config(
        schedule_kind="weekly", interval_weeks=2, day_of_week="Friday", start_date="2026-12-04"
    )
    assert [s for s, _ in occurrences(fortnightly, at("2026-12-01T00:00"), 2)] == [
        at("2026-12-04T00:00"), at("2026-12-18T00:00"),
    ]  # fmt: skip
    last_monday = config(
        schedule_kind="relativeMonthly", interval_months=2, day_of_week="Monday", week_index="Last",
        start_date="2026-11-01",
    )  # fmt: skip
    assert [s for s, _ in occurrences(last_monday, at("2026-11-01T00:00"), 3)] == [
        at("2026-11-30T00:00"), at("2027-01-25T00:00"), at("2027-03-29T00:00"),
    ]  # fmt: skip
    every_third_friday = config(
        schedule_kind="weekly", interval_weeks=3, day_of_week="Friday", duration_hours=8,
        utc_offset="+05:30", start_time="00:00", start_date="2026-12-04",
    )  # fmt: skip
    assert next_window(every_third_friday, at("2026-12-04T00:00")) == (
        at("2026-12-03T18:30"), at("2026-12-04T02:30"),  # Friday 00:00 IST is Thursday 18:30 UTC
    )  # fmt: skip
    assert next_window(every_third_friday, at("2026-12-04T02:30"))[0] == at("2026-12-24T18:30")  # type: ignore[index]


KINDS = st.sampled_from(["daily", "weekly", "absoluteMonthly", "relativeMonthly"])


@st.composite
def schedules(draw: st.DrawFn) -> MaintenanceConfiguration:
    kind = draw(KINDS)
    interval = draw(st.integers(1, 4))
    fields: dict[str, Any] = {
        "schedule_kind": kind,
        "start_time": f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30, 45])):02d}",
        "utc_offset": draw(st.sampled_from(["+00:00", "+05:30", "-08:00", "+09:45"])),
        "duration_hours": draw(st.integers(4, 24)),
        "start_date": draw(
            st.dates(min_value=datetime(2025, 1, 1).date(), max_value=datetime(2026, 12, 1).date())
        ).isoformat(),
    }
    if kind == "daily":
        fields["interval_days"] = interval
    elif kind == "weekly":
        fields |= {"interval_weeks": interval, "day_of_week": draw(st.sampled_from(DAYS))}
    elif kind == "absoluteMonthly":
        fields |= {"interval_months": interval, "day_of_month": draw(st.integers(1, 31))}
    else:
        fields |= {
            "interval_months": interval,
            "day_of_week": draw(st.sampled_from(DAYS)),
            "week_index": draw(st.sampled_from(["First", "Second", "Third", "Fourth", "Last"])),
        }
    if draw(st.booleans()):
        first = draw(st.dates(min_value=datetime(2026, 12, 1).date(), max_value=datetime(2027, 6, 1).date()))
        fields["not_allowed_dates"] = [
            {
                "start": first.isoformat(),
                "end": (first + timedelta(days=draw(st.integers(0, 40)))).isoformat(),
            }
        ]
    return config(**fields)


@settings(max_examples=150, deadline=None)
@given(schedule=schedules())
def test_occurrences_satisfy_their_schedule(schedule: MaintenanceConfiguration) -> None:
    after = at("2026-12-03T12:00")
    found = occurrences(schedule, after, 12)
    assert found, "every generated schedule opens within years"
    sign = -1 if (schedule.utc_offset or "").startswith("-") else 1
    offset = timedelta(hours=int(schedule.utc_offset[1:3]), minutes=int(schedule.utc_offset[4:])) * sign  # type: ignore[index]
    starts = [start for start, _ in found]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), "strictly increasing"
    for start, end in found:
        assert start >= after and end - start == timedelta(hours=schedule.duration_hours or 0)
        local = start + offset
        assert f"{local:%H:%M}" == schedule.start_time
        day = local.date()
        for span in schedule.not_allowed_dates:
            assert not (span.start <= day.isoformat() <= span.end), "never on a not-allowed date"
        if schedule.schedule_kind == "weekly":
            assert local.strftime("%A") == schedule.day_of_week
        elif schedule.schedule_kind == "absoluteMonthly":
            assert day.day == schedule.day_of_month  # months without that day are skipped
        elif schedule.schedule_kind == "relativeMonthly":
            assert local.strftime("%A") == schedule.day_of_week
            index = (day.day - 1) // 7 + 1
            last = (day + timedelta(days=7)).month != day.month
            expected = schedule.week_index
            assert (expected == "Last" and last) or (
                expected != "Last" and ["First", "Second", "Third", "Fourth"][index - 1] == expected
            )
    if schedule.schedule_kind == "weekly" and not schedule.not_allowed_dates:
        gaps = {b - a for a, b in itertools.pairwise(starts)}
        assert gaps == {timedelta(days=7 * (schedule.interval_weeks or 1))}, (
            "intervalWeeks k: gaps of 7k days"
        )
    if schedule.schedule_kind == "daily" and not schedule.not_allowed_dates:
        gaps = {b - a for a, b in itertools.pairwise(starts)}
        assert gaps == {timedelta(days=schedule.interval_days or 1)}


def test_next_window_is_the_open_one_or_the_next_within_a_year() -> None:
    sunday = (at("2026-12-06T00:00"), at("2026-12-06T08:00"))
    assert next_window(WEEKLY, at("2026-12-06T03:00")) == sunday  # open now: the current window
    assert next_window(WEEKLY, at("2026-12-03T10:00")) == sunday
    assert next_window(WEEKLY, at("2026-12-06T08:00"))[0] == at("2026-12-13T00:00")  # type: ignore[index]
    frozen = config(
        schedule_kind="daily",
        interval_days=1,
        not_allowed_dates=[{"start": "2026-12-01", "end": "2028-01-01"}],
    )
    assert next_window(frozen, at("2026-12-03T10:00")) is None
    legacy = MaintenanceConfiguration.model_validate(
        {
            "name": "default",
            "scheduleKind": "timeInWeek",
            "timeInWeek": [{"day": "Monday", "hourSlots": [1, 2, 3, 5]}],
        }
    )
    assert next_window(legacy, at("2026-12-03T10:00")) == (at("2026-12-07T01:00"), at("2026-12-07T04:00"))
    with pytest.raises(UnknownSchedule):
        next_window(
            config(schedule_kind="weekly", interval_weeks=3, day_of_week="Monday"), at("2026-12-03T10:00")
        )


@given(
    schedule=schedules(),
    moment=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC)
    ),
)
@settings(max_examples=60, deadline=None)
def test_next_window_is_a_real_window_that_has_not_ended(
    schedule: MaintenanceConfiguration, moment: datetime
) -> None:
    window = next_window(schedule, moment)
    if window is None:
        assert next_opening(schedule, moment) is None or next_opening(schedule, moment) - moment > timedelta(
            days=366
        )  # type: ignore[operator]
        return
    start, end = window
    assert end > moment and end - start == timedelta(hours=schedule.duration_hours or 0)
    assert is_open(schedule, start) and start <= max(moment, start)
    assert is_open(schedule, moment) == (start <= moment)
