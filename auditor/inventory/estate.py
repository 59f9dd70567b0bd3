"""The normalized estate: everything collected, plus what could not be collected and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from auditor.inventory.aks import Cluster, VersionCatalog
from auditor.inventory.base import Model
from auditor.inventory.fleet import Fleet
from auditor.inventory.hub import Hub

#: Bump the minor for additive changes, the major for anything an older reader would misread.
SCHEMA_VERSION = "1.1"


class SubscriptionRef(Model):
    id: str
    name: str | None = None


class Scope(Model):
    subscriptions: tuple[SubscriptionRef, ...] = ()
    management_groups: tuple[str, ...] = ()
    hub_contexts: tuple[str, ...] = ()


class CoverageGap(Model):
    """Something that could not be read. ``scope`` is subscription | region | cluster | fleet | hub | call."""

    scope: str
    target: str
    operation: str
    reason: str

    @property
    def order(self) -> tuple[str, str, str]:
        """How a collection sorts its gaps (scope, target case-insensitively, operation)."""
        return (self.scope, self.target.lower(), self.operation)


class Coverage(Model):
    """What was read (counts per kind) and what was not (gaps). Any gap makes the scan incomplete.

    ``notes`` qualify a complete scan without making it incomplete (a stale release calendar)."""

    read: dict[str, int] = Field(default_factory=dict)
    gaps: tuple[CoverageGap, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.gaps


class ShardInfo(Model):
    """This snapshot holds one shard of an estate: the subscriptions whose shard (auditor/shard.py) is
    ``index`` of ``count``, with their clusters and fleets (schema 1.1)."""

    index: int
    count: int
    partition_key: str = "subscriptionId"
    #: The whole scope's subscriptions: how many, and their digest (a merge checks both).
    scope_subscriptions: int
    scope_digest: str


class Estate(Model):
    kind: Literal["Estate"] = "Estate"
    schema_version: str = SCHEMA_VERSION
    collected_at: datetime
    source: str
    scope: Scope = Field(default_factory=Scope)
    coverage: Coverage = Field(default_factory=Coverage)
    clusters: tuple[Cluster, ...] = ()
    catalogs: tuple[VersionCatalog, ...] = ()
    fleets: tuple[Fleet, ...] = ()
    hubs: tuple[Hub, ...] = ()
    #: Set when this is one shard of a collection (``collect --shard I/N``); ``merge --inventory`` joins them.
    shard: ShardInfo | None = None

    def catalog_for(self, location: str | None) -> VersionCatalog | None:
        """The version catalog of a region; Azure location names compare case- and space-insensitively."""
        if location is None:
            return None
        wanted = normalize_location(location)
        for catalog in self.catalogs:
            if normalize_location(catalog.location) == wanted:
                return catalog
        return None


def resource_count(estate: Estate) -> int:
    """Clusters, node pools, fleets and hubs: the resources a scan judges, roughly (for sizing work)."""
    return (
        len(estate.clusters)
        + sum(len(cluster.node_pools) for cluster in estate.clusters)
        + len(estate.fleets)
        + len(estate.hubs)
    )


def normalize_location(location: str) -> str:
    return location.replace(" ", "").lower()
