"""Every validated model is held compactly (auditor/inventory/base.py ``held_compactly``): a 10,000-cluster
snapshot loaded is 29 MB instead of 120 MB. Only copies are dropped: what is loaded dumps back exactly."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel

from auditor.inventory import Estate
from auditor.inventory.aks import Cluster, NodePool
from auditor.inventory.snapshot import dump_model, load_estate
from benchmarks.generate_estate import build_estate


def models(value: object) -> list[BaseModel]:
    """Every model in a tree, depth first."""
    found: list[BaseModel] = []
    if isinstance(value, BaseModel):
        found.append(value)
        for item in value.__dict__.values():
            found.extend(models(item))
    elif isinstance(value, tuple | list):
        for item in value:
            found.extend(models(item))
    elif isinstance(value, dict):
        for item in value.values():
            found.extend(models(item))
    return found


def loaded(tmp_path: Path) -> tuple[Estate, str]:
    text = dump_model(build_estate(clusters=30, subscriptions=3))
    path = tmp_path / "estate.json"
    path.write_text(text, encoding="utf-8")
    return load_estate(path), text


def test_a_loaded_snapshot_dumps_back_exactly(tmp_path: Path) -> None:
    estate, text = loaded(tmp_path)
    assert dump_model(estate) == text
    assert Estate.model_validate_json(text) == estate


def test_each_models_values_share_their_key_table(tmp_path: Path) -> None:
    estate, _ = loaded(tmp_path)
    every = models(estate)
    assert len(every) > 200
    for model in every:
        if len(model.__dict__) >= 6:  # a small dict of its own is as small (8 slots)
            assert sys.getsizeof(model.__dict__) < sys.getsizeof(dict(model.__dict__)), type(model).__name__
    assert list(every[0].__dict__) == list(type(every[0]).model_fields)


def test_equal_strings_and_equal_fields_sets_are_one_object(tmp_path: Path) -> None:
    estate, _ = loaded(tmp_path)
    pools = [pool for cluster in estate.clusters for pool in cluster.node_pools]
    for field in ("location", "kubernetes_version"):
        values = [getattr(c, field) for c in estate.clusters if getattr(c, field) is not None]
        assert len({id(v) for v in values}) == len(set(values)) < len(values), field
    images = [p.node_image_version for p in pools if p.node_image_version]
    assert len({id(v) for v in images}) == len(set(images)) < len(images)
    sets = [(frozenset(p.__pydantic_fields_set__), id(p.__pydantic_fields_set__)) for p in pools]
    assert len({identity for _, identity in sets}) == len({given for given, _ in sets}) < len(pools)


def test_a_copy_with_changes_leaves_the_shared_fields_set_alone(tmp_path: Path) -> None:
    estate, _ = loaded(tmp_path)
    first, second = estate.clusters[0].node_pools[:2]
    shared = first.__pydantic_fields_set__
    assert second.__pydantic_fields_set__ is shared
    before = set(shared)
    changed = first.model_copy(update={"node_image_version": "x"})
    assert changed.node_image_version == "x" and first.node_image_version != "x"
    assert shared == before and second.__pydantic_fields_set__ == before


def test_models_built_in_code_are_held_so_too() -> None:
    """The live collectors build models from the SDK's payloads, not from JSON."""
    linux = ["Lin", "ux"]  # built at run time: literals are interned already
    one = NodePool(name="a", os_type="".join(linux))
    two = NodePool(name="b", os_type="".join(linux))
    assert one.os_type is two.os_type
    assert one.__pydantic_fields_set__ is two.__pydantic_fields_set__
    cluster = Cluster(id="/subscriptions/s/resourceGroups/g/providers/p/managedClusters/c", name="c")
    assert (cluster.subscription_id, cluster.resource_group) == ("s", "g")  # derived after it is held


def test_a_model_given_to_another_is_held_as_it_was() -> None:
    """Held once, when validated: not again each time a containing model is built of it (an
    after-validator would be — pydantic runs those on instances passed through; measured +2.4 s for a
    result's 240,000 findings at 10,000 clusters)."""
    pool = NodePool(name="a", os_type="Linux")
    values = pool.__dict__
    cluster = Cluster(
        id="/subscriptions/s/resourceGroups/g/providers/p/managedClusters/c", name="c", node_pools=(pool,)
    )
    assert cluster.node_pools[0] is pool
    assert pool.__dict__ is values


def test_a_finding_loaded_and_one_the_evaluator_built_share_one_fields_set() -> None:
    from auditor.findings import Finding
    from tests.policies.test_evaluator import every_kind_of_finding

    built = every_kind_of_finding()[0]
    loaded = Finding.model_validate_json(built.model_dump_json(by_alias=True))
    assert loaded == built
    assert loaded.__pydantic_fields_set__ is built.__pydantic_fields_set__
