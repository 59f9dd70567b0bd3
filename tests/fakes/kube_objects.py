"""What the fake hub serves, as documents: the Fleet CRDs as discovery sees them, examples, Status bodies, list
pages. Pure functions; tests/fakes/kube_api.py puts them on the wire."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from http import HTTPStatus
from typing import Any

import yaml

from tests.conftest import CONTRACTS

FLEET_CONTRACTS = CONTRACTS / "fleet"
CRD_DIR = FLEET_CONTRACTS / "crds" / "azure-fleet"
EXAMPLES = FLEET_CONTRACTS / "examples" / "assembled"
CLUSTER_GROUP = "cluster.kubernetes-fleet.io"
PLACEMENT_GROUP = "placement.kubernetes-fleet.io"
CREATED = "2025-05-01T08:00:00Z"
PRIORITY = {"v1": 0, "v1beta1": 1, "v1alpha1": 2}  # how a real server orders a group's versions


@dataclass(frozen=True)
class Resource:
    group: str
    plural: str
    singular: str
    kind: str
    list_kind: str
    namespaced: bool
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    versions: tuple[str, ...]


@lru_cache(maxsize=1)
def fleet_resources() -> tuple[Resource, ...]:
    """Every Fleet CRD in the contracts folder, as discovery describes it."""
    resources = []
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
        spec, names = crd["spec"], crd["spec"]["names"]
        served = sorted((v["name"] for v in spec["versions"] if v["served"]), key=PRIORITY.__getitem__)
        resources.append(
            Resource(
                group=spec["group"],
                plural=names["plural"],
                singular=names["singular"],
                kind=names["kind"],
                list_kind=names["listKind"],
                namespaced=spec["scope"] == "Namespaced",
                short_names=tuple(names.get("shortNames", ())),
                categories=tuple(names.get("categories", ())),
                versions=tuple(served),
            )
        )
    return tuple(resources)


def load_example(file_name: str) -> dict[str, Any]:
    """One object from examples/assembled (each file starts with a provenance comment)."""
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / file_name).read_text(encoding="utf-8"))
    return document


def status_body(code: int, message: str) -> dict[str, Any]:
    reason = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 410: "Expired", 504: "Timeout"}
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason.get(code, HTTPStatus(code).phrase.replace(" ", "")),
        "code": code,
    }


def list_page(
    items: list[dict[str, Any]], resource: Resource, version: str, query: dict[str, str], revision: int
) -> tuple[int, dict[str, Any]]:
    """One page of a list, like the API server: ``continue`` is opaque and bound to the first revision."""
    start, listed_at = 0, str(revision)
    if query.get("continue"):
        try:
            token = json.loads(base64.urlsafe_b64decode(query["continue"]))
            start, listed_at = int(token["start"]), str(token["rv"])
        except (ValueError, KeyError, TypeError):
            return 400, status_body(400, "continue key is not valid")
    limit = int(query.get("limit") or 0)
    end = start + limit if limit > 0 else len(items)
    metadata: dict[str, Any] = {"resourceVersion": listed_at}
    if end < len(items):
        token_json = json.dumps({"start": end, "rv": listed_at}).encode()
        metadata["continue"] = base64.urlsafe_b64encode(token_json).decode("ascii")
        metadata["remainingItemCount"] = len(items) - end
    return 200, {
        "apiVersion": f"{resource.group}/{version}",
        "kind": resource.list_kind,
        "metadata": metadata,
        "items": [as_version(obj, resource.group, version) for obj in items[start:end]],
    }


def as_version(obj: dict[str, Any], group: str, version: str) -> dict[str, Any]:
    """The stored object as served at ``version`` (conversion ``None``: only apiVersion changes)."""
    served = copy.deepcopy(obj)
    served["apiVersion"] = f"{group}/{version}"
    return served
