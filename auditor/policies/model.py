"""The policy file format (layer 1 of validation: structure, unknown keys refused)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic.alias_generators import to_camel

from auditor.findings import Severity, Status
from auditor.release_calendar import Release


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
    #: Bounds for int/number parameters (inclusive) and the allowed values of any type; a default or a
    #: ``--set`` value outside them is refused.
    min: float | None = None
    max: float | None = None
    enum: tuple[str | int | float | bool, ...] | None = None

    def bounds_problem(self, value: Any) -> str | None:
        """Why ``value`` is outside the declared bounds, or None (a list: each of its items)."""
        items = value if isinstance(value, list) else [value]
        for item in items:
            if self.enum is not None and item not in self.enum:
                return f"{item!r} is not one of {', '.join(map(repr, self.enum))}"
            if isinstance(item, int | float) and not isinstance(item, bool):
                if self.min is not None and item < self.min:
                    return f"{item!r} is below the minimum {self.min:g}"
                if self.max is not None and item > self.max:
                    return f"{item!r} is above the maximum {self.max:g}"
        return None


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
    #: Release calendar entries for this case (endoflife.date shape; its asOf is the case's ``now``).
    #: Without it the case reads the calendar shipped in the package.
    calendar: tuple[Release, ...] | None = None
    estate: dict[str, Any]
    expect: dict[str, Status]


POLICY_ID = re.compile(r"^[A-Z][A-Z0-9]*-[0-9]{3,}$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PARAM = re.compile(r"^[a-z][a-z0-9_]*$")
_LET = re.compile(r"^[a-z][A-Za-z0-9]*$")
_RESERVED = frozenset(
    {"resource", "cluster", "catalog", "fleet", "fleets", "members", "hub", "now", "params", "cel"}
)


_KINDS = [kind.value for kind in ResourceKind]
#: ``resource: cluster`` or ``resource: [updateRun, autoUpgradeProfile]`` (the model keeps a tuple).
_RESOURCE_SCHEMA = WithJsonSchema(
    {
        "description": "The resource kind(s) the policy judges, one finding per resource.",
        "anyOf": [
            {"enum": _KINDS},
            {"type": "array", "items": {"enum": _KINDS}, "minItems": 1, "uniqueItems": True},
        ],
    }
)


class PolicySpec(_Strict):
    """A policy file (YAML). Expressions are CEL; messages are text with {dotted.path} placeholders."""

    id: str = Field(description="ID like ACME-001; must equal the file name.")
    name: str = Field(description="kebab-case name, e.g. supported-kubernetes-version.")
    title: str = Field(description="One line shown in every report.")
    severity: Severity = Field(description="Severity of a failing finding (escalate can raise it).")
    resource: Annotated[tuple[ResourceKind, ...], _RESOURCE_SCHEMA]
    description: str = Field(description="What the policy checks.")
    rationale: str = Field(description="Why it matters (shown in the HTML report and SARIF help).")
    help_uri: str | None = Field(default=None, description="https link to the documentation behind the rule.")
    tags: tuple[str, ...] = Field(default=(), description="Free-form tags (SARIF rule tags).")
    enabled: bool = Field(default=True, description="false: runs only with --enable ID.")
    parameters: dict[str, Parameter] = Field(
        default_factory=dict, description="Tunable values, read as params.NAME; --set ID.NAME=VALUE."
    )
    let: dict[str, str] = Field(
        default_factory=dict, description="Named CEL expressions computed once and usable in every other one."
    )
    when: str | None = Field(
        default=None, description="CEL: false means the finding is skipped (not applicable)."
    )
    requires: tuple[Requirement, ...] = Field(
        default=(), description="Data the check needs: a false expr makes the finding error, with its reason."
    )
    check: str = Field(description="CEL: true passes, false fails, anything else is an error.")
    evidence: dict[str, str] = Field(
        default_factory=dict, description="Named CEL values recorded on the finding and usable in messages."
    )
    message: str = Field(description="Text of a failing finding, with {resource.name}-style placeholders.")
    pass_message: str | None = Field(default=None, description="Text of a passing finding.")
    skip_message: str | None = Field(default=None, description="Text of a skipped finding.")
    escalate: tuple[Escalation, ...] = Field(
        default=(), description="Raise the severity when a condition holds."
    )
    remediation: RemediationSpec | None = Field(
        default=None, description="The fix: an action --remediate plans (with args) and/or guidance text."
    )
    tests: tuple[PolicyTest, ...] = Field(
        default=(), description="Test cases: a small estate and the verdict expected per resource."
    )

    @field_validator("resource", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not POLICY_ID.match(value):
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
