"""What a command was asked to do, validated once and frozen: one model per option group, composed into
ScanConfig and CollectConfig (the source and hub models live with the collectors that read them). The
CLI builds them from click's values; nothing else reads click."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from auditor.collectors.azure.settings import AzureSettings
from auditor.collectors.sources import FleetHubSource, HubConfig, SourceOptions
from auditor.findings import Severity
from auditor.release_calendar import DEFAULT_MAX_AGE_DAYS
from auditor.remediation.plan import PlanOptions
from auditor.reporters.interface import OutputFormat

DEFAULT_FORMATS = (OutputFormat.HTML, OutputFormat.JSON, OutputFormat.SARIF)
#: Where ``scan`` and ``convert`` write reports unless told otherwise (never inside the package).
DEFAULT_OUTPUT_DIR = Path("aks-auditor-report")


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LiveOptions(_Options):
    """How a live collection runs. ``given``: the live-only flags typed on the command line (refused
    with a snapshot or the demo, where they would silently do nothing)."""

    azure: AzureSettings = Field(default_factory=AzureSettings)
    verbose: bool = False
    given: tuple[str, ...] = ()


class PolicyOptions(_Options):
    """Which policies run, with which parameters: ``--policies``, ``--set``, ``--enable``, ``--disable``."""

    policy_dirs: tuple[Path, ...] = ()
    #: ``ID.param`` -> value text; typed against the policy's declared parameter when configured.
    sets: Mapping[str, str] = Field(default_factory=dict)
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    #: --release-calendar: a file or an http(s) URL; None: the packaged calendar (the demo's own for --demo).
    calendar: str | None = None
    calendar_max_age_days: int = DEFAULT_MAX_AGE_DAYS
    #: ``set:ID.param`` / ``enable:ID`` / ``disable:ID`` -> where a config-file value came from
    #: (``FILE: key.path``), for error messages; flags are named as typed.
    origins: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("calendar_max_age_days")
    @classmethod
    def _positive_age(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"--calendar-max-age-days {value}: expected a number of days of at least 1")
        return value

    @field_validator("sets", mode="before")
    @classmethod
    def _parse_sets(cls, value: Any) -> Any:
        """``--set`` values as given on the command line: ``ID.param=value`` each."""
        if isinstance(value, Mapping) or not isinstance(value, Sequence):
            return value
        sets: dict[str, str] = {}
        for item in value:
            key, eq, text = str(item).partition("=")
            if not eq or not key.strip():
                raise ValueError(f"--set {item}: expected POLICY_ID.parameter=value")
            sets[key.strip()] = text.strip()
        return sets

    @model_validator(mode="after")
    def _no_overlap(self) -> PolicyOptions:
        overlap = self.enable & self.disable
        if overlap:
            raise ValueError(f"--enable and --disable name the same policy: {', '.join(sorted(overlap))}")
        return self


class ReportOptions(_Options):
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS
    output_dir: Path = DEFAULT_OUTPUT_DIR
    #: --report-tags: tag names shown per cluster and fleet (env, owner, ...).
    tags: tuple[str, ...] = ()

    @field_validator("tags", mode="before")
    @classmethod
    def _split_tags(cls, value: Any) -> Any:
        if isinstance(value, str | list | tuple):
            items = [value] if isinstance(value, str) else value
            names = [n.strip() for item in items for n in str(item).split(",")]
            if any(not n for n in names):
                raise ValueError(
                    f"--report-tags {','.join(map(str, items))}: expected tag names separated by commas"
                )
            return tuple(dict.fromkeys(names))
        return value

    @field_validator("formats", mode="after")
    @classmethod
    def _default_formats(cls, value: tuple[OutputFormat, ...]) -> tuple[OutputFormat, ...]:
        return tuple(dict.fromkeys(value)) or DEFAULT_FORMATS


class GateOptions(_Options):
    """What makes the exit code non-zero, and which accepted risks apply."""

    fail_on: Severity | None = Severity.HIGH
    waivers: Path | None = None
    #: --max-waiver-days: refuse waivers that expire further out than this.
    max_waiver_days: int | None = Field(default=None, ge=1)
    #: Coverage gaps alone do not make the exit code 3 (findings that could not be evaluated still do).
    allow_partial: bool = False
    #: --baseline: an earlier JSON result (a path), or ``history:latest`` / ``history:SCAN_ID`` from
    #: --history; failing findings are marked new or unchanged against it.
    baseline: str | None = None
    #: --history: the scan history store (a file for SQLite, sqlite:///…, postgresql://…).
    history: str | None = None
    baseline_any_scope: bool = False
    #: --fail-on-new-only: only failures new since the baseline reach the gate.
    fail_on_new_only: bool = False

    @model_validator(mode="after")
    def _baseline_flags(self) -> GateOptions:
        if self.baseline is None:
            for flag, given in (
                ("--fail-on-new-only", self.fail_on_new_only),
                ("--baseline-any-scope", self.baseline_any_scope),
            ):
                if given:
                    raise ValueError(f"{flag} compares with a baseline: give --baseline RESULT.json")
        elif self.baseline.startswith("history:") and self.history is None:
            raise ValueError(f"--baseline {self.baseline} reads the history: give --history URL")
        return self

    @property
    def baseline_from_history(self) -> str | None:
        """``latest`` or a scan id when --baseline names the history, else None."""
        if self.baseline is not None and self.baseline.startswith("history:"):
            return self.baseline.removeprefix("history:")
        return None


class RemediateOptions(_Options):
    """``--remediate`` and the planning choices; ``given``: the planning flags typed on the command line
    (refused without ``--remediate``, where they would do nothing)."""

    enabled: bool = False
    plan: PlanOptions = Field(default_factory=PlanOptions)
    #: ``--apply``: apply the plan right after the scan (live scans only); ``--yes``: without asking.
    apply: bool = False
    yes: bool = False
    given: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _flags_need_remediate(self) -> RemediateOptions:
        if self.given and not self.enabled:
            raise ValueError(f"{self.given[0]} is for --remediate; it does nothing without it")
        return self


class ScanConfig(_Options):
    source: SourceOptions = Field(default_factory=SourceOptions)
    policies: PolicyOptions = Field(default_factory=PolicyOptions)
    reports: ReportOptions = Field(default_factory=ReportOptions)
    gate: GateOptions = Field(default_factory=GateOptions)
    hubs: HubConfig = Field(default_factory=HubConfig)
    live: LiveOptions = Field(default_factory=LiveOptions)
    remediate: RemediateOptions = Field(default_factory=RemediateOptions)
    quiet: bool = False

    @model_validator(mode="after")
    def _live_only_when_live(self) -> ScanConfig:
        if self.source.is_live:
            return self
        used = "--demo" if self.source.demo else "--inventory"
        if self.hubs.fleet_hubs is FleetHubSource.DISCOVER:
            raise ValueError(f"--fleet-hubs discover needs a live scan (not {used})")
        if self.live.given:
            raise ValueError(f"{self.live.given[0]} is for live scans only; it does nothing with {used}")
        if self.remediate.apply:
            raise ValueError(
                f"--apply changes Azure and needs a live scan (not {used}); "
                "apply a saved plan with aks-auditor remediate --plan"
            )
        return self


class CollectConfig(_Options):
    """``aks-auditor collect``: a live collection written as an Estate snapshot."""

    live: LiveOptions = Field(default_factory=LiveOptions)
    hubs: HubConfig = Field(default_factory=HubConfig)
    allow_partial: bool = False
    output: Path
    quiet: bool = False


__all__ = [
    "DEFAULT_FORMATS",
    "DEFAULT_OUTPUT_DIR",
    "CollectConfig",
    "FleetHubSource",
    "GateOptions",
    "HubConfig",
    "LiveOptions",
    "PolicyOptions",
    "RemediateOptions",
    "ReportOptions",
    "ScanConfig",
    "SourceOptions",
]
