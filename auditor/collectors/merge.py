"""Add what a second source read (Fleet hubs) to an Estate: hubs, gaps, read counts and scope."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from auditor.collectors.interface import HubCollection
from auditor.inventory import Coverage, Estate


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
