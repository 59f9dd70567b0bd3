"""From a scan's failing findings to a remediation plan: steps that fix them, and manual work for the rest.

Planning reads only the estate and the result (no API): ``scan --demo --remediate`` plans the demo.
Every failing finding in scope ends up covered by a step or listed as manual with the reason; waived,
erroring and skipped findings are never planned (an error is something we could not judge, not a fix
to make).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.errors import ConfigError
from auditor.findings import CalendarInfo, Finding, ScanResult, Status
from auditor.inventory import Estate
from auditor.inventory.aks import Cluster, NodePool
from auditor.inventory.base import normalize_id
from auditor.inventory.fleet import Fleet
from auditor.kube_versions import minor_of, parse_version
from auditor.remediation.manual import investigate
from auditor.remediation.plan import (
    Action,
    ManualItem,
    PlanOptions,
    RemediationPlan,
    Step,
    Via,
    step_id,
)
from auditor.remediation.versions import (
    CONTROL_PLANE,
    LTS,
    Catalog,
    Hop,
    max_pool_skew,
    minor_key,
    next_minor,
    plan_versions,
)

#: Policies whose fix is a Kubernetes version change of the control plane or a pool.
VERSION_POLICIES = frozenset({"AKS-001", "AKS-002", "AKS-003", "AKS-004", "AKS-013", "AKS-014"})
#: Policies a control-plane minor hop answers: unsupported now (AKS-001), or leaving support within the
#: horizon (AKS-013) with nothing automatic to move it (AKS-014).
HOP_POLICIES = ("AKS-001", "AKS-013", "AKS-014")
#: Of those, the ones judged against the release calendar's horizon.
HORIZON_POLICIES = frozenset({"AKS-013", "AKS-014"})
#: Policies whose fix is a node image upgrade (a version upgrade of the pool fixes them too).
IMAGE_POLICIES = frozenset({"AKS-008", "AKS-009"})
_CHANNELS = {
    Action.SET_AUTO_UPGRADE_CHANNEL: "upgradeChannel",
    Action.SET_NODE_OS_UPGRADE_CHANNEL: "nodeOSUpgradeChannel",
}
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check_only(only: Iterable[str], known: set[str]) -> None:
    """``--only`` must name policies that run in this scan (a typo would plan nothing, silently)."""
    unknown = [policy_id for policy_id in only if policy_id not in known]
    if unknown:
        raise ConfigError(
            f"--only {unknown[0]}: no such policy in this scan (known: {', '.join(sorted(known))})"
        )


def build_plan(
    estate: Estate, result: ScanResult, options: PlanOptions, created_at: datetime
) -> RemediationPlan:
    planner = _Planner(estate, options, result.scan.calendar, result.scan.evaluated_at or created_at)
    wanted = set(options.only)
    failing = [
        f for f in result.findings if f.status is Status.FAIL and (not wanted or f.policy_id in wanted)
    ]
    for finding in failing:
        planner.assign(finding)
    planner.plan()
    return RemediationPlan(
        created_at=created_at,
        source=estate.source,
        scope=estate.scope,
        options=options,
        steps=tuple(planner.steps),
        manual=tuple(planner.manual),
    )


@dataclass
class _ClusterWork:
    cluster: Cluster
    findings: list[Finding] = field(default_factory=list)

    def failing(self, policy_id: str, resource_id: str | None = None) -> list[Finding]:
        wanted = normalize_id(resource_id) if resource_id else None
        return [
            f
            for f in self.findings
            if f.policy_id == policy_id and (wanted is None or normalize_id(f.resource_id) == wanted)
        ]


class _Planner:
    def __init__(
        self, estate: Estate, options: PlanOptions, calendar: CalendarInfo | None, judged_at: datetime
    ) -> None:
        self.estate = estate
        self.options = options
        self.calendar = calendar
        self.judged_at = judged_at
        self.clusters = {normalize_id(c.id): c for c in estate.clusters}
        self.pool_owner = {
            normalize_id(c.pool_id(p)): normalize_id(c.id) for c in estate.clusters for p in c.node_pools
        }
        self.work: dict[str, _ClusterWork] = {}
        self.fleets = {normalize_id(f.id): f for f in estate.fleets}
        #: Fleets that upgrade their members themselves: an update strategy or an enabled profile.
        self.orchestrating = {
            key: fleet
            for key, fleet in self.fleets.items()
            if fleet.update_strategies or any(not p.disabled for p in fleet.auto_upgrade_profiles or ())
        }
        self.steps: list[Step] = []
        self._image_steps: dict[str, int] = {}  # normalized pool id -> index of its node image step
        self.manual: list[ManualItem] = []
        self._slots: dict[tuple[str, str], int] = defaultdict(int)

    # --- sorting findings ---------------------------------------------------------------------------

    def assign(self, finding: Finding) -> None:
        key = normalize_id(finding.resource_id)
        owner = key if key in self.clusters else self.pool_owner.get(key)
        if owner is None:
            why = f"no automatic fix for {finding.resource_kind} findings"
            self.add_manual(finding, why)
            return
        self.work.setdefault(owner, _ClusterWork(self.clusters[owner])).findings.append(finding)

    def add_manual(self, finding: Finding, why: str) -> None:
        self.manual.append(
            ManualItem(
                policy_id=finding.policy_id,
                resource_id=finding.resource_id,
                fingerprint=finding.fingerprint,
                severity=finding.severity,
                message=finding.message,
                why=why,
                guidance=finding.remediation.guidance if finding.remediation else None,
                commands=investigate(finding),
            )
        )

    def add_step(
        self,
        cluster: Cluster,
        resource_id: str,
        action: Action,
        findings: Iterable[Finding],
        before: dict[str, Any],
        after: dict[str, Any],
        reason: str,
        depends_on: Iterable[str] = (),
        via: Via = Via.AKS,
    ) -> Step:
        step = Step(
            id=step_id(action, resource_id, after),
            cluster_id=cluster.id,
            resource_id=resource_id,
            action=action,
            policy_ids=tuple(sorted({f.policy_id for f in findings})),
            from_=before,
            to=after,
            depends_on=tuple(dict.fromkeys(depends_on)),
            via=via,
            reason=reason,
        )
        self.steps.append(step)
        return step

    # --- planning -------------------------------------------------------------------------------------

    def plan(self) -> None:
        by_fleet: dict[str, list[_ClusterWork]] = defaultdict(list)
        for key in sorted(self.work):
            work = self.work[key]
            fleet = None if self.options.direct else self.orchestrating_fleet(work.cluster)
            upgrades = [f for f in work.findings if f.policy_id in VERSION_POLICIES | IMAGE_POLICIES]
            if fleet is not None and upgrades:
                by_fleet[normalize_id(fleet.id)].append(work)
            else:
                self.plan_versions_and_images(work)
            self.plan_settings(work, fleet)
        for key in sorted(by_fleet):
            self.plan_fleet_run(self.fleets[key], by_fleet[key])

    def orchestrating_fleet(self, cluster: Cluster) -> Fleet | None:
        """The fleet that upgrades this cluster itself: an update strategy or an enabled auto-upgrade
        profile. Upgrading such a member directly would race the fleet's own orchestration."""
        for membership in cluster.fleet_memberships or ():
            fleet = self.orchestrating.get(normalize_id(membership.fleet_id))
            if fleet is not None:
                return fleet
        return None

    def plan_settings(self, work: _ClusterWork, fleet: Fleet | None) -> None:
        """Everything that is not a version or image change: channels, windows, tier, the rest manual."""
        cluster = work.cluster
        for finding in work.findings:
            if finding.policy_id in VERSION_POLICIES | IMAGE_POLICIES:
                continue
            action = finding.remediation.action if finding.remediation else None
            if action in {a.value for a in _CHANNELS}:
                self.plan_channel(cluster, finding, Action(action), fleet)
            elif action == Action.ADD_MAINTENANCE_WINDOW.value:
                self.plan_window(cluster, finding)
            elif action == Action.SET_SKU_TIER.value:
                self.plan_tier(cluster, finding)
            else:
                self.add_manual(finding, "no automatic fix for this policy")

    def plan_channel(self, cluster: Cluster, finding: Finding, action: Action, fleet: Fleet | None) -> None:
        assert finding.remediation is not None
        channel = finding.remediation.args.get("channel")
        prop = _CHANNELS[action]
        if not isinstance(channel, str) or not channel:
            self.add_manual(finding, f"the policy's remediation names no channel for {prop}")
            return
        profiles = [p for p in fleet.auto_upgrade_profiles or () if not p.disabled] if fleet else []
        if action is Action.SET_AUTO_UPGRADE_CHANNEL and fleet is not None and profiles:
            self.add_manual(
                finding,
                f"fleet {fleet.name} upgrades this member through an auto-upgrade profile; a cluster "
                "channel would race it (--direct to set it anyway)",
            )
            return
        profile = cluster.auto_upgrade_profile
        current = (
            None
            if profile is None
            else profile.upgrade_channel
            if action is Action.SET_AUTO_UPGRADE_CHANNEL
            else profile.node_os_upgrade_channel
        )
        self.add_step(
            cluster,
            cluster.id,
            action,
            [finding],
            {prop: current},
            {prop: channel},
            f"set {prop} of {cluster.name}: {current} -> {channel}",
        )

    def plan_window(self, cluster: Cluster, finding: Finding) -> None:
        assert finding.remediation is not None
        args = finding.remediation.args
        name = args.get("name")
        if not isinstance(name, str):
            self.add_manual(finding, "the policy's remediation names no maintenance configuration")
            return
        existing = {c.name for c in cluster.maintenance_configurations or ()}
        if cluster.maintenance_configurations is None:
            self.add_manual(finding, "the cluster's maintenance configurations were not collected")
            return
        if name in existing:
            self.add_manual(finding, f"{name} exists already; it is changed by hand, never overwritten")
            return
        try:
            window = _weekly_window(args)
        except ValueError as error:
            self.add_manual(finding, f"the policy's remediation args: {error}")
            return
        if self.options.stagger:
            slot = self._slots[(cluster.subscription_id.lower(), name)]
            self._slots[(cluster.subscription_id.lower(), name)] += 1
            window = _staggered(window, slot)
        schedule = window["schedule"]["weekly"]
        self.add_step(
            cluster,
            f"{cluster.id}/maintenanceConfigurations/{name}",
            Action.ADD_MAINTENANCE_WINDOW,
            [finding],
            {},
            {"maintenanceWindow": window},
            f"create {name} on {cluster.name}: {schedule['dayOfWeek']} {window['startTime']} UTC for "
            f"{window['durationHours']} h",
        )

    def plan_tier(self, cluster: Cluster, finding: Finding) -> None:
        assert finding.remediation is not None
        tier = finding.remediation.args.get("tier")
        if not self.options.allow_cost_changes:
            self.add_manual(finding, "a higher tier costs money: plan it with --allow-cost-changes")
            return
        if not isinstance(tier, str):
            self.add_manual(finding, "the policy's remediation names no tier")
            return
        self.add_step(
            cluster,
            cluster.id,
            Action.SET_SKU_TIER,
            [finding],
            {"sku": {"tier": cluster.sku_tier}},
            {"sku": {"tier": tier}},
            f"move {cluster.name} from the {cluster.sku_tier} to the {tier} tier (billed)",
        )

    # --- versions and images, directly --------------------------------------------------------------

    def plan_versions_and_images(self, work: _ClusterWork) -> None:
        cluster = work.cluster
        version_findings = [f for f in work.findings if f.policy_id in VERSION_POLICIES]
        image_findings = [f for f in work.findings if f.policy_id in IMAGE_POLICIES]
        raised: set[str] = set()
        if version_findings:
            raised = self.plan_cluster_versions(work, version_findings, image_findings)
        for finding in image_findings:
            pool = _pool_of(cluster, finding.resource_id)
            if pool is None or pool.name in raised:
                continue  # a version upgrade of the pool brings the latest node image too
            self.plan_node_image(cluster, pool, finding)

    def plan_node_image(self, cluster: Cluster, pool: NodePool, finding: Finding) -> None:
        index = self._image_steps.get(normalize_id(cluster.pool_id(pool)))
        if index is not None:  # AKS-008 and AKS-009 on one pool: one upgrade fixes both
            step = self.steps[index]
            merged = tuple(sorted({*step.policy_ids, finding.policy_id}))
            self.steps[index] = step.model_copy(update={"policy_ids": merged})
            return
        self._image_steps[normalize_id(cluster.pool_id(pool))] = len(self.steps)
        self.add_step(
            cluster,
            cluster.pool_id(pool),
            Action.UPGRADE_NODE_IMAGE,
            [finding],
            {"nodeImageVersion": pool.node_image_version},
            {"nodeImageVersion": pool.latest_node_image_version or "latest"},
            f"upgrade the node image of {cluster.name}/{pool.name}",
        )

    def plan_cluster_versions(
        self, work: _ClusterWork, findings: list[Finding], image_findings: list[Finding]
    ) -> set[str]:
        """Version steps for one cluster; returns the pools that get a version upgrade."""
        cluster = work.cluster
        blocked = _version_blocker(cluster, self.estate)
        if blocked:
            for finding in findings:
                self.add_manual(finding, blocked)
            return set()
        catalog_model = self.estate.catalog_for(cluster.location)
        assert catalog_model is not None  # _version_blocker checked it
        running = _running(cluster)
        pools = {p.name: _pool_version(p) or "" for p in cluster.node_pools}
        lts = cluster.support_plan == LTS and (cluster.sku_tier or "").lower() == "premium"
        catalog = Catalog(catalog_model, lts=lts, allow_preview=self.options.allow_preview)
        raise_pools = {p.name for p in cluster.node_pools if work.failing("AKS-002", cluster.pool_id(p))}
        if work.failing("AKS-003"):
            skew = max_pool_skew(running)
            raise_pools |= {
                name
                for name, version in pools.items()
                if minor_key(version)[0] == minor_key(running)[0]
                and minor_key(running)[1] - minor_key(version)[1] > skew
            }
        path = plan_versions(
            running,
            pools,
            catalog,
            hop_control_plane=any(work.failing(policy) for policy in HOP_POLICIES),
            fix_patch=bool(work.failing("AKS-004")),
            raise_pools=frozenset(raise_pools),
            max_hops=self.options.max_hops,
        )
        self.add_version_steps(cluster, path.hops, findings, image_findings)
        moved = {hop.resource for hop in path.hops}
        for finding in findings:
            resource = _hop_resource(cluster, finding)
            reasons = [
                why for who, why in path.stopped if resource is None or who in (resource, CONTROL_PLANE)
            ]
            fixed = bool(moved) if resource is None else resource in moved
            short = self._still_ending(finding, path.hops, lts) if fixed else None
            if short:
                self.add_manual(finding, f"after the planned steps, {short}")
            elif reasons:
                prefix = "after the planned steps, " if fixed else ""
                self.add_manual(finding, prefix + "; ".join(dict.fromkeys(reasons)))
            elif not fixed:
                self.add_manual(finding, "no version change applies to it")
        return {hop.resource for hop in path.hops if hop.resource != CONTROL_PLANE}

    def _still_ending(self, finding: Finding, hops: list[Hop], lts: bool) -> str | None:
        """For a horizon finding (AKS-013/014): why the planned plane minor still leaves support within
        the finding's warning horizon, else None."""
        warn = finding.evidence.get("warnDays")
        planes = [hop.to_version for hop in hops if hop.resource == CONTROL_PLANE]
        if finding.policy_id not in HORIZON_POLICIES or not isinstance(warn, int) or not planes:
            return None
        minor = minor_of(planes[-1])
        known = self.calendar.minors.get(minor) if self.calendar else None
        end = (known.end_of_lts if lts else known.end_of_support) if known else None
        if end is None:
            return f"the release calendar has no end of support for {minor}: judge it again then"
        left = (end - self.judged_at.date()).days
        if left > warn:
            return None
        return (
            f"{minor} still leaves support within {warn} days ({end}): plan again once these steps are done, "
            "or raise --max-hops"
        )

    def add_version_steps(
        self, cluster: Cluster, hops: list[Hop], findings: list[Finding], image_findings: list[Finding]
    ) -> None:
        last: dict[str, str] = {}
        last_plane: str | None = None
        for hop in hops:
            if hop.resource == CONTROL_PLANE:
                fixes = [f for f in findings if _hop_resource(cluster, f) in (CONTROL_PLANE, None)]
                depends = [*([last_plane] if last_plane else []), *last.values()]
                same_minor = minor_key(hop.from_version) == minor_key(hop.to_version)
                step = self.add_step(
                    cluster,
                    cluster.id,
                    Action.UPGRADE_CONTROL_PLANE,
                    fixes,
                    {"kubernetesVersion": hop.from_version},
                    {"kubernetesVersion": hop.to_version},
                    f"{'patch' if same_minor else 'upgrade'} the control plane of {cluster.name}: "
                    f"{hop.from_version} -> {hop.to_version}"
                    + ("" if same_minor else f" (next minor: {next_minor(hop.from_version)})"),
                    depends,
                )
                last_plane = step.id
            else:
                pool_id = f"{cluster.id}/agentPools/{hop.resource}"
                fixes = [
                    f
                    for f in [*findings, *image_findings]
                    if normalize_id(f.resource_id) == normalize_id(pool_id) or f.policy_id == "AKS-003"
                ]
                depends = [
                    *([last[hop.resource]] if hop.resource in last else []),
                    *([last_plane] if last_plane else []),
                ]
                step = self.add_step(
                    cluster,
                    pool_id,
                    Action.UPGRADE_NODE_POOL,
                    fixes,
                    {"orchestratorVersion": hop.from_version},
                    {"orchestratorVersion": hop.to_version},
                    f"upgrade node pool {cluster.name}/{hop.resource}: "
                    f"{hop.from_version} -> {hop.to_version}",
                    depends,
                )
                last[hop.resource] = step.id

    # --- versions and images, through a fleet ---------------------------------------------------------

    def plan_fleet_run(self, fleet: Fleet, works: list[_ClusterWork]) -> None:
        findings = [f for w in works for f in w.findings if f.policy_id in VERSION_POLICIES | IMAGE_POLICIES]
        why = self._fleet_blocker(fleet)
        members = (
            [self.clusters[normalize_id(m.cluster_resource_id or "")] for m in fleet.members or ()]
            if not why
            else []
        )
        if not why:
            why = next((b for c in members if (b := _version_blocker(c, self.estate))), None)
        if why:
            for finding in findings:
                self.add_manual(finding, f"fleet {fleet.name} orchestrates this member's upgrades, but {why}")
            return
        versions = {c.id: _running(c) for c in members}
        minors = sorted({minor_key(v) for v in versions.values()})
        wants_version = any(f.policy_id in VERSION_POLICIES for f in findings)
        after: dict[str, Any] = {"nodeImageSelection": "Latest"}
        if wants_version:
            if minors[-1][1] - minors[0][1] > 1 or minors[0][0] != minors[-1][0]:
                shown = ", ".join(sorted(set(versions.values())))
                for finding in findings:
                    self.add_manual(
                        finding,
                        f"fleet {fleet.name}'s members run {shown}: one update run would skip a minor "
                        "for some (upgrade the lagging members first, with --direct)",
                    )
                return
            hop = any(f.policy_id in HOP_POLICIES for f in findings)
            major, minor = minors[-1] if not hop or len(minors) > 1 else (minors[0][0], minors[0][1] + 1)
            target = _common_latest_patch(
                self.estate, members, f"{major}.{minor}", self.options.allow_preview
            )
            if target is None:
                for finding in findings:
                    self.add_manual(
                        finding,
                        f"no patch of {major}.{minor} is offered in the regions of every member of "
                        f"fleet {fleet.name}",
                    )
                return
            after = {"upgradeType": "Full", "kubernetesVersion": target, **after}
        else:
            after = {"upgradeType": "NodeImageOnly", **after}
        strategy = _strategy_of(fleet)
        if strategy:
            after["updateStrategyId"] = strategy
        name = f"aks-auditor-{step_id(Action.START_FLEET_UPDATE_RUN, fleet.id, after)[-12:]}"
        self.steps.append(
            Step(
                id=step_id(Action.START_FLEET_UPDATE_RUN, fleet.id, after),
                cluster_id=fleet.id,
                resource_id=f"{fleet.id}/updateRuns/{name}",
                action=Action.START_FLEET_UPDATE_RUN,
                policy_ids=tuple(sorted({f.policy_id for f in findings})),
                from_={"members": versions},
                to=after,
                via=Via.FLEET,
                reason=(
                    f"create and start update run {name} on fleet {fleet.name}: "
                    + (
                        f"members to {after['kubernetesVersion']}"
                        if "kubernetesVersion" in after
                        else "latest node images"
                    )
                    + (
                        f" with strategy {strategy.rsplit('/', 1)[-1]}"
                        if strategy
                        else ", all members at once"
                    )
                ),
            )
        )

    def _fleet_blocker(self, fleet: Fleet) -> str | None:
        if fleet.members is None:
            return "its members were not collected"
        outside = [
            m.name for m in fleet.members if normalize_id(m.cluster_resource_id or "") not in self.clusters
        ]
        if outside:
            shown = ", ".join(sorted(outside))
            return f"member(s) {shown} are outside the scan's scope (a run would touch them)"
        active = [
            r.name for r in fleet.update_runs or () if (r.state or "").lower() in {"running", "notstarted"}
        ]
        if active:
            return f"update run(s) {', '.join(active)} are not finished"
        return None


def _weekly_window(args: dict[str, Any]) -> dict[str, Any]:
    """The ARM ``maintenanceWindow`` of a policy's weekly window args."""
    if args.get("schedule", "weekly") != "weekly":
        raise ValueError(f"schedule {args.get('schedule')!r}: only weekly windows are planned")
    day = args.get("dayOfWeek")
    start = args.get("startTime")
    hours = args.get("durationHours")
    if day not in _DAYS:
        raise ValueError(f"dayOfWeek {day!r}: expected one of {', '.join(_DAYS)}")
    if (
        not isinstance(start, str)
        or len(start) != 5
        or start[2] != ":"
        or not (start[:2] + start[3:]).isdigit()
    ):
        raise ValueError(f"startTime {start!r}: expected HH:MM")
    if not isinstance(hours, int) or not 4 <= hours <= 24:
        raise ValueError(f"durationHours {hours!r}: expected 4 to 24")
    return {
        "schedule": {"weekly": {"intervalWeeks": 1, "dayOfWeek": day}},
        "durationHours": hours,
        "utcOffset": "+00:00",
        "startTime": start,
    }


def _staggered(window: dict[str, Any], slot: int) -> dict[str, Any]:
    """Slot ``n`` of a subscription starts ``n`` windows later (wrapping over the week)."""
    hours = window["durationHours"]
    day = _DAYS.index(window["schedule"]["weekly"]["dayOfWeek"])
    start = int(window["startTime"][:2]) * 60 + int(window["startTime"][3:])
    minutes = (day * 24 * 60 + start + slot * hours * 60) % (7 * 24 * 60)
    return {
        **window,
        "schedule": {"weekly": {"intervalWeeks": 1, "dayOfWeek": _DAYS[minutes // (24 * 60)]}},
        "startTime": f"{minutes % (24 * 60) // 60:02d}:{minutes % 60:02d}",
    }


def _running(cluster: Cluster) -> str:
    return cluster.current_kubernetes_version or cluster.kubernetes_version or ""


def _pool_version(pool: NodePool) -> str | None:
    return pool.current_orchestrator_version or pool.orchestrator_version


def _pool_of(cluster: Cluster, resource_id: str) -> NodePool | None:
    wanted = normalize_id(resource_id)
    return next((p for p in cluster.node_pools if normalize_id(cluster.pool_id(p)) == wanted), None)


def _hop_resource(cluster: Cluster, finding: Finding) -> str | None:
    """CONTROL_PLANE for a cluster finding of a plane policy, the pool name for a pool finding, None for
    AKS-003 (it is about the cluster and its pools together)."""
    if finding.policy_id == "AKS-003":
        return None
    pool = _pool_of(cluster, finding.resource_id)
    return CONTROL_PLANE if pool is None else pool.name


def _version_blocker(cluster: Cluster, estate: Estate) -> str | None:
    """Why no version of this cluster can be planned now, or None."""
    running = _running(cluster)
    if not running:
        return "its Kubernetes version is not known"
    if (
        cluster.kubernetes_version
        and cluster.current_kubernetes_version
        and cluster.kubernetes_version != cluster.current_kubernetes_version
    ):
        return (
            f"an upgrade to {cluster.kubernetes_version} is already requested (running "
            f"{cluster.current_kubernetes_version}); let it finish or fix it by hand first"
        )
    if (cluster.provisioning_state or "Succeeded") != "Succeeded":
        return f"the cluster is {cluster.provisioning_state}, not Succeeded"
    if estate.catalog_for(cluster.location) is None:
        return f"no version catalog was collected for {cluster.location}"
    if any(_pool_version(p) is None for p in cluster.node_pools):
        return "a node pool reports no Kubernetes version"
    if any(minor_key(_pool_version(p) or "0.0")[0] != minor_key(running)[0] for p in cluster.node_pools):
        return "a node pool runs another major version than the control plane"
    return None


def _common_latest_patch(
    estate: Estate, members: list[Cluster], minor: str, allow_preview: bool
) -> str | None:
    """The highest patch of ``minor`` every member's region offers to it."""
    common: set[str] | None = None
    for cluster in members:
        catalog_model = estate.catalog_for(cluster.location)
        if catalog_model is None:
            return None
        lts = cluster.support_plan == LTS and (cluster.sku_tier or "").lower() == "premium"
        catalog = Catalog(catalog_model, lts=lts, allow_preview=allow_preview)
        entry = catalog.minor(minor)
        if entry is None or not catalog.allowed(minor):
            return None
        patches = {p for p in entry.patch_versions if parse_version(p)[2] is not None}
        common = patches if common is None else common & patches
    if not common:
        return None
    return max(common, key=lambda version: parse_version(version)[2] or 0)  # one minor: by patch


def _strategy_of(fleet: Fleet) -> str | None:
    """The strategy a run uses: the enabled auto-upgrade profile's, else the fleet's first by name."""
    for profile in fleet.auto_upgrade_profiles or ():
        if not profile.disabled and profile.update_strategy_id:
            return profile.update_strategy_id
    strategies = sorted(fleet.update_strategies or (), key=lambda s: s.name)
    return strategies[0].id if strategies else None
