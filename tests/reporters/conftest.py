"""A realistic ScanResult built in code: two subscriptions, clusters with pools, a fleet with an update run,
Fleet hub objects with non-ARM ids, every status (waived included), an escalated severity, an
incomplete coverage and an estate collected a day before the scan. ``make_result(hostile=True)`` puts markup and control characters in untrusted fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from auditor.findings import (
    Escalation,
    Finding,
    PolicyRef,
    Remediation,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    Summary,
    ToolInfo,
    WaiverNote,
    fingerprint,
)
from auditor.inventory.base import normalize_id
from auditor.inventory.estate import Coverage, CoverageGap, Scope, SubscriptionRef

SUB_PROD = "11111111-1111-1111-1111-111111111111"
SUB_DEV = "22222222-2222-2222-2222-222222222222"
AKS = "providers/Microsoft.ContainerService/managedClusters"
PROD = f"/subscriptions/{SUB_PROD}/resourceGroups/RG-Prod/{AKS}/aks-prod-weu"
DEV = f"/subscriptions/{SUB_DEV}/resourceGroups/rg-dev/{AKS}/aks-dev"
FLEET = (
    f"/subscriptions/{SUB_PROD}/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-1"
)
UPDATE_RUN = f"{FLEET}/updateRuns/run-2024-06"
CRP = "my-hub/clusterresourceplacements/crp-1"
MEMBER = "my-hub/memberclusters/member-a"
HOSTILE = "<script>alert(1)</script>"
#: When the (saved) estate was collected: the scan judges it as of then, a day before the scan ran.
EVALUATED_AT = datetime(2024, 6, 2, 6, 30, 0, tzinfo=UTC)

POLICIES = (
    PolicyRef(
        id="AKS-001",
        name="supported-kubernetes-version",
        title="Kubernetes version is supported",
        severity=Severity.HIGH,
        resource=("cluster",),
        description="The control plane runs a Kubernetes minor that AKS still supports in its region.",
        rationale="Unsupported minors get no security patches.",
        help_uri="https://learn.microsoft.com/azure/aks/supported-kubernetes-versions",
        tags=("lifecycle", "upgrade"),
        parameters={"min_supported_minors": 3},
        source="policies/aks/AKS-001.yaml",
    ),
    PolicyRef(
        id="AKS-002",
        name="node-image-current",
        title="Node image is current",
        severity=Severity.MEDIUM,
        resource=("nodePool",),
        description="Node pools run the latest node image of their channel.",
        rationale="Node images carry OS security fixes.",
        tags=("patching",),
        source="policies/aks/AKS-002.yaml",
    ),
    PolicyRef(
        id="AKS-003",
        name="maintenance-window",
        title="Planned maintenance window configured",
        severity=Severity.LOW,
        resource=("cluster",),
        description="x" * 1500,
        rationale="Upgrades should land when someone is watching.",
        source="policies/aks/AKS-003.yaml",
    ),
    PolicyRef(
        id="AKS-004",
        name="sku-tier-standard",
        title="Production clusters use the Standard tier",
        severity=Severity.INFO,
        resource=("cluster",),
        description="Uptime SLA for production.",
        rationale="Free tier has no SLA.",
        help_uri="javascript:alert(2)",
        source="policies/aks/AKS-004.yaml",
    ),
    PolicyRef(
        id="FLT-001",
        name="update-run-healthy",
        title="Update runs complete",
        severity=Severity.HIGH,
        resource=("updateRun",),
        description="Fleet update runs are not stuck or failed.",
        rationale="A stuck run leaves clusters on mixed versions.",
        tags=("fleet", "upgrade"),
        source="policies/fleet/FLT-001.yaml",
    ),
    PolicyRef(
        id="FLT-002",
        name="placement-available",
        title="Placements are available on all members",
        severity=Severity.CRITICAL,
        resource=("placement",),
        description="ClusterResourcePlacements report Available on every selected cluster.",
        rationale="Security baselines are delivered by placements.",
        source="policies/fleet/FLT-002.yaml",
    ),
    PolicyRef(
        id="FLT-003",
        name="member-joined",
        title="Member clusters joined",
        severity=Severity.MEDIUM,
        resource=("memberCluster",),
        description="Member clusters have joined the hub.",
        rationale="An unjoined member receives no placements.",
        source="policies/fleet/FLT-003.yaml",
    ),
)
_BY_ID = {policy.id: policy for policy in POLICIES}
_SUB_NAMES = {SUB_PROD: "Contoso Prod", SUB_DEV: "Contoso Dev"}


def finding(
    policy_id: str,
    status: Status,
    resource_id: str,
    name: str,
    kind: str,
    message: str,
    *,
    severity: Severity | None = None,
    evidence: dict[str, Any] | None = None,
    remediation: Remediation | None = None,
    escalation: str | None = None,
    waiver: WaiverNote | None = None,
) -> Finding:
    """A finding; ``severity`` above the policy's makes it escalated (with ``escalation`` as the note)."""
    policy = _BY_ID[policy_id]
    escalated = severity is not None and severity.rank > policy.severity.rank
    sub = resource_id.split("/")[2] if resource_id.startswith("/subscriptions/") else None
    return Finding(
        policy_id=policy_id,
        title=policy.title,
        severity=severity or policy.severity,
        status=status,
        resource_kind=kind,
        resource_id=resource_id,
        resource_name=name,
        subscription_id=sub,
        subscription_name=_SUB_NAMES.get(sub or ""),
        location="westeurope" if sub else None,
        message=message,
        evidence=evidence or {},
        fingerprint=fingerprint(policy_id, normalize_id(resource_id)),
        remediation=remediation,
        escalation=Escalation(from_=policy.severity, note=escalation or "escalated") if escalated else None,
        waiver=waiver,
    )


def build_findings(hostile: bool = False) -> list[Finding]:
    dev_name = f"aks-dev{HOSTILE}" if hostile else "aks-dev"
    dev_message = (
        f"Kubernetes 1.27 is out of support | see {HOSTILE}\nsecond line"
        if hostile
        else ("Kubernetes 1.27 is out of support in westeurope. Upgrade to 1.29 or later.")
    )
    upgrade = Remediation(
        action="upgrade-control-plane",
        args={"to": "1.29.4"},
        guidance="Upgrade the control plane one minor at a time.",
    )
    return [
        finding("AKS-001", Status.PASS, PROD, "aks-prod-weu", "cluster", "Kubernetes 1.29.4 is supported."),
        finding(
            "AKS-001",
            Status.FAIL,
            DEV,
            dev_name,
            "cluster",
            dev_message,
            evidence={"version": "1.27.9", "supported": ["1.28", "1.29", "1.30"], "note": HOSTILE},
            remediation=upgrade,
        ),
        finding(
            "AKS-002",
            Status.FAIL,
            f"{PROD}/agentPools/system",
            "system",
            "nodePool",
            "Node image AKSUbuntu-2204gen2-202401.09.0 is 120 days behind the latest.",
            severity=Severity.CRITICAL,
            escalation="the image is more than 90 days old",
            evidence={"daysBehind": 120, "latest": "AKSUbuntu-2204gen2-202405.20.0"},
            remediation=Remediation(guidance="Run a node image upgrade on the pool."),
        ),
        finding(
            "AKS-002", Status.PASS, f"{PROD}/agentPools/user1", "user1", "nodePool", "Node image is current."
        ),
        finding(
            "AKS-002",
            Status.WAIVED,
            f"{DEV}/agentPools/np1",
            "np1",
            "nodePool",
            "Node image is 40 days behind the latest.",
            evidence={"daysBehind": 40},
            waiver=WaiverNote(reason="Dev pool, rebuilt weekly", expires=date(2025, 12, 31)),
        ),
        finding(
            "AKS-003",
            Status.FAIL,
            PROD,
            "aks-prod-weu",
            "cluster",
            "No planned maintenance window: auto-upgrades can start at any time.",
            evidence={"configurations": []},
        ),
        finding(
            "AKS-003",
            Status.ERROR,
            DEV,
            dev_name,
            "cluster",
            "Planned maintenance window configured: cannot judge: maintenance configurations not collected.",
        ),
        finding(
            "AKS-004", Status.SKIPPED, DEV, dev_name, "cluster", "Not a production cluster (tag env=dev)."
        ),
        finding(
            "AKS-004",
            Status.FAIL,
            PROD,
            "aks-prod-weu",
            "cluster",
            "Production cluster on the Free tier.",
            evidence={"skuTier": "Free"},
        ),
        finding(
            "FLT-001",
            Status.FAIL,
            UPDATE_RUN,
            "run-2024-06",
            "updateRun",
            "Update run run-2024-06 is Stopped after stage canary.",
            evidence={"state": "Stopped"},
        ),
        finding(
            "FLT-002",
            Status.FAIL,
            CRP,
            "my-hub/crp-1",
            "placement",
            "Placement crp-1 is not Available on member-b: ApplyFailed.",
            evidence={"failedPlacements": [{"kind": "ConfigMap", "name": "baseline"}]},
        ),
        finding("FLT-003", Status.PASS, MEMBER, "my-hub/member-a", "memberCluster", "member-a joined."),
        finding(
            "FLT-003",
            Status.ERROR,
            "my-hub-2",
            "my-hub-2",
            "memberCluster",
            "Member clusters joined: not evaluated: hub my-hub-2 could not be read: 403 Forbidden",
        ),
    ]


def build_result(
    hostile: bool = False, findings: list[Finding] | None = None, complete: bool = False
) -> ScanResult:
    items = tuple(build_findings(hostile) if findings is None else findings)
    gaps = (
        ()
        if complete
        else (
            CoverageGap(
                scope="hub", target="my-hub-2", operation="list memberclusters", reason="403 Forbidden"
            ),
            CoverageGap(
                scope="subscription",
                target="33333333-3333-3333-3333-333333333333",
                operation="resource graph query",
                reason="AuthorizationFailed: no read access",
            ),
        )
    )
    return ScanResult(
        tool=ToolInfo(version="0.1.0"),
        scan=ScanInfo(
            started_at=datetime(2024, 6, 3, 8, 0, 0, tzinfo=UTC),
            finished_at=datetime(2024, 6, 3, 8, 1, 30, tzinfo=UTC),
            evaluated_at=EVALUATED_AT,
            source="azure",
            scope=Scope(
                subscriptions=(
                    SubscriptionRef(id=SUB_PROD, name="Contoso Prod"),
                    SubscriptionRef(id=SUB_DEV, name=f"Contoso Dev{HOSTILE if hostile else ''}"),
                ),
                hub_contexts=("my-hub", "my-hub-2"),
            ),
            coverage=Coverage(
                read={"subscriptions": 2, "clusters": 2, "nodePools": 3, "fleets": 1, "hubs": 1}, gaps=gaps
            ),
            fail_on=Severity.HIGH,
        ),
        policies=POLICIES,
        findings=items,
        summary=Summary.of(items),
    )


@pytest.fixture
def result() -> ScanResult:
    return build_result()


@pytest.fixture
def make_result() -> Callable[..., ScanResult]:
    return build_result
