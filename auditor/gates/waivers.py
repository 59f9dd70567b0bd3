"""Waivers: accepted risks that turn matching ``fail`` findings into ``waived`` until they expire.

A waiver file (YAML)::

    waivers:
      - policy: AKS-009                     # a policy id, or "*"
        resource: "*/managedclusters/aks-test-*"   # glob on the lower-cased resource id
        reason: test clusters keep older images on purpose
        expires: 2027-01-31                 # required: a waiver that never expires is a silent pass
        approvedBy: platform-security       # optional

Only failures can be waived: an ``error`` (could not evaluate) stays an error. An expired waiver no
longer applies, so the finding fails again on the day after ``expires``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from auditor.errors import InputError, describe_validation_error
from auditor.findings import Finding, Status, WaiverNote
from auditor.inventory.base import normalize_id


class Waiver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    policy: str
    resource: str
    reason: str
    expires: date
    approved_by: str | None = None

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a waiver needs a reason")
        return value

    def matches(self, finding: Finding) -> bool:
        return (self.policy in ("*", finding.policy_id)) and fnmatchcase(
            normalize_id(finding.resource_id), self.resource.lower()
        )

    def active_on(self, day: date) -> bool:
        return day <= self.expires


class WaiverFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    waivers: tuple[Waiver, ...] = ()


def load_waivers(path: Path) -> tuple[Waiver, ...]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: waiver file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise InputError(f"{path}: not valid YAML{where}") from None
    try:
        return WaiverFile.model_validate(raw if raw is not None else {}).waivers
    except ValidationError as error:
        raise InputError(f"{path}: {describe_validation_error(error)}") from None


def apply_waivers(
    findings: Iterable[Finding], waivers: tuple[Waiver, ...], now: datetime
) -> tuple[Finding, ...]:
    """Failing findings matched by an active waiver become ``waived``, carrying the waiver's note."""
    active = [waiver for waiver in waivers if waiver.active_on(now.date())]
    if not active:
        return tuple(findings)
    result = []
    for finding in findings:
        waiver = next((w for w in active if finding.status is Status.FAIL and w.matches(finding)), None)
        if waiver is None:
            result.append(finding)
            continue
        note = WaiverNote(reason=waiver.reason, expires=waiver.expires, approved_by=waiver.approved_by)
        result.append(finding.model_copy(update={"status": Status.WAIVED, "waiver": note}))
    return tuple(result)
