"""The upgrade horizon of each cluster: when its minor leaves support and when its windows next open.

One :class:`ClusterHorizon` per cluster goes into the scan result (JSON report) so the reports, the HTML
and downstream tools can plan with it. Policies read the same facts through the ``supportEnds``,
``daysUntil``, ``nextWindow`` and ``windowGapDays`` functions. Nothing here guesses: an end date the
calendar does not have, or a window whose schedule cannot be known, is recorded with its reason.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from pydantic import Field

from auditor.inventory import Cluster, Estate
from auditor.inventory.aks import MaintenanceConfiguration
from auditor.inventory.base import Model
from auditor.kube_versions import minor_of
from auditor.release_calendar import ReleaseCalendar, UnknownRelease
from auditor.schedule import UnknownSchedule, next_window

#: The AKS-managed windows (the legacy ``default`` configuration is reported too when present).
MANAGED_WINDOWS = ("aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule", "default")


class ClusterHorizon(Model):
    resource_id: str
    name: str
    minor: str | None = None
    #: ``long-term`` for a cluster on the AKSLongTermSupport plan with the Premium tier, else ``community``.
    support: str = "community"
    end_of_support: date | None = None
    #: Calendar days from the scan date to ``end_of_support`` (negative once it has passed).
    days_left: int | None = None
    #: Why ``end_of_support`` is unknown (the calendar has no date, the version is unreadable).
    unknown: str | None = None
    #: Window name -> [start, end] (UTC) of the window open now or next within a year; null: none within
    #: a year. Windows the cluster does not have are absent; those whose schedule is unknown are in
    #: ``windowErrors``.
    next_windows: dict[str, tuple[datetime, datetime] | None] = Field(default_factory=dict)
    window_errors: dict[str, str] = Field(default_factory=dict)


def on_long_term_support(cluster: Cluster) -> bool:
    return cluster.support_plan == "AKSLongTermSupport" and cluster.sku_tier == "Premium"


def cluster_horizons(estate: Estate, calendar: ReleaseCalendar, now: datetime) -> tuple[ClusterHorizon, ...]:
    return tuple(cluster_horizon(cluster, calendar, now) for cluster in estate.clusters)


def cluster_horizon(cluster: Cluster, calendar: ReleaseCalendar, now: datetime) -> ClusterHorizon:
    lts = on_long_term_support(cluster)
    version = cluster.current_kubernetes_version or cluster.kubernetes_version
    minor = end = days = unknown = None
    if version is None:
        unknown = "neither currentKubernetesVersion nor kubernetesVersion is known"
    else:
        try:
            minor = minor_of(version)
            end = calendar.support_ends(minor, lts=lts)
            days = (end - now.date()).days
        except (UnknownRelease, ValueError) as error:
            unknown = str(error)
    windows: dict[str, tuple[datetime, datetime] | None] = {}
    errors: dict[str, str] = {}
    for config in cluster.maintenance_configurations or ():
        if config.name not in MANAGED_WINDOWS:
            continue
        try:
            windows[config.name] = _next(config, now)
        except UnknownSchedule as error:
            errors[config.name] = str(error)
    return ClusterHorizon(
        resource_id=cluster.id,
        name=cluster.name,
        minor=minor,
        support="long-term" if lts else "community",
        end_of_support=end,
        days_left=days,
        unknown=unknown,
        next_windows=windows,
        window_errors=errors,
    )


@lru_cache(maxsize=4096)  # estates repeat a handful of schedules across thousands of clusters
def _next(config: MaintenanceConfiguration, now: datetime) -> tuple[datetime, datetime] | None:
    return next_window(config, now)
