"""The version landscape of an estate: clusters per Kubernetes minor in each region against the minors
that region's catalog supports, and node image ages per pool as a distribution. Computed from the estate
at scan time and kept in the result (schema 2.3), so every report of a saved result can draw it.

A region's supported window is its catalog's non-preview minors on the standard (KubernetesOfficial)
plan; a region without a catalog has ``supported: null`` (unknown, never "all supported"). Image ages are
whole days from the image's build date to the evaluation time; images whose date cannot be read are
counted as unknown, never as fresh.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import Field

from auditor.inventory import Estate
from auditor.inventory.base import Model
from auditor.kube_versions import minor_of, node_image_date, parse_version

#: Upper bounds (days, inclusive) of the image age buckets; older than the last is the final bucket.
AGE_BOUNDS = (30, 60, 90, 180)
STANDARD_PLAN = "KubernetesOfficial"


class RegionVersions(Model):
    region: str
    #: The catalog's non-preview minors on the standard plan, oldest first; None: no catalog was read.
    supported: tuple[str, ...] | None
    #: Minor -> clusters running it (control plane); ``unknown`` for an unreadable version.
    clusters: dict[str, int] = Field(default_factory=dict)


class ImageAgeBucket(Model):
    label: str
    pools: int


class Landscape(Model):
    regions: tuple[RegionVersions, ...] = ()
    image_ages: tuple[ImageAgeBucket, ...] = ()


def minor_key(minor: str) -> tuple[int, int]:
    """Sort key of a minor (``1.9`` before ``1.10``); anything unreadable (``unknown``) last."""
    try:
        major, number, _ = parse_version(minor)
    except ValueError:
        return (1 << 30, 0)
    return (major, number)


def _age_labels() -> list[str]:
    labels, low = [], 0
    for high in AGE_BOUNDS:
        labels.append(f"{low} to {high} days")
        low = high + 1
    return [*labels, f"over {AGE_BOUNDS[-1]} days", "unknown"]


def landscape(estate: Estate, now: datetime) -> Landscape:
    catalogs = {c.location.lower(): c for c in estate.catalogs}
    per_region: dict[str, Counter[str]] = {}
    for cluster in estate.clusters:
        version = cluster.current_kubernetes_version or cluster.kubernetes_version
        try:
            minor = minor_of(version) if version else "unknown"
        except ValueError:
            minor = "unknown"
        per_region.setdefault((cluster.location or "unknown").lower(), Counter())[minor] += 1
    regions = []
    for region in sorted(per_region):
        catalog = catalogs.get(region)
        supported = (
            tuple(
                sorted(
                    (
                        m.version
                        for m in catalog.versions
                        if not m.is_preview and (not m.support_plans or STANDARD_PLAN in m.support_plans)
                    ),
                    key=minor_key,
                )
            )
            if catalog is not None
            else None
        )
        counts = per_region[region]
        regions.append(
            RegionVersions(
                region=region,
                supported=supported,
                clusters={m: counts[m] for m in sorted(counts, key=minor_key)},
            )
        )
    labels = _age_labels()
    ages: Counter[str] = Counter()
    for cluster in estate.clusters:
        for pool in cluster.node_pools:
            try:
                days = (now - node_image_date(pool.node_image_version or "")).days
            except ValueError:
                ages[labels[-1]] += 1
                continue
            index = next((i for i, high in enumerate(AGE_BOUNDS) if days <= high), len(AGE_BOUNDS))
            ages[labels[index]] += 1
    buckets = tuple(ImageAgeBucket(label=label, pools=ages[label]) for label in labels)
    return Landscape(regions=tuple(regions), image_ages=buckets)


def merge_landscapes(parts: list[Landscape]) -> Landscape:
    """The landscape of the estates of ``parts`` together (shards of one estate: ``merge``): clusters add
    up per region and minor, pools per age bucket; a region's supported minors are its catalog's."""
    supported: dict[str, tuple[str, ...] | None] = {}
    counts: dict[str, Counter[str]] = {}
    for part in parts:
        for region in part.regions:
            if supported.get(region.region) is None:
                supported[region.region] = region.supported
            counts.setdefault(region.region, Counter()).update(region.clusters)
    ages: Counter[str] = Counter()
    labels: list[str] = []
    for part in parts:
        for bucket in part.image_ages:
            if bucket.label not in ages:
                labels.append(bucket.label)
            ages[bucket.label] += bucket.pools
    regions = tuple(
        RegionVersions(
            region=region,
            supported=supported[region],
            clusters={m: counts[region][m] for m in sorted(counts[region], key=minor_key)},
        )
        for region in sorted(counts)
    )
    buckets = tuple(ImageAgeBucket(label=label, pools=ages[label]) for label in labels)
    return Landscape(regions=regions, image_ages=buckets)
