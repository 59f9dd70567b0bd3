"""What the collectors are asked to read: the estate's source and the Fleet hubs to add to it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator


class SourceOptions(BaseModel):
    """Where the estate comes from: a snapshot, the embedded demo, or (neither) live Azure."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inventory: Path | None = None
    demo: bool = False

    @property
    def is_live(self) -> bool:
        return not self.demo and self.inventory is None

    @model_validator(mode="after")
    def _one_source(self) -> SourceOptions:
        if self.demo and self.inventory is not None:
            raise ValueError("choose one source: --inventory FILE, --demo, or neither for a live Azure scan")
        return self


class FleetHubSource(StrEnum):
    """``--fleet-hubs``: where fleet hub kubeconfigs come from besides ``--hub-kubeconfig``."""

    #: Fleet listCredentials for each fleet with a hub (live scans only); kept in memory only.
    DISCOVER = "discover"


class HubConfig(BaseModel):
    """Fleet hub clusters to read through the Kubernetes API: one kubeconfig, one context per hub, and/or
    the hubs of the fleets a live scan finds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kubeconfig: Path | None = None
    contexts: tuple[str, ...] = ()
    fleet_hubs: FleetHubSource | None = None

    @model_validator(mode="after")
    def _contexts_need_a_kubeconfig(self) -> HubConfig:
        if self.contexts and self.kubeconfig is None:
            raise ValueError("--hub-context needs --hub-kubeconfig FILE")
        return self
