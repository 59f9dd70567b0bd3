"""Base model and ARM id helpers shared by the inventory models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Frozen, camelCase on the wire, unknown keys refused (a snapshot field we do not know is an error).

    Azure enum-like values (channels, states, plans) are plain strings on purpose: a value we have never
    seen is kept and surfaces in findings instead of failing validation.
    """

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_default=False,
    )


class TrackedResource(Model):
    """Fields every top-level ARM resource carries; subscription and group default from the id."""

    id: str
    name: str
    subscription_id: str = ""
    subscription_name: str | None = None
    resource_group: str = ""
    location: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _derive_from_id(self) -> TrackedResource:
        # Hand-written estates may omit what the ARM id already says.
        if not self.subscription_id:
            object.__setattr__(self, "subscription_id", arm_segment(self.id, "subscriptions") or "")
        if not self.resource_group:
            object.__setattr__(self, "resource_group", arm_segment(self.id, "resourceGroups") or "")
        return self


def arm_segment(resource_id: str, key: str) -> str | None:
    """Value following ``key`` (case-insensitive) in an ARM id, e.g. ``subscriptions`` -> the sub id."""
    parts = resource_id.strip("/").split("/")
    for index in range(len(parts) - 1):
        if parts[index].lower() == key.lower():
            return parts[index + 1]
    return None


def normalize_id(resource_id: str) -> str:
    """ARM ids are case-insensitive; fingerprints and joins use the lower-cased, slash-trimmed form."""
    return "/" + resource_id.strip().strip("/").lower()
