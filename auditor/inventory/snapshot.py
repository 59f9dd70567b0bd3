"""Read and write versioned JSON snapshots (estates and scan results) with one-line errors on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from auditor.errors import InputError, describe_validation_error
from auditor.inventory.estate import SCHEMA_VERSION, Estate

M = TypeVar("M", bound=BaseModel)


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError:
        return -1


#: Rewrites a document of an older major schema version into the current shape (before validation).
Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def read_json(path: Path, what: str = "file") -> Any:
    """The parsed JSON of ``path``; one-line InputErrors naming the path and ``what`` it should be."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    return parse_json(text, str(path))


def parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{origin}: not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def load_document(
    path: Path, model: type[M], kind: str, supported_version: str, upgrade: Upgrade | None = None
) -> M:
    """Load a JSON file that must carry ``kind`` and a ``schemaVersion`` whose major we understand; one of
    an older major is read through ``upgrade`` (refused when there is none)."""
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object with kind {kind!r}, got {type(raw).__name__}")
    found_kind = raw.get("kind")
    if found_kind != kind:
        raise InputError(f"{path}: expected a file of kind {kind!r}, found kind {found_kind!r}")
    version = raw.get("schemaVersion")
    if not isinstance(version, str):
        raise InputError(
            f"{path}: schemaVersion is missing or not a string (expected e.g. {supported_version!r})"
        )
    if _major(version) > _major(supported_version):
        raise InputError(
            f"{path}: schemaVersion {version} is newer than this aks-auditor understands "
            f"({supported_version}); upgrade aks-auditor to read it"
        )
    if _major(version) < 1:
        raise InputError(
            f"{path}: schemaVersion {version!r} is not a valid version (expected e.g. {supported_version!r})"
        )
    if _major(version) < _major(supported_version):
        if upgrade is None:
            raise InputError(
                f"{path}: schemaVersion {version} is older than this aks-auditor reads ({supported_version})"
            )
        raw = upgrade(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InputError(f"{path}: {describe_validation_error(error)}") from None


def load_estate(path: Path) -> Estate:
    return load_document(path, Estate, "Estate", SCHEMA_VERSION)


def dump_model(document: BaseModel) -> str:
    return document.model_dump_json(by_alias=True, indent=2) + "\n"
