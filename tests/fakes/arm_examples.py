"""The official x-ms-examples (tests/data/contracts/azure) and Resource Graph rows built from them."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from tests.conftest import CONTRACTS

AZURE = CONTRACTS / "azure"
AKS = "containerservice/2026-08-01"
AKS_LEGACY = "containerservice/2025-09-01"
FLEET = "containerservicefleet/2026-06-01"


@cache
def _load(relative: str) -> str:
    return (AZURE / relative).read_text(encoding="utf-8")


def example(relative: str) -> dict[str, Any]:
    """A whole example file (``parameters`` and ``responses``), parsed fresh each call."""
    document: dict[str, Any] = json.loads(_load(relative))
    return document


def body(relative: str, status: str = "200") -> Any:
    return example(relative)["responses"][status]["body"]


def _segment(resource_id: str, key: str) -> str:
    parts = resource_id.strip("/").split("/")
    return next(parts[i + 1] for i in range(len(parts) - 1) if parts[i].lower() == key.lower())


def graph_row(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource as Resource Graph projects it: ``type`` lower-cased, plus subscriptionId/resourceGroup."""
    row = copy.deepcopy(resource)
    row["type"] = str(resource.get("type", "")).lower()
    row["subscriptionId"] = _segment(resource["id"], "subscriptions")
    row["resourceGroup"] = _segment(resource["id"], "resourceGroups").lower()
    row.setdefault("tags", {})
    row.setdefault("sku", None)
    row.setdefault("kind", "")
    return row
