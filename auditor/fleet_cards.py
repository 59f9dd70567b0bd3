"""Each fleet as a security team reads it: its members (joined, healthy, heartbeat age — from its hub
when the hub was read), the placements per member cluster (scheduled / applied / available) and its
update runs. Kept in the result (schema 2.3); ``None`` marks what was not read, never "fine"."""

from __future__ import annotations

from datetime import datetime

from auditor.inventory import Estate
from auditor.inventory.base import Model, normalize_id
from auditor.inventory.fleet import Fleet
from auditor.inventory.hub import Condition, Hub, MemberCluster, Placement
from auditor.timeutil import as_utc

PLACEMENT_STEPS = ("Scheduled", "Applied", "Available")


class MemberCard(Model):
    name: str
    cluster: str | None = None
    group: str | None = None
    #: From the hub's MemberCluster; None when the hub was not read or has no such member.
    joined: bool | None = None
    healthy: bool | None = None
    heartbeat_age_minutes: int | None = None


class PlacementRow(Model):
    placement: str
    cluster: str | None
    #: Condition type -> its status (True / False / Unknown); absent when not reported.
    steps: dict[str, str]


class RunCard(Model):
    name: str
    state: str | None = None
    upgrade_type: str | None = None
    target: str | None = None
    started: str | None = None
    completed: str | None = None


class FleetCard(Model):
    resource_id: str
    name: str
    hub: str | None = None
    hub_error: str | None = None
    members: tuple[MemberCard, ...] | None = None
    placements: tuple[PlacementRow, ...] | None = None
    update_runs: tuple[RunCard, ...] | None = None


def _true(conditions: tuple[Condition, ...], kind: str, generation: int | None = None) -> bool:
    return any(
        c.type == kind and c.status == "True" and (generation is None or c.observed_generation == generation)
        for c in conditions
    )


def _member(
    name: str, cluster: str | None, group: str | None, hub: MemberCluster | None, now: datetime
) -> MemberCard:
    if hub is None:
        return MemberCard(name=name, cluster=cluster, group=group)
    agents = [a for a in hub.agent_status if a.type == "MemberAgent"]
    beats = []
    for agent in agents:
        try:
            beats.append(as_utc(datetime.fromisoformat(agent.last_received_heartbeat or "")))
        except ValueError:
            continue
    return MemberCard(
        name=name,
        cluster=cluster,
        group=group,
        joined=_true(hub.conditions, "Joined", hub.generation)
        and any(_true(a.conditions, "Joined") for a in agents),
        healthy=any(_true(a.conditions, "Healthy") for a in agents),
        heartbeat_age_minutes=int((now - max(beats)).total_seconds() // 60) if beats else None,
    )


def _placements(placements: tuple[Placement, ...]) -> tuple[PlacementRow, ...]:
    rows = []
    for placement in placements:
        for status in placement.placement_statuses:
            steps = {
                c.type: c.status
                for c in status.conditions
                if any(c.type.endswith(step) for step in PLACEMENT_STEPS)
            }
            named = {
                step: next((v for k, v in steps.items() if k.endswith(step)), "") for step in PLACEMENT_STEPS
            }
            rows.append(
                PlacementRow(
                    placement=placement.name,
                    cluster=status.cluster_name,
                    steps={k: v for k, v in named.items() if v},
                )
            )
    return tuple(rows)


def fleet_card(fleet: Fleet, hub: Hub | None, now: datetime) -> FleetCard:
    on_hub = {m.name: m for m in (hub.member_clusters or ())} if hub else {}
    members = (
        None
        if fleet.members is None
        else tuple(
            _member(
                m.name,
                (m.cluster_resource_id or "").rstrip("/").rsplit("/", 1)[-1] or None,
                m.group,
                on_hub.get(m.name),
                now,
            )
            for m in fleet.members
        )
    )
    runs = (
        None
        if fleet.update_runs is None
        else tuple(
            RunCard(
                name=r.name,
                state=r.state,
                upgrade_type=r.upgrade_type,
                target=r.target_kubernetes_version,
                started=r.start_time,
                completed=r.completed_time,
            )
            for r in fleet.update_runs
        )
    )
    return FleetCard(
        resource_id=fleet.id,
        name=fleet.name,
        hub=hub.name if hub else None,
        hub_error=hub.error if hub else None,
        members=members,
        placements=_placements(hub.placements) if hub and hub.placements is not None else None,
        update_runs=runs,
    )


def fleet_cards(estate: Estate, now: datetime) -> tuple[FleetCard, ...]:
    hubs = {normalize_id(h.fleet_id): h for h in estate.hubs if h.fleet_id}
    return tuple(fleet_card(f, hubs.get(normalize_id(f.id)), now) for f in estate.fleets)
