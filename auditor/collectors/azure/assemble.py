"""Resource Graph rows -> clusters and fleets with their children; unreadable rows become coverage gaps.

Rows are parsed as each page arrives (:data:`PARSERS`), so raw pages are not held for the whole estate.
A fleet's child list is ``None`` (not collected) when its query failed for the fleet's subscription or one
of its children could not be read: a partial list could make a fleet policy pass on missing data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditor.collectors.azure import normalize, normalize_fleet
from auditor.collectors.azure.graph import AUTO_UPGRADE, CLUSTERS, FLEETS, MEMBERS, STRATEGIES, UPDATE_RUNS
from auditor.collectors.interface import PayloadError
from auditor.inventory import Cluster, Fleet
from auditor.inventory.base import normalize_id

GapSink = Callable[[str, str, str, str], None]
Parser = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Unreadable:
    """A row the normalizer refused; ``fleet`` is the normalized id of its fleet, for a fleet child."""

    resource_id: str
    reason: str
    fleet: str | None = None


@dataclass(frozen=True)
class QueryResult:
    items: list[Any]  # what the query's parser made of each row
    ok_subscriptions: frozenset[str]  # lower-cased ids the query answered for
    failures: tuple[str, ...] = ()  # reasons of batches that failed other than by a 403


def _row_id(row: Mapping[str, Any]) -> str:
    value = row.get("id")
    return value if isinstance(value, str) else "(row without id)"


def _parent(child_id: str) -> str | None:
    try:
        return normalize_fleet.fleet_id_of(child_id)
    except PayloadError:
        return None


def _resource(reader: Callable[[Any], Any]) -> Parser:
    def parse(row: Mapping[str, Any]) -> Any:
        try:
            return reader(row)
        except PayloadError as error:
            return Unreadable(_row_id(row), str(error))

    return parse


def _child(reader: Callable[[Any], Any]) -> Parser:
    """Parses a fleet child into ``(fleet id, model)``."""

    def parse(row: Mapping[str, Any]) -> Any:
        rid = _row_id(row)
        try:
            return normalize_fleet.fleet_id_of(rid), reader(row)
        except PayloadError as error:
            return Unreadable(rid, str(error), _parent(rid))

    return parse


#: Fleet field <- the query that fills it
CHILDREN: dict[str, str] = {
    "members": MEMBERS.name,
    "update_runs": UPDATE_RUNS.name,
    "update_strategies": STRATEGIES.name,
    "auto_upgrade_profiles": AUTO_UPGRADE.name,
}
#: query name -> row parser
PARSERS: dict[str, Parser] = {
    CLUSTERS.name: _resource(normalize.cluster),
    FLEETS.name: _resource(normalize_fleet.fleet),
    MEMBERS.name: _child(normalize_fleet.fleet_member),
    UPDATE_RUNS.name: _child(normalize_fleet.update_run),
    STRATEGIES.name: _child(normalize_fleet.update_strategy),
    AUTO_UPGRADE.name: _child(normalize_fleet.auto_upgrade_profile),
}


class Assembler:
    """Turns the parsed query results into inventory models; unreadable rows become gaps."""

    def __init__(self, results: Mapping[str, QueryResult], gap: GapSink) -> None:
        self._results = results
        self._gap = gap

    def _readable(self, query: str, scope: str) -> list[Any]:
        items = []
        for item in self._results[query].items:
            if isinstance(item, Unreadable):
                self._gap(scope, item.resource_id, f"normalize:{query}", item.reason)
            else:
                items.append(item)
        return items

    def clusters(self, subscription_names: Mapping[str, str | None]) -> list[Cluster]:
        clusters = []
        for cluster in self._readable(CLUSTERS.name, "cluster"):
            name = subscription_names.get(cluster.subscription_id.lower())
            clusters.append(cluster.model_copy(update={"subscription_name": name}) if name else cluster)
        return sorted(clusters, key=lambda c: normalize_id(c.id))

    def fleets(self, subscription_names: Mapping[str, str | None]) -> list[Fleet]:
        fleets: dict[str, Fleet] = {}
        for fleet in self._readable(FLEETS.name, "fleet"):
            name = subscription_names.get(fleet.subscription_id.lower())
            fleets[normalize_id(fleet.id)] = (
                fleet.model_copy(update={"subscription_name": name}) if name else fleet
            )
        updates: dict[str, dict[str, Any]] = {key: {} for key in fleets}
        for field, query in CHILDREN.items():
            broken = {i.fleet for i in self._results[query].items if isinstance(i, Unreadable) and i.fleet}
            children: dict[str, list[Any]] = {}
            for parent, child in self._readable(query, "fleet"):
                if parent in fleets:  # children of fleets outside the scope are not ours to report
                    children.setdefault(parent, []).append(child)
            ok = self._results[query].ok_subscriptions
            for key, fleet in fleets.items():
                collected = fleet.subscription_id.lower() in ok and key not in broken
                ordered = sorted(children.get(key, ()), key=lambda child: str(child.id).lower())
                updates[key][field] = tuple(ordered) if collected else None
        return [fleets[key].model_copy(update=updates[key]) for key in sorted(fleets)]

    @staticmethod
    def with_memberships(clusters: Sequence[Cluster], fleets: Sequence[Fleet]) -> list[Cluster]:
        return normalize.attach_memberships(clusters, fleets)

    @staticmethod
    def read_counts(clusters: Sequence[Cluster], fleets: Sequence[Fleet]) -> dict[str, int]:
        counts = {
            "managedClusters": len(clusters),
            "nodePools": sum(len(c.node_pools) for c in clusters),
            "fleets": len(fleets),
        }
        for field, query in CHILDREN.items():
            counts[query] = sum(len(getattr(f, field) or ()) for f in fleets)
        return counts
