"""ScanConfig and CollectConfig: everything a command needs, validated once, frozen. The CLI builds them."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.collectors.azure.settings import AzureSettings
from auditor.findings import Severity
from auditor.reporters.interface import OutputFormat

DEFAULT_FORMATS = (OutputFormat.HTML, OutputFormat.JSON, OutputFormat.SARIF)


class LiveOptions(BaseModel):
    """How a live collection runs and how much of a partial one is acceptable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    azure: AzureSettings = Field(default_factory=AzureSettings)
    #: Coverage gaps alone do not make the exit code 3 (findings that could not be evaluated still do).
    allow_partial: bool = False
    verbose: bool = False


class FleetHubSource(StrEnum):
    """``--fleet-hubs``: where fleet hub kubeconfigs come from besides ``--hub-kubeconfig``."""

    #: Fleet listCredentials for each fleet with a hub (live scans only); kept in memory only.
    DISCOVER = "discover"


class HubOptions(BaseModel):
    """Fleet hub clusters to read through the Kubernetes API: one kubeconfig, one context per hub, and/or
    the hubs of the fleets a live scan finds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kubeconfig: Path | None = None
    contexts: tuple[str, ...] = ()
    fleet_hubs: FleetHubSource | None = None

    @model_validator(mode="after")
    def _contexts_need_a_kubeconfig(self) -> HubOptions:
        if self.contexts and self.kubeconfig is None:
            raise ValueError("--hub-context needs --hub-kubeconfig FILE")
        return self


class ScanConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inventory: Path | None = None
    demo: bool = False
    live: LiveOptions = Field(default_factory=LiveOptions)
    hubs: HubOptions = Field(default_factory=HubOptions)
    waivers: Path | None = None
    policy_dirs: tuple[Path, ...] = ()
    sets: dict[str, str] = Field(default_factory=dict)
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS
    output_dir: Path = Path("reports")
    fail_on: Severity | None = Severity.HIGH
    quiet: bool = False

    @property
    def is_live(self) -> bool:
        """Neither a snapshot nor the demo: collect from Azure."""
        return not self.demo and self.inventory is None

    @model_validator(mode="after")
    def _one_source(self) -> ScanConfig:
        if self.demo and self.inventory is not None:
            raise ValueError("choose one source: --inventory FILE, --demo, or neither for a live Azure scan")
        if self.hubs.fleet_hubs is FleetHubSource.DISCOVER and not self.is_live:
            raise ValueError("--fleet-hubs discover needs a live scan (not --inventory or --demo)")
        overlap = self.enable & self.disable
        if overlap:
            raise ValueError(f"--enable and --disable name the same policy: {', '.join(sorted(overlap))}")
        return self


class CollectConfig(BaseModel):
    """``aks-auditor collect``: a live collection written as an Estate snapshot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    live: LiveOptions = Field(default_factory=LiveOptions)
    hubs: HubOptions = Field(default_factory=HubOptions)
    output: Path
    quiet: bool = False
