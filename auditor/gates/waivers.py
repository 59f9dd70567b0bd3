"""Waivers: accepted risks that turn matching ``fail`` findings into ``waived`` until they expire.

A waiver file (YAML)::

    waivers:
      - policy: AKS-009                     # a policy id, or "*"
        resource: "*/managedclusters/aks-test-*"   # glob on the lower-cased resource id (default "*")
        subscription: 7a9e4b12-*            # optional: glob on the subscription id
        resourceGroup: rg-aks-test*         # optional: glob on the resource group (case-insensitive)
        tags: {env: test}                   # optional: every tag must match (value "*": any value)
        reason: test clusters keep older images on purpose
        expires: 2027-01-31                 # required: a waiver that never expires is a silent pass
        approvedBy: platform-security       # optional

Only failures can be waived: an ``error`` (could not evaluate) stays an error. Expiry is judged at the
scan's start: an expired waiver no longer applies (the finding fails again the day after ``expires``) and
is listed in every report; an active one that matched nothing is listed as stale.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from auditor.errors import InputError, describe_validation_error
from auditor.findings import Finding, ListedWaiver, Status, WaiverNote, WaiverReport
from auditor.inventory.base import arm_segment, normalize_id
from auditor.yaml_file import read_yaml


class Waiver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    policy: str
    resource: str = "*"
    subscription: str | None = None
    resource_group: str | None = None
    tags: dict[str, str] | None = None
    reason: str
    expires: date
    approved_by: str | None = None

    @field_validator("reason")
    @classmethod
    def _reason_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a waiver needs a reason")
        return value

    def matches(self, finding: Finding, tags: Mapping[str, str] | None = None) -> bool:
        """Policy, id glob, and each scope given: subscription, resource group, tags (``tags``: the
        resource's, or its cluster's for a node pool; a selector never matches unknown tags)."""
        if self.policy not in ("*", finding.policy_id):
            return False
        if not fnmatchcase(normalize_id(finding.resource_id), self.resource.lower()):
            return False
        if self.subscription is not None and not fnmatchcase(
            (finding.subscription_id or "").lower(), self.subscription.lower()
        ):
            return False
        group = arm_segment(finding.resource_id, "resourceGroups") or ""
        if self.resource_group is not None and not fnmatchcase(group.lower(), self.resource_group.lower()):
            return False
        if self.tags:
            have = {k.lower(): v for k, v in (tags or {}).items()}
            return all(
                key.lower() in have and (value == "*" or have[key.lower()] == value)
                for key, value in self.tags.items()
            )
        return True

    def describe(self) -> str:
        scope = [self.resource]
        scope += [f"subscription {self.subscription}"] if self.subscription else []
        scope += [f"resource group {self.resource_group}"] if self.resource_group else []
        scope += [f"tags {self.tags}"] if self.tags else []
        return f"{self.policy} {', '.join(scope)}"

    def active_on(self, day: date) -> bool:
        return day <= self.expires


class WaiverFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    waivers: tuple[Waiver, ...] = ()


def load_waivers(
    path: Path,
    *,
    known_policies: Collection[str] | None = None,
    max_days: int | None = None,
    today: date | None = None,
) -> tuple[Waiver, ...]:
    """The waivers of ``path``; one-line InputErrors for a bad file, a policy id that does not exist
    (``known_policies``), or an expiry further out than ``max_days`` from ``today``."""
    waivers = _read(path)
    for index, waiver in enumerate(waivers):
        if known_policies is not None and waiver.policy != "*" and waiver.policy not in known_policies:
            raise InputError(
                f"{path}: waivers[{index}].policy: no policy {waiver.policy!r} (a typo waives nothing, "
                "silently)"
            )
        if max_days is not None and today is not None and (waiver.expires - today).days > max_days:
            raise InputError(
                f"{path}: waivers[{index}].expires: {waiver.expires} is more than {max_days} days away "
                f"(--max-waiver-days {max_days})"
            )
    return waivers


def _read(path: Path) -> tuple[Waiver, ...]:
    raw = read_yaml(path, InputError, what="waiver file")
    try:
        return WaiverFile.model_validate(raw if raw is not None else {}).waivers
    except ValidationError as error:
        raise InputError(f"{path}: {describe_validation_error(error)}") from None


def apply_waivers(
    findings: Iterable[Finding],
    waivers: tuple[Waiver, ...],
    now: datetime,
    tags: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[tuple[Finding, ...], WaiverReport | None]:
    """Failing findings matched by an active waiver become ``waived``, carrying the waiver's note; the
    report lists the expired waivers and the active ones that matched nothing (None without waivers).
    ``tags``: normalized resource id -> its tags, for tag selectors."""
    found = tuple(findings)
    if not waivers:
        return found, None
    active = [waiver for waiver in waivers if waiver.active_on(now.date())]
    used: set[int] = set()
    result = []
    for finding in found:
        tagged = (tags or {}).get(normalize_id(finding.resource_id))
        index = next(
            (i for i, w in enumerate(active) if finding.status is Status.FAIL and w.matches(finding, tagged)),
            None,
        )
        if index is None:
            result.append(finding)
            continue
        used.add(index)
        waiver = active[index]
        note = WaiverNote(reason=waiver.reason, expires=waiver.expires, approved_by=waiver.approved_by)
        result.append(finding.model_copy(update={"status": Status.WAIVED, "waiver": note}))
    report = WaiverReport(
        applied=len(used),
        expired=tuple(_listed(w) for w in waivers if not w.active_on(now.date())),
        stale=tuple(_listed(w) for i, w in enumerate(active) if i not in used),
    )
    return tuple(result), report


def _listed(waiver: Waiver) -> ListedWaiver:
    return ListedWaiver(
        waiver=waiver.describe(), reason=waiver.reason, expires=waiver.expires, approved_by=waiver.approved_by
    )
