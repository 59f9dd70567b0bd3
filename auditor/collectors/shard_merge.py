"""Join the snapshots of ``collect --shard I/N`` into the one estate a single collection would have read.

Refused (one InputError line, exit 2): a file that is not a shard, shards of different collections
(count, partition key, scope, source or management groups differ), a shard given twice, a missing
shard, a subscription (or a cluster or fleet) in a shard that does not own it. Joined as the collector
orders them: clusters and fleets by id, catalogs by region, subscriptions by id; fleet memberships are
attached again across all fleets (a cluster's fleet may be in another shard's subscription). Coverage
is the union: read counts add up (subscriptions and version catalogs are counted again, as every shard
may read the same region's catalog), gaps of any shard are gaps of the whole, the same gap once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta

from auditor.collectors.azure.normalize import attach_memberships
from auditor.collectors.merge import hub_names
from auditor.errors import InputError
from auditor.inventory import Coverage, CoverageGap, Estate, Hub, Scope, ShardInfo, VersionCatalog
from auditor.inventory.base import normalize_id
from auditor.inventory.estate import normalize_location
from auditor.shard import Shard

#: Shards of one collection run at once; further apart than this, one is likely a leftover of an earlier
#: run (a pod that failed this time): refused unless the caller allows more.
MAX_SPREAD = timedelta(hours=1)


def _subscription_of(resource_id: str) -> str:
    parts = resource_id.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""


def _check(
    shards: Sequence[tuple[str, Estate]], lost: Mapping[int, str]
) -> list[tuple[str, Estate, ShardInfo]]:
    checked = []
    for origin, estate in shards:
        if estate.shard is None:
            raise InputError(f"{origin}: not a shard (a snapshot collected without --shard)")
        checked.append((origin, estate, estate.shard))
    first_origin, first, info = checked[0]

    def collection(estate: Estate, shard: ShardInfo) -> tuple[object, ...]:
        return (
            shard.count,
            shard.partition_key,
            shard.scope_digest,
            estate.source,
            estate.scope.management_groups,
        )

    for origin, estate, shard in checked[1:]:
        if collection(estate, shard) != collection(first, info):
            raise InputError(
                f"{origin}: shard {shard.index}/{shard.count} of scope {shard.scope_digest} is not of the "
                f"collection of {first_origin} (shard {info.index}/{info.count} of scope {info.scope_digest})"
            )
    seen: dict[int, str] = {}
    for origin, _, shard in checked:
        if shard.index in seen:
            raise InputError(f"{seen[shard.index]} and {origin} are both shard {shard.index}/{shard.count}")
        seen[shard.index] = origin
    missing = [index for index in range(info.count) if index not in seen and index not in lost]
    if missing:
        given = ", ".join(f"{index}/{info.count}" for index in sorted(seen))
        raise InputError(
            f"missing shard {', '.join(f'{index}/{info.count}' for index in missing)} (given: {given}): "
            "a merge of fewer shards would be a silently smaller estate"
        )
    for origin, estate, shard in checked:
        owner = Shard(index=shard.index, count=shard.count)
        ids = (
            *(sub.id for sub in estate.scope.subscriptions),
            *(_subscription_of(cluster.id) for cluster in estate.clusters),
            *(_subscription_of(fleet.id) for fleet in estate.fleets),
        )
        for sub in ids:
            if not owner.owns(sub):
                raise InputError(f"{origin}: subscription {sub} is not in shard {owner} of this partition")
    return sorted(checked, key=lambda item: item[2].index)


def _renamed(estate: Estate, hub_names: dict[str, str]) -> Estate:
    """A shard whose discovered hubs carry the names one collection gives them (``hub_names`` over every
    shard's fleets: a shard cannot know that a fleet in another shard shares its fleet's name), its hub
    gaps renamed with them."""
    names = {
        hub.name: hub_names[normalize_id(hub.fleet_id)]
        for hub in estate.hubs
        if hub.fleet_id and normalize_id(hub.fleet_id) in hub_names
    }
    if all(old == new for old, new in names.items()):
        return estate
    hubs = tuple(
        hub.model_copy(update={"name": names.get(hub.name, hub.name)}) if hub.fleet_id else hub
        for hub in estate.hubs
    )
    gaps = tuple(
        gap.model_copy(update={"target": names[gap.target]})
        if gap.scope == "hub" and gap.target in names
        else gap
        for gap in estate.coverage.gaps
    )
    return estate.model_copy(
        update={"hubs": hubs, "coverage": estate.coverage.model_copy(update={"gaps": gaps})}
    )


def _lost(index: int, shard: ShardInfo | None, why: str) -> CoverageGap:
    count = shard.count if shard else 0
    return CoverageGap(
        scope="collection",
        target=f"shard {index}/{count}",
        operation="collect the shard's subscriptions",
        reason=f"{why}: its subscriptions were not read",
    )


def _hubs(shards: Sequence[Estate], fleet_order: dict[str, int]) -> list[Hub]:
    """Discovered hubs in their fleet's order, then kubeconfig hubs (shard 0's); a name given twice once,
    at its first place with its last reading (as one collection keeps a kubeconfig hub over discovery)."""
    hubs = [hub for estate in shards for hub in estate.hubs]
    discovered = sorted(
        (hub for hub in hubs if hub.fleet_id),
        key=lambda hub: fleet_order.get(normalize_id(hub.fleet_id or ""), 0),
    )
    configured = [hub for hub in hubs if not hub.fleet_id]
    return list({hub.name: hub for hub in (*discovered, *configured)}.values())


def _gaps(shards: Sequence[Estate], hubs: Sequence[Hub]) -> tuple[CoverageGap, ...]:
    """The collector's gaps sorted as it sorts them, then the hubs' gaps in hub order; each once."""
    unique = list(dict.fromkeys(gap for estate in shards for gap in estate.coverage.gaps))
    position = {hub.name: index for index, hub in enumerate(hubs)}
    collected = sorted((gap for gap in unique if gap.scope != "hub"), key=lambda gap: gap.order)
    of_hubs = sorted(
        (gap for gap in unique if gap.scope == "hub"), key=lambda gap: position.get(gap.target, len(position))
    )
    return (*collected, *of_hubs)


def merge_shards(
    shards: Sequence[tuple[str, Estate]],
    max_spread: timedelta = MAX_SPREAD,
    lost: Mapping[int, str] | None = None,
) -> Estate:
    """The estate of one collection from all its shards (``origin`` names each in an error); shards
    collected more than ``max_spread`` apart are refused (a stale shard would be a silently old slice).

    ``lost``: shards that could not be collected at all (index -> why), a coverage gap each instead of a
    refusal (collection in processes: a worker that died)."""
    if not shards:
        raise InputError("merge needs the snapshot of every shard")
    lost = lost or {}
    checked = _check(shards, lost)
    oldest = min(checked, key=lambda item: item[1].collected_at)
    newest = max(checked, key=lambda item: item[1].collected_at)
    spread = newest[1].collected_at - oldest[1].collected_at
    if spread > max_spread:
        raise InputError(
            f"{oldest[0]} was collected {spread.total_seconds() / 60:,.0f} minutes before {newest[0]} "
            f"(at most {max_spread.total_seconds() / 60:,.0f} allowed: --max-spread MINUTES): a shard left "
            "from an earlier run?"
        )
    fleets = sorted((f for _, e, _ in checked for f in e.fleets), key=lambda f: normalize_id(f.id))
    names = hub_names(fleets)
    estates = [_renamed(estate, names) for _, estate, _ in checked]
    first = estates[0]
    clusters = attach_memberships(
        sorted(
            (c.model_copy(update={"fleet_memberships": ()}) for estate in estates for c in estate.clusters),
            key=lambda c: normalize_id(c.id),
        ),
        fleets,
    )
    catalogs: dict[str, VersionCatalog] = {}
    for estate in estates:
        for catalog in estate.catalogs:
            catalogs.setdefault(normalize_location(catalog.location), catalog)
    hubs = _hubs(estates, {normalize_id(fleet.id): index for index, fleet in enumerate(fleets)})
    subscriptions = sorted(
        (sub for estate in estates for sub in estate.scope.subscriptions), key=lambda s: s.id.lower()
    )
    read: Counter[str] = Counter()
    for estate in estates:
        read.update(estate.coverage.read)
    for key, count in (("subscriptions", len(subscriptions)), ("versionCatalogs", len(catalogs))):
        if key in read:
            read[key] = count
    notes = list(dict.fromkeys(note for estate in estates for note in estate.coverage.notes))
    return Estate(
        collected_at=newest[1].collected_at,  # the older shards judged as older: ages never understated
        source=first.source,
        scope=Scope(
            subscriptions=tuple(subscriptions),
            management_groups=first.scope.management_groups,
            hub_contexts=tuple(hub.name for hub in hubs),
        ),
        coverage=Coverage(
            read=dict(sorted(read.items())),
            gaps=(
                *_gaps(estates, hubs),
                *(_lost(index, first.shard, why) for index, why in sorted(lost.items())),
            ),
            notes=tuple(notes),
        ),
        clusters=tuple(clusters),
        catalogs=tuple(catalogs[key] for key in sorted(catalogs)),
        fleets=tuple(fleets),
        hubs=tuple(hubs),
    )
