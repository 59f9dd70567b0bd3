"""Base model and ARM id helpers shared by the inventory models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
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
