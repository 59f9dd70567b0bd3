"""Add what a second source read (Fleet hubs) to an Estate: hubs, gaps, read counts and scope; and the name
each fleet's hub goes by."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from auditor.collectors.interface import HubCollection
from auditor.inventory import Coverage, Estate, Fleet
from auditor.inventory.base import normalize_id


def with_hubs(estate: Estate, collections: Sequence[HubCollection]) -> Estate:
    """The estate with these hubs added (a hub of the same name, already there or earlier in
    ``collections``, is replaced).

    Hubs read from a kubeconfig do not know their fleet, so nothing is guessed: member clusters map to
    AKS clusters through their fleet.azure.com/* labels (see hub.normalize.aks_cluster_id).
    """
    if not collections:
        return estate
    # A hub named twice (a kubeconfig context and a discovered fleet hub) is kept once: the last one.
    collections = list({collection.hub.name: collection for collection in collections}.values())
    names = {collection.hub.name for collection in collections}
    hubs = (*(hub for hub in estate.hubs if hub.name not in names), *(c.hub for c in collections))
    read = Counter(estate.coverage.read)
    for collection in collections:
        read.update(collection.read)
    coverage = Coverage(
        read=dict(sorted(read.items())),
        gaps=(*estate.coverage.gaps, *(gap for c in collections for gap in c.gaps)),
    )
    contexts = tuple(dict.fromkeys((*estate.scope.hub_contexts, *(c.hub.name for c in collections))))
    scope = estate.scope.model_copy(update={"hub_contexts": contexts})
    return estate.model_copy(update={"hubs": hubs, "coverage": coverage, "scope": scope})


def hub_names(fleets: Sequence[Fleet]) -> dict[str, str]:
    """Normalized fleet id -> its hub's name: the fleet's name; fleets of the same name (other groups or
    subscriptions) by their ARM id instead, so that no hub replaces another."""
    with_hubs = [fleet for fleet in fleets if fleet.hub_profile is not None]
    counts = Counter(fleet.name.lower() for fleet in with_hubs)
    return {normalize_id(f.id): f.name if counts[f.name.lower()] == 1 else f.id for f in with_hubs}
