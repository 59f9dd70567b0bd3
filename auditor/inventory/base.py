"""Base model and ARM id helpers shared by the inventory models."""

from __future__ import annotations

from sys import intern
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Frozen, camelCase on the wire, unknown keys refused (a snapshot field we do not know is an error).

    Azure enum-like values (channels, states, plans) are plain strings on purpose: a value we have never
    seen is kept and surfaces in findings instead of failing validation.

    Every instance is held compactly once validated (:func:`held_compactly`).
    """

    model_config = ConfigDict(
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_default=False,
    )

    def model_post_init(self, context: Any, /) -> None:
        # Not an after-validator: pydantic runs those again on every instance a containing model is given
        # (a result's 240,000 findings, measured +2.4 s at 10,000 clusters); post-init only on new ones.
        held_compactly(self)


class _Values:
    """Never used but for its instances' ``__dict__`` (one subclass per model class)."""


#: Per model class: the class whose instances' dicts share one key table.
_VALUES: dict[type, type] = {}
#: One "fields given" set per model class and content (pydantic keeps one per instance; frozen models
#: never change it, and ``model_copy`` copies it before adding to it).
_FIELDS_SETS: dict[tuple[type, frozenset[str]], set[str]] = {}


def values_sharing_keys(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (a ``model`` instance's, in field order) in a dict that shares its key table with every
    other instance's: CPython's key-sharing dicts (PEP 412) hold only the values. 18 values are 216 B so,
    464 B in a dict of their own. Only memory depends on it: the dict is a dict."""
    kind = _VALUES.get(model)
    if kind is None:
        kind = _VALUES.setdefault(model, type(f"_{model.__name__}Values", (_Values,), {}))
    held: dict[str, Any] = kind().__dict__
    for name, value in values.items():
        held[name] = value
    return held


def held_compactly(instance: BaseModel) -> None:
    """Hold ``instance`` as the many instances of a snapshot or a result should be: its values in a
    key-sharing dict (:func:`values_sharing_keys`), its string values interned (a snapshot repeats the
    same regions, versions, channels and images in every cluster and pool), and one fields set for all
    instances given the same fields. Every value stays equal. Measured on a 10,000-cluster snapshot: the
    loaded estate 120 -> 29 MB (benchmarks/results/scale.md)."""
    model = type(instance)
    values = instance.__dict__
    for name, value in values.items():
        if type(value) is str:
            values[name] = intern(value)
    object.__setattr__(instance, "__dict__", values_sharing_keys(model, values))
    object.__setattr__(
        instance, "__pydantic_fields_set__", shared_fields_set(model, instance.__pydantic_fields_set__)
    )


def shared_fields_set(model: type, given: set[str]) -> set[str]:
    """The one "fields given" set of every ``model`` instance given exactly ``given``."""
    key = (model, frozenset(given))
    shared = _FIELDS_SETS.get(key)
    if shared is None:
        shared = _FIELDS_SETS.setdefault(key, given)
    return shared


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
