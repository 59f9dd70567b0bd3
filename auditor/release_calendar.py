"""The AKS release calendar: per minor, its GA date and when community and long-term support end.

The region's version catalog stays the authority for "supported now"; the calendar only adds "until
when". Its entries have the shape of endoflife.date's ``azure-kubernetes-service`` product
(``releaseCycle``, ``releaseDate``, ``eol``: end of community support, ``eoes``: end of long-term
support, absent when the minor has none), wrapped with the date the data was current (``asOf``) and where
it came from (``source``). Two shapes are read: that file, and endoflife.date's API v1 product response
(``aks-auditor calendar update`` converts the second into the first).

A minor the calendar does not know has no answer, never a default: :meth:`ReleaseCalendar.support_ends`
raises :class:`UnknownRelease` naming the calendar's date and how to refresh it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, field_validator, model_validator

from auditor.errors import InputError, describe_validation_error
from auditor.inventory.base import Model
from auditor.inventory.snapshot import parse_json, read_json

SCHEMA_VERSION = "1.0"
PRODUCT = "azure-kubernetes-service"
#: endoflife.date's API v1 product endpoint for AKS (what ``calendar update`` reads by default).
DEFAULT_URL = f"https://endoflife.date/api/v1/products/{PRODUCT}"
#: A calendar older than this many days (at the scan time) is a coverage note in every report.
DEFAULT_MAX_AGE_DAYS = 120
REFRESH_HINT = "aks-auditor calendar update -o FILE, then --release-calendar FILE"

_MINOR = re.compile(r"^\d+\.\d+$")


def minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(part) for part in minor.split("."))


class UnknownRelease(ValueError):
    """The calendar has no answer for a minor (not listed, or its end date not yet announced)."""


class Release(Model):
    """One minor, as endoflife.date lists it."""

    release_cycle: str
    release_date: date | None = None
    #: End of community support (AKS "End of life"); None while not announced.
    eol: date | None = None
    #: End of long-term support (AKS "LTS End of life"); None when the minor has no LTS.
    eoes: date | None = None
    link: str | None = None

    @field_validator("release_cycle")
    @classmethod
    def _minor(cls, value: str) -> str:
        if not _MINOR.match(value):
            raise ValueError(f"releaseCycle {value!r} is not MAJOR.MINOR (e.g. '1.33')")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Release:
        if self.release_date and self.eol and self.eol < self.release_date:
            raise ValueError(
                f"{self.release_cycle}: eol {self.eol} is before releaseDate {self.release_date}"
            )
        if self.eol and self.eoes and self.eoes < self.eol:
            raise ValueError(f"{self.release_cycle}: eoes {self.eoes} is before eol {self.eol}")
        return self


class ReleaseCalendar(Model):
    kind: Literal["ReleaseCalendar"] = "ReleaseCalendar"
    schema_version: str = SCHEMA_VERSION
    product: Literal["azure-kubernetes-service"] = "azure-kubernetes-service"
    #: The date the data was current (the source's own date, not when the file was copied).
    as_of: date
    source: str
    releases: tuple[Release, ...]

    @model_validator(mode="after")
    def _unique(self) -> ReleaseCalendar:
        if not self.releases:
            raise ValueError("releases is empty (expected at least one minor)")
        seen: set[str] = set()
        for release in self.releases:
            if release.release_cycle in seen:
                raise ValueError(f"releaseCycle {release.release_cycle} is listed twice")
            seen.add(release.release_cycle)
        return self

    def newest_first(self) -> tuple[Release, ...]:
        return tuple(
            sorted(
                self.releases, key=lambda r: tuple(int(p) for p in r.release_cycle.split(".")), reverse=True
            )
        )

    def release(self, minor: str) -> Release | None:
        for release in self.releases:
            if release.release_cycle == minor:
                return release
        return None

    def support_ends(self, minor: str, *, lts: bool) -> date:
        """When ``minor`` leaves support: its LTS end for a cluster on long-term support, else the end of
        community support. A minor older than every listed one gets the oldest listed end once that has
        passed (support ended by then at the latest); any other unlisted minor raises UnknownRelease."""
        release = self.release(minor)
        if release is None:
            older = self._older_than_all(minor)
            if older is not None:  # support ended before the oldest minor's did: that date is the bound
                return older
            raise UnknownRelease(
                f"no end-of-support date for {minor} in the release calendar as of {self.as_of}; "
                f"update it with {REFRESH_HINT}"
            )
        if lts:
            if release.eoes is None:
                raise UnknownRelease(
                    f"{minor} has no long-term support end in the release calendar as of {self.as_of}"
                )
            return release.eoes
        if release.eol is None:
            raise UnknownRelease(
                f"the end of community support for {minor} is not announced in the release calendar as "
                f"of {self.as_of}; update it with {REFRESH_HINT}"
            )
        return release.eol

    def _older_than_all(self, minor: str) -> date | None:
        """For a minor older than every listed one (same major), the oldest listed end of community support
        when that is already past at ``asOf``: a minor's support ends no later than its successor's, so it
        ended by then. None otherwise (a bound in the future says nothing)."""
        oldest = self.newest_first()[-1]
        wanted, first = minor_key(minor), minor_key(oldest.release_cycle)
        if wanted[0] == first[0] and wanted < first and oldest.eol is not None and oldest.eol < self.as_of:
            return oldest.eol
        return None

    def age_days(self, now: datetime) -> int:
        return (now.date() - self.as_of).days

    def staleness(self, now: datetime, max_age_days: int) -> str | None:
        """A coverage note when the calendar is older than ``max_age_days`` at ``now``, else None."""
        age = self.age_days(now)
        if age <= max_age_days:
            return None
        return (
            f"the release calendar is {age} days old (as of {self.as_of}, more than {max_age_days}): "
            f"end-of-support dates for newer minors may be missing; update it with {REFRESH_HINT}"
        )


@dataclass(frozen=True)
class CalendarChoice:
    """The calendar a scan uses, where it came from (``packaged``, ``demo``, a file or URL) and how old
    it may be before every report says so."""

    calendar: ReleaseCalendar
    origin: str
    max_age_days: int = DEFAULT_MAX_AGE_DAYS

    @classmethod
    def packaged(cls, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> CalendarChoice:
        return cls(packaged_calendar(), "packaged", max_age_days)

    @classmethod
    def demo(cls, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> CalendarChoice:
        return cls(demo_calendar(), "demo", max_age_days)


def parse_calendar(raw: Any, origin: str) -> ReleaseCalendar:
    """A calendar from our file shape or from an endoflife.date API v1 product response; one-line errors
    naming ``origin`` and the field."""
    if not isinstance(raw, dict):
        raise InputError(f"{origin}: expected a JSON object (a ReleaseCalendar), got {type(raw).__name__}")
    if raw.get("kind") == "ReleaseCalendar":
        version = raw.get("schemaVersion")
        if not isinstance(version, str) or not version.split(".")[0].isdigit():
            raise InputError(
                f"{origin}: schemaVersion is missing or not a version (expected {SCHEMA_VERSION!r})"
            )
        if int(version.split(".")[0]) > int(SCHEMA_VERSION.split(".")[0]):
            raise InputError(
                f"{origin}: schemaVersion {version} is newer than this aks-auditor understands "
                f"({SCHEMA_VERSION}); upgrade aks-auditor to read it"
            )
        document = raw
    elif isinstance(raw.get("result"), dict) and "schema_version" in raw:
        document = _from_api_v1(raw, origin)
    else:
        raise InputError(
            f"{origin}: expected an aks-auditor ReleaseCalendar (kind: ReleaseCalendar) or an endoflife.date "
            f"API v1 product response (schema_version, result.releases)"
        )
    try:
        return ReleaseCalendar.model_validate(document)
    except ValidationError as error:
        raise InputError(f"{origin}: {describe_validation_error(error)}") from None


def _from_api_v1(raw: dict[str, Any], origin: str) -> dict[str, Any]:
    """endoflife.date ``/api/v1/products/azure-kubernetes-service`` -> our file shape.

    ``asOf`` is the response's ``generated_at`` date (the data is current as of then); ``eolFrom`` and
    ``eoesFrom`` become ``eol`` and ``eoes`` (null stays null: not announced, or no LTS).
    """
    result = raw["result"]
    if result.get("name") != PRODUCT:
        raise InputError(f"{origin}: result.name is {result.get('name')!r}, expected {PRODUCT!r}")
    generated = raw.get("generated_at") or raw.get("last_modified")
    if not isinstance(generated, str) or len(generated) < 10:
        raise InputError(f"{origin}: generated_at is missing (expected an RFC 3339 time)")
    releases = result.get("releases")
    if not isinstance(releases, list):
        raise InputError(f"{origin}: result.releases is missing or not a list")
    converted = []
    for index, item in enumerate(releases):
        if not isinstance(item, dict):
            raise InputError(f"{origin}: result.releases[{index}] is not an object")
        converted.append(
            {
                "releaseCycle": item.get("name"),
                "releaseDate": item.get("releaseDate"),
                "eol": item.get("eolFrom"),
                "eoes": item.get("eoesFrom"),
                "link": (item.get("latest") or {}).get("link")
                if isinstance(item.get("latest"), dict)
                else None,
            }
        )
    return {
        "kind": "ReleaseCalendar",
        "schemaVersion": SCHEMA_VERSION,
        "product": PRODUCT,
        "asOf": generated[:10],
        "source": origin,
        "releases": converted,
    }


def load_calendar_file(path: Path) -> ReleaseCalendar:
    return parse_calendar(read_json(path, "release calendar"), str(path))


@lru_cache(maxsize=1)
def packaged_calendar() -> ReleaseCalendar:
    """The calendar shipped in the package (refreshed with each release of aks-auditor)."""
    return _packaged("auditor", "release-calendar.json")


@lru_cache(maxsize=1)
def demo_calendar() -> ReleaseCalendar:
    """The demo estate's own calendar: its fictitious catalog is a year behind the real one."""
    return _packaged("auditor.demo", "release-calendar.json")


def _packaged(package: str, name: str) -> ReleaseCalendar:
    text = files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_calendar(parse_json(text, name), f"{package}:{name}")


def render_calendar(calendar: ReleaseCalendar) -> str:
    """The file ``calendar update`` writes: newest minor first, like endoflife.date."""
    document = calendar.model_copy(update={"releases": calendar.newest_first()})
    return json.dumps(document.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2) + "\n"
