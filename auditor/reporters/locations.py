"""Where a finding lives: stable relative pseudo-paths for ARM and hub ids, and resource grouping.

Paths (used as SARIF ``artifactLocation.uri``; GitHub needs a relative, scheme-less path per result):

* ARM ids (``/subscriptions/...``) become ``azure/<subscription>/<resource group>/<provider path...>``,
  lower-cased (ARM ids are case-insensitive) with the ``subscriptions``, ``resourceGroups`` and
  ``providers`` keywords dropped, e.g. ``.../managedClusters/C/agentPools/P`` ->
  ``azure/s/rg/microsoft.containerservice/managedclusters/c/agentpools/p``.
* Anything else (Fleet hub objects keyed by hub context name) becomes ``fleet-hub/<id>``.

Every segment is percent-encoded (``urllib.parse.quote`` with no safe characters), so
the path is a valid URI reference; ``.``/``..`` segments become ``~.``/``~..`` so no URL parser
resolves them and the path cannot climb out of the repository root.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote

from auditor.inventory.base import normalize_id

#: Id segments that introduce a child resource; what precedes them is the parent (cluster, fleet, hub).
_CHILD_MARKERS = frozenset(
    {
        "agentpools",
        "updateruns",
        "autoupgradeprofiles",
        "memberclusters",
        "clusterresourceplacements",
        "resourceplacements",
    }
)


#: A path whose segments ``quote`` would leave unchanged (RFC 3986 unreserved characters only).
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~-]+)*")


def _safe_segment(segment: str) -> str:
    if segment in (".", ".."):
        return "~" + segment  # a dot segment, even percent-encoded, would be resolved by URL parsers
    return quote(segment, safe="")


def is_arm_id(resource_id: str) -> bool:
    return resource_id.strip().lower().startswith("/subscriptions/")


def artifact_path(resource_id: str) -> str:
    """The stable relative pseudo-path of a resource (see the module docstring)."""
    if is_arm_id(resource_id):
        parts = normalize_id(resource_id).strip("/").split("/")
        out = ["azure", parts[1]] if len(parts) > 1 else ["azure"]
        rest = parts[2:]
        if len(rest) >= 2 and rest[0] == "resourcegroups":
            out.append(rest[1])
            rest = rest[2:]
        if rest and rest[0] == "providers":
            rest = rest[1:]
        out.extend(rest)
    else:
        out = ["fleet-hub", *resource_id.strip().strip("/").split("/")]
    present = [part for part in out if part]
    if _UNRESERVED_PATH.fullmatch("/".join(present)) and "." not in present and ".." not in present:
        segments = present  # fast path: nothing to encode (the usual ARM id)
    else:
        segments = [_safe_segment(part) for part in present]
    if len(segments) == 1:
        segments.append("unknown")
    return "/".join(segments)


@lru_cache(maxsize=65_536)
def parent_id(resource_id: str) -> str:
    """The id of the resource a finding belongs under: a pool's cluster, an update run's fleet, a hub
    (cached: every pool has a finding per policy, and each report asks for each of them)."""
    parts = resource_id.strip().rstrip("/").split("/")
    for index, part in enumerate(parts):
        if index > 0 and part.lower() in _CHILD_MARKERS:
            return "/".join(parts[:index])
    return resource_id.strip().rstrip("/")


def last_segment(resource_id: str) -> str:
    return resource_id.strip().rstrip("/").rsplit("/", 1)[-1] or resource_id


def parent_label(resource_id: str) -> str:
    """What a parent is, read from its id (``managedClusters`` -> cluster, ``fleets`` -> fleet)."""
    parts = [part.lower() for part in resource_id.strip().strip("/").split("/")]
    kind = parts[-2] if len(parts) >= 2 else ""
    if not is_arm_id(resource_id):
        return "Fleet hub"
    return {"managedclusters": "Cluster", "fleets": "Fleet"}.get(kind, "Resource")
