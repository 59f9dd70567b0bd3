"""The remediation plan: what would change, step by step, and what needs a person.

A plan is data, written by ``scan --remediate`` and read back by ``remediate --plan``: every step names
the ARM resource it writes, the values before and after, the findings it fixes and the steps it waits
for. Nothing in this module talks to Azure.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from auditor.findings import Severity
from auditor.inventory.base import Model, normalize_id
from auditor.inventory.estate import Scope
from auditor.inventory.snapshot import load_document

PLAN_SCHEMA_VERSION = "1.0"
PLAN_FILE_NAME = "remediation-plan.json"


class Action(StrEnum):
    """What a step does; the first seven are the names built-in policies declare."""

    SET_AUTO_UPGRADE_CHANNEL = "set-auto-upgrade-channel"
    SET_NODE_OS_UPGRADE_CHANNEL = "set-node-os-upgrade-channel"
    ADD_MAINTENANCE_WINDOW = "add-maintenance-window"
    UPGRADE_NODE_IMAGE = "upgrade-node-image"
    SET_SKU_TIER = "set-sku-tier"
    UPGRADE_CONTROL_PLANE = "upgrade-control-plane"
    UPGRADE_NODE_POOL = "upgrade-node-pool"
    #: Create and start a Fleet update run with the fleet's strategy (members are upgraded by Fleet).
    START_FLEET_UPDATE_RUN = "start-fleet-update-run"


class Via(StrEnum):
    AKS = "aks"
    FLEET = "fleet"


class PlanOptions(Model):
    """The choices the plan was made with (recorded so a reviewer sees them)."""

    only: tuple[str, ...] = ()
    max_hops: int = Field(default=1, ge=1, le=10)
    allow_preview: bool = False
    allow_cost_changes: bool = False
    direct: bool = False
    stagger: bool = False


class Step(Model):
    """One write. ``from``/``to`` are the values before and after, keyed by ARM property name."""

    id: str
    cluster_id: str
    resource_id: str
    action: Action
    policy_ids: tuple[str, ...]
    from_: dict[str, Any] = Field(alias="from")
    to: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    via: Via = Via.AKS
    #: Why this step exists, in a sentence a reviewer reads.
    reason: str


class ManualItem(Model):
    """A failing finding no step fixes, with what a person should do and why it is not automatic."""

    policy_id: str
    resource_id: str
    fingerprint: str
    severity: Severity
    message: str
    why: str
    guidance: str | None = None
    #: Commands to look into it (``az`` / ``kubectl``), exact for this resource.
    commands: tuple[str, ...] = ()


class RemediationPlan(Model):
    kind: Literal["RemediationPlan"] = "RemediationPlan"
    schema_version: str = PLAN_SCHEMA_VERSION
    created_at: datetime
    #: The estate the plan was made from (``demo``, ``inventory:PATH``, ``live``).
    source: str
    scope: Scope = Field(default_factory=Scope)
    options: PlanOptions = Field(default_factory=PlanOptions)
    steps: tuple[Step, ...] = ()
    manual: tuple[ManualItem, ...] = ()

    @model_validator(mode="after")
    def _steps_form_a_graph(self) -> RemediationPlan:
        """Ids unique, every dependency an earlier step (so the file order is an order to apply in)."""
        seen: dict[str, Step] = {}
        for index, step in enumerate(self.steps):
            if step.id in seen:
                raise ValueError(f"steps.{index}.id: {step.id!r} is used by another step")
            missing = [dep for dep in step.depends_on if dep not in seen]
            if missing:
                raise ValueError(
                    f"steps.{index}.dependsOn: {', '.join(missing)} is not an earlier step of the plan"
                )
            elsewhere = [
                d
                for d in step.depends_on
                if normalize_id(seen[d].cluster_id) != normalize_id(step.cluster_id)
            ]
            if elsewhere:  # steps of one cluster run in order; across clusters nothing waits
                raise ValueError(f"steps.{index}.dependsOn: {elsewhere[0]} is a step of another cluster")
            seen[step.id] = step
        return self


def step_id(action: Action, resource_id: str, to: dict[str, Any]) -> str:
    """Stable: the same write of the same resource has the same id in every plan (a journal key)."""
    key = f"{action.value}|{normalize_id(resource_id)}|{json.dumps(to, sort_keys=True)}"
    return f"{action.value}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def load_plan(path: Path) -> RemediationPlan:
    """Read a plan file; anything wrong is one InputError line naming the file and the field (exit 2)."""
    return load_document(path, RemediationPlan, "RemediationPlan", PLAN_SCHEMA_VERSION)
