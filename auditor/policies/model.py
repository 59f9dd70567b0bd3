"""The policy file format (layer 1 of validation: structure, unknown keys refused)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from auditor.findings import Severity, Status


class ResourceKind(StrEnum):
    CLUSTER = "cluster"
    NODE_POOL = "nodePool"
    FLEET = "fleet"
    UPDATE_RUN = "updateRun"
    AUTO_UPGRADE_PROFILE = "autoUpgradeProfile"
    MEMBER_CLUSTER = "memberCluster"
    PLACEMENT = "placement"


class ParamType(StrEnum):
    INT = "int"
    NUMBER = "number"
    STRING = "string"
    BOOL = "bool"
    LIST = "list"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class Parameter(_Strict):
    type: ParamType
    default: Any
    description: str


class Requirement(_Strict):
    """Data the check needs. ``expr`` false (or not a bool) makes the finding ``error`` with ``reason``."""

    expr: str
    reason: str


class Escalation(_Strict):
    """Raise the severity of a failing finding when ``when`` holds (e.g. an out-of-support node image)."""

    when: str
    severity: Severity
    note: str


class RemediationSpec(_Strict):
    action: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    guidance: str | None = None


class PolicyTest(_Strict):
    """One test case: a small estate and the verdict expected per resource id."""

    name: str
    now: datetime | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    estate: dict[str, Any]
    expect: dict[str, Status]


_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]{3,}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PARAM = re.compile(r"^[a-z][a-z0-9_]*$")
_LET = re.compile(r"^[a-z][A-Za-z0-9]*$")
_RESERVED = frozenset({"resource", "cluster", "catalog", "fleet", "members", "hub", "now", "params", "cel"})


class PolicySpec(_Strict):
    id: str
    name: str
    title: str
    severity: Severity
    resource: tuple[ResourceKind, ...]
    description: str
    rationale: str
    help_uri: str | None = None
    tags: tuple[str, ...] = ()
    enabled: bool = True
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    let: dict[str, str] = Field(default_factory=dict)
    when: str | None = None
    requires: tuple[Requirement, ...] = ()
    check: str
    evidence: dict[str, str] = Field(default_factory=dict)
    message: str
    pass_message: str | None = None
    skip_message: str | None = None
    escalate: tuple[Escalation, ...] = ()
    remediation: RemediationSpec | None = None
    tests: tuple[PolicyTest, ...] = ()

    @field_validator("resource", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"expected an id like AKS-001, got {value!r}")
        return value

    @field_validator("name")
    @classmethod
    def _name_shape(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"expected a kebab-case name like supported-kubernetes-version, got {value!r}")
        return value

    @field_validator("let")
    @classmethod
    def _let_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _LET.match(name) or name in _RESERVED:
                raise ValueError(
                    f"let name {name!r} must be a camelCase identifier and not one of {sorted(_RESERVED)}"
                )
        return value

    @field_validator("parameters")
    @classmethod
    def _param_names(cls, value: dict[str, Parameter]) -> dict[str, Parameter]:
        for name in value:
            if not _PARAM.match(name):
                raise ValueError(f"parameter name {name!r} must be snake_case (letters, digits, _)")
        return value
