"""``aks-auditor.yaml``: the settings a scheduled scan or a CI gate keeps in its repository, validated
once (unknown keys and wrong types are one line naming the file and the key path, exit 2).

The file is one layer under the environment (``AKS_AUDITOR_*``) and the command line; the CLI turns it
into click defaults (auditor/cli/config.py). Relative paths are relative to the file's folder, so a job
can run from anywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from auditor.collectors.azure.settings import Cloud
from auditor.collectors.sources import FleetHubSource
from auditor.errors import ConfigError, describe_validation_error
from auditor.reporters.interface import OutputFormat
from auditor.yaml_file import read_yaml

#: Found in the working directory when --config is not given.
CONFIG_FILE_NAME = "aks-auditor.yaml"
CONFIG_VERSION: Literal[1] = 1

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A policy parameter's value as YAML gives it; typed against the policy's declaration at scan time.
ParamValue = str | int | float | bool | list[str | int | float]


#: --fail-on's choices: a severity, or "none" (never exit 1).
FailOn = Literal["critical", "high", "medium", "low", "info", "none"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class SourceSection(_Section):
    """Where the estate comes from; neither key: live Azure."""

    inventory: Path | None = None
    demo: bool | None = None


class ScopeSection(_Section):
    """Live: which subscriptions, in which tenant and cloud."""

    subscriptions: list[Text] | None = None
    management_groups: list[Text] | None = None
    exclude_subscriptions: list[Text] | None = None
    tenant: Text | None = None
    cloud: Cloud | None = None
    arm_endpoint: Text | None = None
    arm_audience: Text | None = None


class CollectionSection(_Section):
    deep: bool | None = None
    workers: int | None = Field(default=None, ge=1, le=128)
    #: ``--processes``: evaluation (and, given, live collection) in this many processes.
    processes: int | None = Field(default=None, ge=1, le=64)


class HubsSection(_Section):
    kubeconfig: Path | None = None
    contexts: list[Text] | None = None
    fleet_hubs: FleetHubSource | None = None


class PoliciesSection(_Section):
    directories: list[Path] | None = None
    enable: list[Text] | None = None
    disable: list[Text] | None = None
    #: ``{POLICY_ID: {parameter: value}}``; ``remediation.ARG`` keys set remediation args, as --set does.
    parameters: dict[Text, dict[Text, ParamValue]] | None = None
    release_calendar: Text | None = None
    calendar_max_age_days: int | None = Field(default=None, ge=1)


class WaiversSection(_Section):
    file: Path | None = None
    max_days: int | None = Field(default=None, ge=1)


class OutputsSection(_Section):
    dir: Path | None = None
    formats: list[OutputFormat] | None = None
    #: Tag names shown per cluster and fleet (--report-tags).
    tags: list[Text] | None = None


class GateSection(_Section):
    fail_on: FailOn | None = None
    new_only: bool | None = None
    allow_partial: bool | None = None


class BaselineSection(_Section):
    #: An earlier JSON result, ``history:latest`` or ``history:SCAN_ID``.
    source: Text | None = None
    any_scope: bool | None = None


class HistorySection(_Section):
    #: A file (SQLite), sqlite:///PATH or postgresql://… (a password is better given by the environment:
    #: AKS_AUDITOR_HISTORY from a secret).
    url: Text | None = None


class ConfigFile(_Section):
    """The whole file; every key is optional, and an absent key leaves the built-in default."""

    version: Literal[1] = CONFIG_VERSION
    source: SourceSection = Field(default_factory=SourceSection)
    scope: ScopeSection = Field(default_factory=ScopeSection)
    collection: CollectionSection = Field(default_factory=CollectionSection)
    hubs: HubsSection = Field(default_factory=HubsSection)
    policies: PoliciesSection = Field(default_factory=PoliciesSection)
    waivers: WaiversSection = Field(default_factory=WaiversSection)
    outputs: OutputsSection = Field(default_factory=OutputsSection)
    gate: GateSection = Field(default_factory=GateSection)
    baseline: BaselineSection = Field(default_factory=BaselineSection)
    history: HistorySection = Field(default_factory=HistorySection)

    @model_validator(mode="after")
    def _no_overlap(self) -> ConfigFile:
        both = set(self.policies.enable or ()) & set(self.policies.disable or ())
        if both:
            raise ValueError(f"policies.enable and policies.disable both name {', '.join(sorted(both))}")
        return self

    @field_validator("version", mode="before")
    @classmethod
    def _known_version(cls, value: Any) -> Any:
        if value != CONFIG_VERSION:
            raise ValueError(f"expected {CONFIG_VERSION} (this aks-auditor reads version {CONFIG_VERSION})")
        return value


def load_config_file(path: Path) -> ConfigFile:
    """Read and validate ``path``; every problem is one ConfigError line naming the file (exit 2)."""
    raw = read_yaml(path, ConfigError, what="configuration file")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of sections (source, scope, gate, ...), got {type(raw).__name__}"
        )
    try:
        return ConfigFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "extra_forbidden":
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(
                f"{path}: {where}: unknown key (expected one of {', '.join(_keys(first['loc'][:-1]))})"
            ) from None
        raise ConfigError(f"{path}: {describe_validation_error(error)}") from None


def _keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the section at ``loc`` accepts."""
    model: type[BaseModel] = ConfigFile
    for part in loc:
        field = next(f for name, f in model.model_fields.items() if part in (name, f.alias))
        model = field.annotation if isinstance(field.annotation, type) else model
    return [f.alias or name for name, f in model.model_fields.items()]


def param_text(value: ParamValue) -> str:
    """A YAML parameter value as ``--set`` text (lists comma-separated, booleans true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(param_text(item) for item in value)
    return str(value)


__all__ = ["CONFIG_FILE_NAME", "ConfigFile", "load_config_file", "param_text"]
