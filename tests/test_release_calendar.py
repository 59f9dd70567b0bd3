"""The release calendar: the shipped files, both input shapes, the answers it gives and refuses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from auditor.errors import InputError
from auditor.release_calendar import (
    ReleaseCalendar,
    UnknownRelease,
    demo_calendar,
    load_calendar_file,
    packaged_calendar,
    parse_calendar,
    render_calendar,
)

from .conftest import run_cli

REPO = Path(__file__).resolve().parents[1]


def api_v1(**result: Any) -> dict[str, Any]:
    """An endoflife.date API v1 product response, as its openapi.yml (api_v1/) describes it."""
    releases = [
        {"name": "1.36", "releaseDate": "2026-06-30", "isLts": False, "eolFrom": "2027-06-30",
         "eoesFrom": "2028-06-30", "isEol": False, "isMaintained": True, "latest": None},
        {"name": "1.26", "releaseDate": "2023-04-18", "isLts": False, "eolFrom": "2024-04-11",
         "eoesFrom": None, "isEol": True, "isMaintained": False, "latest": None},
    ]  # fmt: skip
    body: dict[str, Any] = {"name": "azure-kubernetes-service", "label": "Azure Kubernetes Service"}
    body |= {"releases": releases} | result
    return {
        "schema_version": "1.2.0",
        "generated_at": "2026-11-28T04:10:00+00:00",
        "last_modified": "2026-07-03T00:08:16+03:00",
        "result": body,
    }


def small(**fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "kind": "ReleaseCalendar",
        "schemaVersion": "1.0",
        "asOf": "2026-11-01",
        "source": "test",
        "releases": [
            {"releaseCycle": "1.33", "releaseDate": "2025-06-17", "eol": "2026-07-31", "eoes": "2027-07-31"},
            {"releaseCycle": "1.32", "releaseDate": "2025-04-06", "eol": "2026-03-31"},
        ],
    }
    return document | fields


def test_the_packaged_calendar_names_its_source_and_knows_every_minor_since_1_27() -> None:
    calendar = packaged_calendar()
    assert calendar.as_of == date(2026, 8, 22)
    assert "endoflife-date/endoflife.date at commit a70eca33" in calendar.source
    assert "MIT" in calendar.source
    known = {release.release_cycle for release in calendar.releases}
    assert {f"1.{n}" for n in range(21, 37)} <= known
    # every minor from 1.27 has long-term support (AKS "LTS End of life"); older ones do not
    assert all(calendar.support_ends(f"1.{n}", lts=True) for n in range(27, 37))
    with pytest.raises(UnknownRelease, match=r"1\.26 has no long-term support"):
        calendar.support_ends("1.26", lts=True)
    assert calendar.support_ends("1.34", lts=False) == date(2026, 11, 30)
    assert calendar.support_ends("1.34", lts=True) == date(2027, 11, 30)


def test_the_shipped_files_are_in_their_written_form() -> None:
    """Both calendars are kept exactly as ``calendar update`` would write them (newest minor first)."""
    for path, calendar in (
        (REPO / "auditor" / "release-calendar.json", packaged_calendar()),
        (REPO / "auditor" / "demo" / "release-calendar.json", demo_calendar()),
    ):
        assert json.loads(path.read_text(encoding="utf-8")) == json.loads(render_calendar(calendar))
    assert [r.release_cycle for r in packaged_calendar().newest_first()][:3] == ["1.36", "1.35", "1.34"]


def test_the_demo_calendar_matches_the_demo_catalog() -> None:
    """The demo's catalog lists 1.32-1.34 as GA and 1.30/1.31 as LTS-only at 2026-11-20: its calendar
    must not contradict that (community support still running for the GA ones, LTS for the others)."""
    calendar = demo_calendar()
    collected = date(2026, 11, 20)
    assert calendar.as_of == collected
    for minor in ("1.32", "1.33", "1.34"):
        assert calendar.support_ends(minor, lts=False) > collected
    for minor in ("1.30", "1.31"):
        assert calendar.support_ends(minor, lts=False) < collected < calendar.support_ends(minor, lts=True)


def test_an_unknown_minor_has_no_answer_naming_the_calendar_date_and_the_fix() -> None:
    calendar = parse_calendar(small(), "cal.json")
    with pytest.raises(UnknownRelease) as raised:
        calendar.support_ends("1.36", lts=False)
    assert str(raised.value) == (
        "no end-of-support date for 1.36 in the release calendar as of 2026-11-01; update it with "
        "aks-auditor calendar update -o FILE, then --release-calendar FILE"
    )
    unannounced = parse_calendar(small(releases=[{"releaseCycle": "1.34", "releaseDate": "2026-01-04"}]), "c")
    with pytest.raises(UnknownRelease, match=r"end of community support for 1\.34 is not announced"):
        unannounced.support_ends("1.34", lts=False)


def test_a_minor_older_than_every_listed_one_ended_by_the_oldest_end_once_that_has_passed() -> None:
    calendar = parse_calendar(small(), "cal.json")
    assert calendar.support_ends("1.9", lts=False) == date(2026, 3, 31)
    assert calendar.support_ends("1.31", lts=True) == date(2026, 3, 31)
    future = parse_calendar(small(asOf="2026-01-01"), "cal.json")  # 1.32's end still ahead then
    with pytest.raises(UnknownRelease):
        future.support_ends("1.31", lts=False)
    with pytest.raises(UnknownRelease):
        calendar.support_ends("2.1", lts=False)  # another major says nothing


def test_staleness_is_a_note_past_the_maximum_age() -> None:
    calendar = parse_calendar(small(), "cal.json")
    assert calendar.staleness(datetime(2027, 3, 1, tzinfo=UTC), 120) is None  # 120 days old
    note = calendar.staleness(datetime(2027, 3, 2, tzinfo=UTC), 120)
    assert note is not None
    assert note.startswith("the release calendar is 121 days old (as of 2026-11-01, more than 120)")


def test_the_endoflife_api_v1_shape_is_read_as_a_calendar() -> None:
    calendar = parse_calendar(api_v1(), "https://example.test/api/v1/products/azure-kubernetes-service")
    assert calendar.as_of == date(2026, 11, 28)  # generated_at: the data is current as of then
    assert calendar.source == "https://example.test/api/v1/products/azure-kubernetes-service"
    assert calendar.support_ends("1.36", lts=True) == date(2028, 6, 30)
    assert calendar.release("1.26") is not None and calendar.release("1.26").eoes is None  # type: ignore[union-attr]
    again = parse_calendar(json.loads(render_calendar(calendar)), "written")
    assert again == calendar


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "cal.json: expected a JSON object (a ReleaseCalendar), got list"),
        ({"kind": "Estate"}, "cal.json: expected an aks-auditor ReleaseCalendar (kind: ReleaseCalendar) or an "
         "endoflife.date API v1 product response (schema_version, result.releases)"),
        (small(schemaVersion="2.0"), "cal.json: schemaVersion 2.0 is newer than this aks-auditor understands (1.0); "
         "upgrade aks-auditor to read it"),
        (small(releases=[]), "cal.json: releases is empty (expected at least one minor)"),
        (small(releases=[{"releaseCycle": "1.33"}, {"releaseCycle": "1.33"}]),
         "cal.json: releaseCycle 1.33 is listed twice"),
        (small(releases=[{"releaseCycle": "v1.33"}]),
         "cal.json: releases.0.releaseCycle: releaseCycle 'v1.33' is not MAJOR.MINOR (e.g. '1.33') (got \"v1.33\")"),
        (small(releases=[{"releaseCycle": "1.33", "releaseDate": "2026-05-01", "eol": "2026-04-01"}]),
         "cal.json: releases.0: 1.33: eol 2026-04-01 is before releaseDate 2026-05-01 (got dict)"),
        (small(asOf="soon"), "cal.json: asOf: Input should be a valid date or datetime, input is too short (got \"soon\")"),
        (api_v1(name="amazon-eks"), "cal.json: result.name is 'amazon-eks', expected 'azure-kubernetes-service'"),
    ],
)  # fmt: skip
def test_bad_calendars_are_one_line_naming_the_field(document: Any, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_calendar(document, "cal.json")
    assert raised.value.message == message


def test_scan_reads_release_calendar_file_and_reports_a_stale_one_in_every_format(
    tmp_path: Path,
) -> None:
    stale = tmp_path / "cal.json"
    stale.write_text(json.dumps(small(asOf="2026-01-10")), encoding="utf-8")
    out = tmp_path / "r"
    code, stdout, err = run_cli(
        "scan", "--demo", "--release-calendar", str(stale), "--output-dir", str(out),
        "--format", "json", "--format", "markdown", "--format", "html", "--format", "sarif",
    )  # fmt: skip
    assert err == ""
    assert code == 3  # the demo runs 1.34 and 1.35, which this calendar does not know: error, never pass
    note = (
        "the release calendar is 314 days old (as of 2026-01-10, more than 120): end-of-support dates for "
        "newer minors may be missing; update it with aks-auditor calendar update -o FILE, then "
        "--release-calendar FILE"
    )
    assert f"Note:     {note}" in stdout
    assert f"Calendar: {stale}, as of 2026-01-10 (314 days old at the scan time)" in stdout
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["scan"]["coverage"]["notes"] == [note]
    assert result["scan"]["calendar"] == {
        "asOf": "2026-01-10", "source": "test", "origin": str(stale), "ageDays": 314, "maxAgeDays": 120,
        "minors": {
            "1.33": {"releaseDate": "2025-06-17", "endOfSupport": "2026-07-31", "endOfLts": "2027-07-31"},
            "1.32": {"releaseDate": "2025-04-06", "endOfSupport": "2026-03-31", "endOfLts": None},
        },
    }  # fmt: skip
    errors = {
        f["resourceName"] for f in result["findings"] if f["policyId"] == "AKS-013" and f["status"] == "error"
    }
    # 1.34 and 1.35 are newer than this calendar; 1.30 and 1.31 are older than its oldest minor, whose
    # end (2026-03-31) was still ahead at its asOf: nothing is known about them either
    assert errors == {
        "aks-dev-eus-01", "aks-perf-eus-02", "aks-sandbox-weu",
        "aks-qa-sea-01", "aks-shared-tools-weu", "aks-payments-prod-eus",
    }  # fmt: skip
    assert note in (out / "aks-auditor.md").read_text(encoding="utf-8")
    assert note in (out / "aks-auditor.html").read_text(encoding="utf-8")
    sarif = json.loads((out / "aks-auditor.sarif").read_text(encoding="utf-8"))
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["properties"]["coverage"]["notes"] == [note]
    assert {"level": "note", "message": {"text": note}, "descriptor": {"id": "coverage-note"}} in invocation[
        "toolExecutionNotifications"
    ]
    fresh = run_cli("scan", "--demo", "--release-calendar", str(stale), "--calendar-max-age-days", "400",
                    "--output-dir", str(out), "--format", "json")  # fmt: skip
    assert "Note:" not in fresh[1]


def test_a_bad_calendar_option_is_one_line_before_anything_is_read(tmp_path: Path) -> None:
    broken = tmp_path / "cal.json"
    broken.write_text(
        '{"kind": "ReleaseCalendar", "schemaVersion": "1.0", "asOf": "2026-11-01"', encoding="utf-8"
    )
    code, out, err = run_cli(
        "scan", "--demo", "--release-calendar", str(broken), "--output-dir", str(tmp_path / "r")
    )
    assert (code, out) == (2, "")
    assert (
        err == f"aks-auditor: error: {broken}: not valid JSON: Expecting ',' delimiter at line 1 column 73\n"
    )
    assert not (tmp_path / "r").exists()
    code, _, err = run_cli("scan", "--demo", "--release-calendar", str(tmp_path / "none.json"))
    assert (code, err) == (2, f"aks-auditor: error: {tmp_path / 'none.json'}: release calendar not found\n")
    code, _, err = run_cli("scan", "--demo", "--calendar-max-age-days", "0")
    assert code == 2
    assert err == "aks-auditor: error: --calendar-max-age-days 0: expected a number of days of at least 1\n"


def test_calendar_show_lists_each_minor_newest_first() -> None:
    code, out, err = run_cli("calendar", "show", "--demo")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("release calendar (demo), as of 2026-11-20 (")
    assert lines[2].split() == ["minor", "GA", "community", "ends", "LTS", "ends"]
    assert lines[3].split()[:2] == ["1.35", "2027-01-15"]
    assert [line.split()[0] for line in lines[3:]] == ["1.35", "1.34", "1.33", "1.32", "1.31", "1.30", "1.29"]


def test_load_calendar_file_round_trips_what_it_reads(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(small()), encoding="utf-8")
    assert load_calendar_file(path) == ReleaseCalendar.model_validate(small())


def test_the_calendar_schema_validates_the_shipped_files() -> None:
    code, out, _ = run_cli("schema", "calendar")
    assert code == 0
    schema = json.loads(out)
    for path in (
        REPO / "auditor" / "release-calendar.json",
        REPO / "auditor" / "demo" / "release-calendar.json",
    ):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            small(releases=[{"releaseCycle": "1.33", "eoes": "someday"}]) | {"extra": 1}, schema
        )
