"""AKS resources: managed clusters, node pools, maintenance configurations, the regional version catalog."""

from __future__ import annotations

from pydantic import Field

from auditor.inventory.base import Model, TrackedResource

#: Names AKS gives its maintenance configurations (anything else is kept as-is).
MAINTENANCE_DEFAULT = "default"
MAINTENANCE_AUTO_UPGRADE = "aksManagedAutoUpgradeSchedule"
MAINTENANCE_NODE_OS = "aksManagedNodeOSUpgradeSchedule"


class DateSpan(Model):
    start: str
    end: str


class TimeInWeek(Model):
    """Legacy ``default`` configuration slot: a weekday and the UTC hours (0-23) allowed on it."""

    day: str | None = None
    hour_slots: tuple[int, ...] = ()


class MaintenanceConfiguration(Model):
    """One maintenance configuration, flattened from ``properties.maintenanceWindow`` (or the legacy shape).

    ``schedule_kind`` is daily | weekly | absoluteMonthly | relativeMonthly for a maintenance window, and
    ``timeInWeek`` for the legacy ``default`` configuration.
    """

    name: str
    id: str | None = None
    schedule_kind: str | None = None
    interval_days: int | None = None
    interval_weeks: int | None = None
    interval_months: int | None = None
    day_of_week: str | None = None
    day_of_month: int | None = None
    week_index: str | None = None
    duration_hours: int | None = None
    utc_offset: str | None = None
    start_time: str | None = None
    start_date: str | None = None
    not_allowed_dates: tuple[DateSpan, ...] = ()
    time_in_week: tuple[TimeInWeek, ...] = ()
    not_allowed_time: tuple[DateSpan, ...] = ()


class NodePool(Model):
    name: str
    mode: str | None = None
    os_type: str | None = None
    os_sku: str | None = Field(default=None, alias="osSKU")
    orchestrator_version: str | None = None
    current_orchestrator_version: str | None = None
    node_image_version: str | None = None
    latest_node_image_version: str | None = None
    count: int | None = None
    power_state: str | None = None
    provisioning_state: str | None = None


class AutoUpgradeProfile(Model):
    upgrade_channel: str | None = None
    node_os_upgrade_channel: str | None = Field(default=None, alias="nodeOSUpgradeChannel")


class ClusterUpgradeProfile(Model):
    """``managedClusters/upgradeProfiles/default``: versions the control plane may move to next."""

    kubernetes_version: str | None = None
    upgrades: tuple[str, ...] = ()


class FleetMembership(Model):
    fleet_id: str
    member_name: str
    group: str | None = None


class Cluster(TrackedResource):
    sku_tier: str | None = None
    support_plan: str | None = None
    kubernetes_version: str | None = None
    current_kubernetes_version: str | None = None
    provisioning_state: str | None = None
    power_state: str | None = None
    auto_upgrade_profile: AutoUpgradeProfile | None = None
    node_pools: tuple[NodePool, ...] = ()
    #: ``None`` = not collected (window policies error); ``()`` = collected, none exist.
    maintenance_configurations: tuple[MaintenanceConfiguration, ...] | None = None
    upgrade_profile: ClusterUpgradeProfile | None = None
    #: ``None`` = unknown (a fleet's members could not be read); ``()`` = in no fleet.
    fleet_memberships: tuple[FleetMembership, ...] | None = ()

    def pool_id(self, pool: NodePool) -> str:
        return f"{self.id}/agentPools/{pool.name}"


class CatalogMinor(Model):
    """One minor of ``ListKubernetesVersions``; ``patch_versions`` maps each patch to its upgrades."""

    version: str
    is_preview: bool = False
    is_default: bool = False
    support_plans: tuple[str, ...] = ()
    patch_versions: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class VersionCatalog(Model):
    location: str
    versions: tuple[CatalogMinor, ...] = ()
