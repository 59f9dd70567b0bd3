"""Resource documents are built when first read: a scan judging part of an estate (a shard, a worker
process) pays only for its own resources, and a cluster's pools share one summary of it."""

from __future__ import annotations

from auditor.demo import load_demo_estate
from auditor.policies.documents import Gap, ResourceDocument, iter_documents
from auditor.policies.model import ResourceKind


def test_a_document_is_built_when_first_read_and_only_once() -> None:
    views = [view for view in iter_documents(load_demo_estate()) if isinstance(view, ResourceDocument)]
    assert len(views) > 20 and {view.kind for view in views} >= {ResourceKind.CLUSTER, ResourceKind.NODE_POOL}
    assert not any("document" in vars(view) for view in views)  # iterating built none of them
    cluster = next(view for view in views if view.kind is ResourceKind.CLUSTER)
    document = cluster.document
    assert document["resource"]["id"] == cluster.id and set(document) == {"resource", "catalog", "fleets"}
    assert cluster.document is document  # built once
    assert sum("document" in vars(view) for view in views) == 1


def test_a_clusters_pools_share_one_summary_without_pools() -> None:
    estate = load_demo_estate()
    cluster = next(c for c in estate.clusters if len(c.node_pools) >= 2)
    pools = [
        view
        for view in iter_documents(estate)
        if not isinstance(view, Gap)
        and view.kind is ResourceKind.NODE_POOL
        and view.id.startswith(cluster.id + "/")
    ]
    assert len(pools) == len(cluster.node_pools)
    first, second = (pool.document["cluster"] for pool in pools[:2])
    assert first is second and first["id"] == cluster.id and "nodePools" not in first
