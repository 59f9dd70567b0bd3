"""``scan --shard I/N``: judge one shard of a whole estate, with the whole estate as context.

A shard judges the resources of the subscriptions it owns (auditor/shard.py): clusters and their node
pools, fleets with their update runs and auto-upgrade profiles, and the objects of the fleets' hubs; a
hub whose fleet is unknown (read from a kubeconfig alone) belongs to shard 0. Every document is built
from the whole estate — a cluster sees its fleets, a fleet its members' running versions, wherever they
sit — so a shard's findings are exactly those one scan of the estate gives its resources. Its result
says which shard it is and where each of its resources sits in the estate's order (``ResultShard``), so
``merge`` (auditor/result_merge.py) puts the shards' results back together as one scan's result.
"""

from __future__ import annotations

import hashlib

from auditor.findings import ResultShard
from auditor.inventory import Estate, Hub
from auditor.inventory.base import arm_segment
from auditor.policies.documents import Gap, ResourceDocument
from auditor.policies.evaluator import Owns
from auditor.policies.order import Judged
from auditor.shard import PARTITION_KEY, Shard, owner, scope_digest


def _owner(subscription_id: str | None, count: int) -> int:
    return owner(subscription_id, count) if subscription_id else 0


def _hub_subscription(hub: Hub) -> str | None:
    return arm_segment(hub.fleet_id, "subscriptions") if hub.fleet_id else None


def owns_document(shard: Shard) -> Owns:
    """Whether a resource document (or gap) is the shard's: by its subscription; none -> shard 0."""

    def owns(item: ResourceDocument | Gap) -> bool:
        return _owner(item.subscription_id, shard.count) == shard.index

    return owns


def estate_identity(estate: Estate) -> str:
    """What every shard's result names the estate by (a merge refuses results of different estates)."""
    parts = (
        estate.collected_at.isoformat(),
        estate.source,
        scope_digest(ref.id for ref in estate.scope.subscriptions),
        ",".join(estate.scope.management_groups),
        str(len(estate.clusters)),
        str(len(estate.fleets)),
        str(len(estate.hubs)),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def estate_slice(estate: Estate, shard: Shard) -> tuple[Estate, tuple[int, ...], tuple[int, ...]]:
    """The shard's clusters, fleets and hubs (catalogs and everything else as they are), and the
    positions of its clusters and fleets in the estate (the order a merge restores)."""
    clusters = tuple(
        i for i, c in enumerate(estate.clusters) if _owner(c.subscription_id, shard.count) == shard.index
    )
    fleets = tuple(
        i for i, f in enumerate(estate.fleets) if _owner(f.subscription_id, shard.count) == shard.index
    )
    hubs = tuple(h for h in estate.hubs if _owner(_hub_subscription(h), shard.count) == shard.index)
    part = estate.model_copy(
        update={
            "clusters": tuple(estate.clusters[i] for i in clusters),
            "fleets": tuple(estate.fleets[i] for i in fleets),
            "hubs": hubs,
        }
    )
    return part, clusters, fleets


def result_shard(
    estate: Estate, shard: Shard, judged: Judged, clusters: tuple[int, ...], fleets: tuple[int, ...]
) -> ResultShard:
    subscriptions = sum(1 for ref in estate.scope.subscriptions if shard.owns(ref.id))
    return ResultShard(
        index=shard.index,
        count=shard.count,
        partition_key=PARTITION_KEY,
        estate=estate_identity(estate),
        subscriptions=subscriptions,
        positions=tuple(judged.positions),
        counts=tuple(judged.counts),
        clusters=clusters,
        fleets=fleets,
    )
