"""The exact commands a person runs to look into a finding the plan cannot fix."""

from __future__ import annotations

import shlex

from auditor.findings import Finding
from auditor.inventory.base import arm_segment


def investigate(finding: Finding) -> tuple[str, ...]:
    """Commands for the resource a finding is about: ``az`` for ARM resources, ``kubectl`` on the hub
    (after ``az fleet get-credentials``) for Fleet hub objects."""
    rid = finding.resource_id
    group = arm_segment(rid, "resourceGroups")
    fleet = arm_segment(rid, "fleets")
    cluster = arm_segment(rid, "managedClusters")
    quote = shlex.quote
    if fleet and group:
        where = f"-g {quote(group)} --fleet-name {quote(fleet)}"
        if run := arm_segment(rid, "updateRuns"):
            return (f"az fleet updaterun show {where} -n {quote(run)}",)
        for plural, kind in (("memberclusters", "membercluster"), ("clusterresourceplacements", "crp")):
            if name := arm_segment(rid, plural):  # get-credentials makes the hub the current context
                credentials = f"az fleet get-credentials -g {quote(group)} -n {quote(fleet)}"
                return (credentials, f"kubectl describe {kind} {quote(name)}")
        return (f"az fleet updaterun list {where} -o table", f"az fleet member list {where} -o table")
    if cluster and group:
        where = f"-g {quote(group)} --cluster-name {quote(cluster)}"
        if pool := arm_segment(rid, "agentPools"):
            return (f"az aks nodepool get-upgrades {where} --nodepool-name {quote(pool)}",)
        if finding.policy_id in {"AKS-010", "AKS-011", "AKS-012"}:
            return (f"az aks maintenanceconfiguration list {where} -o table",)
        return (f"az aks get-upgrades -g {quote(group)} -n {quote(cluster)} -o table",)
    return ()
