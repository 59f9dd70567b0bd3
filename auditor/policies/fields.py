"""Unknown fields in policy expressions, caught when the policy is loaded — not as an ``error`` on every
finding at run time. The inventory schema is known, so each ``resource.x`` / ``cluster.x`` (and one level
below, ``resource.autoUpgradeProfile.x``) is checked against the model of that variable for the resource
kind, and the closest field is suggested: "resource.autoUpgradeProfil: no such field of a cluster; did
you mean autoUpgradeProfile?". Map-valued fields (``tags``, ``labels``) take any key.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel

from auditor.inventory.aks import Cluster, NodePool
from auditor.inventory.fleet import Fleet, FleetAutoUpgradeProfile, UpdateRun
from auditor.inventory.hub import MemberCluster, Placement
from auditor.policies.model import ResourceKind

#: The model behind ``resource`` per kind.
RESOURCE_MODELS: dict[ResourceKind, type[BaseModel]] = {
    ResourceKind.CLUSTER: Cluster,
    ResourceKind.NODE_POOL: NodePool,
    ResourceKind.FLEET: Fleet,
    ResourceKind.UPDATE_RUN: UpdateRun,
    ResourceKind.AUTO_UPGRADE_PROFILE: FleetAutoUpgradeProfile,
    ResourceKind.MEMBER_CLUSTER: MemberCluster,
    ResourceKind.PLACEMENT: Placement,
}
#: Other variables whose fields are fixed: the parent cluster of a pool (without its pools), the fleet
#: and the hub a resource belongs to.
_OTHER: dict[str, dict[str, Any]] = {
    "fleet": {"id": None, "name": None},
    "hub": {"name": None, "fleetId": None},
}
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_ACCESS = re.compile(
    r"(?<![\w.?])(resource|cluster|fleet|hub)\s*\.\??\s*([A-Za-z_]\w*)(?:\s*\.\??\s*([A-Za-z_]\w*))?"
)


def _shape(model: type[BaseModel]) -> dict[str, Any]:
    """Field name (wire alias) -> the nested shape for an object field, ``"map"`` for a dict, else None."""
    shape: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.alias or name
        annotation = info.annotation
        nested = _object_model(annotation)
        if nested is not None:
            shape[alias] = {(i.alias or n): None for n, i in nested.model_fields.items()}
        elif "dict[" in str(annotation):
            shape[alias] = "map"
        else:
            shape[alias] = None
    return shape


def _object_model(annotation: Any) -> type[BaseModel] | None:
    """``X`` or ``X | None`` where X is a model (not a tuple of models)."""
    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _shapes(kinds: tuple[ResourceKind, ...]) -> dict[str, dict[str, Any]]:
    """Fields per variable; a policy judging several kinds guards kind-specific fields itself, so a field
    of any of them is accepted."""
    resource: dict[str, Any] = {}
    for kind in kinds:
        for name, nested in _shape(RESOURCE_MODELS[kind]).items():
            if isinstance(resource.get(name), dict) and isinstance(nested, dict):
                resource[name] = resource[name] | nested
            else:
                resource.setdefault(name, nested)
    shapes = {"resource": resource, **_OTHER}
    if ResourceKind.NODE_POOL in kinds:
        cluster = _shape(Cluster)  # the pool's cluster, as documents.py summarizes it
        for left_out in ("nodePools", "maintenanceConfigurations", "upgradeProfile"):
            cluster.pop(left_out, None)
        shapes["cluster"] = cluster
    return shapes


def unknown_field(
    expression: str, kinds: tuple[ResourceKind, ...], variables: frozenset[str]
) -> tuple[str, int, int] | None:
    """The first unknown field access in ``expression`` as (message, 1-based line, column), or None."""
    shapes = _shapes(kinds)
    text = _STRINGS.sub(lambda m: " " * len(m.group(0)), expression)  # no matches inside string literals
    for match in _ACCESS.finditer(text):
        root, first, second = match.group(1), match.group(2), match.group(3)
        if root not in variables or root not in shapes:
            continue
        fields = shapes[root]
        what = "/".join(kind.value for kind in kinds) if root == "resource" else root
        if first not in fields:
            return (_say(f"{root}.{first}", first, fields, what), *_position(text, match.start(2)))
        nested = fields[first]
        if second and isinstance(nested, dict) and second not in nested and not _is_call(text, match.end(3)):
            path = f"{root}.{first}.{second}"
            return (_say(path, second, nested, f"{root}.{first}"), *_position(text, match.start(3)))
    return None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _is_call(text: str, end: int) -> bool:
    return text[end:].lstrip().startswith("(")


def _say(path: str, name: str, fields: dict[str, Any], what: str) -> str:
    close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else f" (fields: {', '.join(sorted(fields))})"
    return f"{path}: no such field of {what}{hint}"
