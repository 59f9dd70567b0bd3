"""Version paths: one minor per hop, never down, only catalog versions, pools never above the plane."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.inventory.aks import CatalogMinor, VersionCatalog
from auditor.kube_versions import parse_version, version_compare
from auditor.remediation.versions import (
    CONTROL_PLANE,
    LTS,
    OFFICIAL,
    Catalog,
    Hop,
    max_pool_skew,
    minor_key,
    plan_versions,
)


def catalog(
    *minors: tuple[str, list[str]],
    preview: frozenset[str] = frozenset(),
    lts_only: frozenset[str] = frozenset(),
) -> VersionCatalog:
    return VersionCatalog(
        location="eastus",
        versions=tuple(
            CatalogMinor(
                version=minor,
                is_preview=minor in preview,
                support_plans=(LTS,) if minor in lts_only else (OFFICIAL, LTS),
                patch_versions=dict.fromkeys(patches, ()),
            )
            for minor, patches in minors
        ),
    )


WINDOW = catalog(
    ("1.30", ["1.30.1", "1.30.9", "1.30.10"]),
    ("1.31", ["1.31.2", "1.31.5"]),
    ("1.32", ["1.32.0", "1.32.7"]),
    ("1.33", ["1.33.1"]),
    preview=frozenset({"1.33"}),
)


def test_a_129_cluster_with_three_hops_goes_130_131_132_each_at_the_latest_patch() -> None:
    path = plan_versions(
        "1.29.4",
        {"system": "1.29.4", "user": "1.29.4"},
        Catalog(WINDOW, lts=False, allow_preview=False),
        hop_control_plane=True,
        fix_patch=False,
        raise_pools=frozenset(),
        max_hops=3,
    )
    planes = [hop for hop in path.hops if hop.resource == CONTROL_PLANE]
    assert planes == [
        Hop(CONTROL_PLANE, "1.29.4", "1.30.10"),
        Hop(CONTROL_PLANE, "1.30.10", "1.31.5"),
        Hop(CONTROL_PLANE, "1.31.5", "1.32.7"),
    ]
    # pools at the plane's minor follow each hop, before the plane moves on
    assert path.hops[1:3] == [Hop("system", "1.29.4", "1.30.10"), Hop("user", "1.29.4", "1.30.10")]
    assert [hop.to_version for hop in path.hops if hop.resource == "user"] == ["1.30.10", "1.31.5", "1.32.7"]
    assert path.stopped == []


def test_one_hop_by_default_and_never_to_a_preview_minor() -> None:
    cat = Catalog(WINDOW, lts=False, allow_preview=False)
    path = plan_versions(
        "1.32.0", {}, cat, hop_control_plane=True, fix_patch=False, raise_pools=frozenset(), max_hops=1
    )
    assert path.hops == []  # 1.33 is preview; 1.32 is supported, so nothing is said either
    assert path.stopped == []
    preview = plan_versions(
        "1.32.0",
        {},
        Catalog(WINDOW, lts=False, allow_preview=True),
        hop_control_plane=True,
        fix_patch=False,
        raise_pools=frozenset(),
        max_hops=1,
    )
    assert preview.hops == [Hop(CONTROL_PLANE, "1.32.0", "1.33.1")]


def test_a_patch_fix_stays_in_its_minor_and_a_pool_ahead_is_never_lowered() -> None:
    path = plan_versions(
        "1.31.2",
        {"fast": "1.32.0", "system": "1.31.2"},
        Catalog(WINDOW, lts=False, allow_preview=False),
        hop_control_plane=False,
        fix_patch=True,
        raise_pools=frozenset({"fast"}),
        max_hops=1,
    )
    assert path.hops == [Hop(CONTROL_PLANE, "1.31.2", "1.31.5")]
    assert path.stopped == [("fast", "pool fast (1.32.0) is ahead of the control plane (1.31.2)")]


def test_an_unsupported_plane_whose_next_minor_is_gone_is_stopped_with_the_reason() -> None:
    path = plan_versions(
        "1.27.3",
        {"system": "1.27.3"},
        Catalog(WINDOW, lts=False, allow_preview=False),
        hop_control_plane=True,
        fix_patch=True,
        raise_pools=frozenset(),
        max_hops=3,
    )
    assert path.hops == []
    assert path.stopped == [
        (CONTROL_PLANE, "the control plane (1.27.3) cannot move up: 1.28 is not offered in eastus"),
        (CONTROL_PLANE, "no patch of 1.27 can be targeted: 1.27 is not offered in eastus"),  # AKS-004
    ]


def test_lts_only_minors_are_for_clusters_on_the_lts_plan() -> None:
    lts = catalog(("1.30", ["1.30.100"]), ("1.31", ["1.31.100"]), lts_only=frozenset({"1.30", "1.31"}))
    args = {"hop_control_plane": True, "fix_patch": False, "raise_pools": frozenset(), "max_hops": 1}
    official = plan_versions("1.29.9", {}, Catalog(lts, lts=False, allow_preview=False), **args)  # type: ignore[arg-type]
    assert official.hops == []
    assert "only under the AKSLongTermSupport plan" in official.stopped[0][1]
    on_lts = plan_versions("1.29.9", {}, Catalog(lts, lts=True, allow_preview=False), **args)  # type: ignore[arg-type]
    assert on_lts.hops == [Hop(CONTROL_PLANE, "1.29.9", "1.30.100")]


def test_trailing_pools_catch_up_a_minor_at_a_time_before_the_plane_moves() -> None:
    path = plan_versions(
        "1.29.1",
        {"old": "1.27.0", "system": "1.29.1"},
        Catalog(
            catalog(("1.28", ["1.28.5"]), *[(m, p) for m, p in [("1.30", ["1.30.2"])]]),
            lts=False,
            allow_preview=False,
        ),
        hop_control_plane=True,
        fix_patch=False,
        raise_pools=frozenset({"old"}),
        max_hops=1,
    )
    assert path.hops[:2] == [Hop("old", "1.27.0", "1.28.5"), Hop("old", "1.28.5", "1.29.1")]
    assert path.hops[2] == Hop(CONTROL_PLANE, "1.29.1", "1.30.2")


# --- the rules, over generated catalogs and clusters -----------------------------------------------

MINORS = [f"1.{m}" for m in range(24, 36)]


@st.composite
def catalogs(draw: st.DrawFn) -> VersionCatalog:
    chosen = sorted(draw(st.sets(st.sampled_from(MINORS), max_size=len(MINORS))), key=minor_key)
    minors = []
    for minor in chosen:
        patches = draw(st.sets(st.integers(0, 12), max_size=4))
        minors.append(
            CatalogMinor(
                version=minor,
                is_preview=draw(st.booleans()) and draw(st.booleans()),
                support_plans=draw(st.sampled_from([(OFFICIAL,), (LTS,), (OFFICIAL, LTS)])),
                patch_versions={f"{minor}.{p}": () for p in patches},
            )
        )
    return VersionCatalog(location="region", versions=tuple(minors))


def versions() -> st.SearchStrategy[str]:
    return st.builds(lambda m, p: f"{m}.{p}", st.sampled_from(MINORS), st.integers(0, 12))


@settings(max_examples=400, deadline=None)
@given(
    cat=catalogs(),
    plane=versions(),
    pools=st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), versions(), max_size=4),
    lts=st.booleans(),
    allow_preview=st.booleans(),
    hop=st.booleans(),
    fix_patch=st.booleans(),
    raise_all=st.booleans(),
    max_hops=st.integers(1, 5),
)
def test_no_plan_skips_a_minor_downgrades_lifts_a_pool_above_its_plane_or_leaves_the_catalog(
    cat: VersionCatalog,
    plane: str,
    pools: dict[str, str],
    lts: bool,
    allow_preview: bool,
    hop: bool,
    fix_patch: bool,
    raise_all: bool,
    max_hops: int,
) -> None:
    offered = Catalog(cat, lts=lts, allow_preview=allow_preview)
    path = plan_versions(
        plane,
        pools,
        offered,
        hop_control_plane=hop,
        fix_patch=fix_patch,
        raise_pools=frozenset(pools) if raise_all else frozenset(),
        max_hops=max_hops,
    )
    state = {CONTROL_PLANE: plane, **pools}
    plane_minors = 0
    for step in path.hops:
        before = state[step.resource]
        assert step.from_version == before, "a hop starts where the resource is"
        gap = minor_key(step.to_version)[1] - minor_key(before)[1]
        assert minor_key(step.to_version)[0] == minor_key(before)[0]
        assert gap in (0, 1), f"{step}: one minor at a time"
        assert version_compare(step.to_version, before) > 0, f"{step}: never down, never sideways"
        joins_plane = step.resource != CONTROL_PLANE and step.to_version == state[CONTROL_PLANE]
        if not joins_plane:
            minor = f"{parse_version(step.to_version)[0]}.{parse_version(step.to_version)[1]}"
            entry = offered.minor(minor)
            assert entry is not None and step.to_version in entry.patch_versions, (
                f"{step}: not in the catalog"
            )
            assert offered.allowed(minor), f"{step}: a minor this cluster may not run"
        state[step.resource] = step.to_version
        if step.resource == CONTROL_PLANE:
            plane_minors += gap
            for name in pools:
                trail = minor_key(state[CONTROL_PLANE])[1] - minor_key(state[name])[1]
                assert trail <= max_pool_skew(state[CONTROL_PLANE]) or minor_key(pools[name]) < minor_key(
                    plane
                ), "the plane never leaves a pool out of skew"
        if step.resource != CONTROL_PLANE:
            assert version_compare(state[step.resource], state[CONTROL_PLANE]) <= 0, "a pool above its plane"
    assert plane_minors <= max_hops
    if not hop:
        assert plane_minors == 0
