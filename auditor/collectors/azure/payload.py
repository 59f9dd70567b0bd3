"""Typed reads from ARM JSON with errors that name the resource id and the field.

ARM payloads are read leniently where Azure is lenient (an absent object is empty, an unknown enum value
is kept as a string) and strictly where a wrong type means we would misread the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from auditor.collectors.interface import PayloadError
from auditor.errors import describe_validation_error

M = TypeVar("M", bound=BaseModel)


class Reader:
    """Reads fields of one resource; every error message starts with ``<resource id>: <field path>``."""

    def __init__(self, resource_id: str) -> None:
        self.resource_id = resource_id

    def fail(self, path: str, expected: str, value: Any) -> PayloadError:
        return PayloadError(
            f"{self.resource_id}: {path}: expected {expected}, got {type(value).__name__} {str(value)[:40]!r}"
        )

    def obj(self, value: Any, path: str) -> Mapping[str, Any]:
        """An object; ``null``/absent reads as empty."""
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(path, "an object", value)
        return value

    def items(self, value: Any, path: str) -> list[Mapping[str, Any]]:
        """A list of objects; ``null``/absent reads as empty."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, "a list", value)
        return [self.obj(item, f"{path}[{index}]") for index, item in enumerate(value)]

    def strings(self, value: Any, path: str) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(path, "a list of strings", value)
        return list(value)

    def text(self, value: Any, path: str) -> str | None:
        """A string (enum values we do not know are kept verbatim)."""
        if value is None or isinstance(value, str):
            return value
        raise self.fail(path, "a string", value)

    def tags(self, value: Any, path: str) -> dict[str, str]:
        """ARM tags; values are strings on the wire, anything else is stringified rather than lost."""
        return {str(key): "" if item is None else str(item) for key, item in self.obj(value, path).items()}

    def tracked(self, resource: Mapping[str, Any]) -> dict[str, Any]:
        """The fields every top-level resource carries (inventory ``TrackedResource``), as Resource Graph
        projects them: id, name, subscriptionId, resourceGroup, location, tags."""
        return {
            "id": self.resource_id,
            "name": self.text(resource.get("name"), "name"),
            "subscription_id": self.text(resource.get("subscriptionId"), "subscriptionId") or "",
            "resource_group": self.text(resource.get("resourceGroup"), "resourceGroup") or "",
            "location": self.text(resource.get("location"), "location"),
            "tags": self.tags(resource.get("tags"), "tags"),
        }

    def model(self, model: type[M], fields: dict[str, Any], what: str) -> M:
        """Validate the collected ``fields`` (python field names) into ``model``."""
        try:
            return model.model_validate(fields)
        except ValidationError as error:
            raise PayloadError(f"{self.resource_id}: {what}: {describe_validation_error(error)}") from None


def resource_id(resource: Any, kind: str) -> str:
    """The ``id`` of a whole ARM resource; refuses payloads that are not resources at all."""
    if not isinstance(resource, Mapping):
        raise PayloadError(f"{kind}: expected a resource object, got {type(resource).__name__}")
    value = resource.get("id")
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{kind} {resource.get('name')!r}: id: expected a non-empty string")
    return value


def json_body(response: Any, where: str) -> Any:
    """The JSON body of an SDK ``HttpResponse``; a body that is not JSON is a :class:`PayloadError`."""
    try:
        return response.json()
    except ValueError as error:  # json.JSONDecodeError, or a body that is not UTF-8
        raise PayloadError(f"{where}: the response body is not JSON ({error})") from None
