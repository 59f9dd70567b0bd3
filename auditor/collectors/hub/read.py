"""Read a Fleet hub through the Kubernetes API: MemberClusters, placements and staged update runs.

Discovery picks, per group, the server's preferred version among v1/v1beta1 (a hub may serve only one);
lists page with ``limit``/``continue``. Anything that stops the read (unreachable, 401/403, a Fleet group
not installed, a timeout) ends collection of that hub: the Hub comes back with ``error`` set and a
coverage gap; the kinds not read stay None, so their policies report ``error``, never a pass.
ResourcePlacement and ClusterStagedUpdateRun are newer kinds: a hub whose placement group does not serve
them has none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
from kubernetes.client import ApiClient, ApisApi, CustomObjectsApi
from kubernetes.client.exceptions import ApiException

from auditor.collectors.hub import normalize as hub_normalize
from auditor.collectors.interface import HubCollection, PayloadError
from auditor.inventory import CoverageGap, Hub, MemberCluster

CLUSTER_GROUP = "cluster.kubernetes-fleet.io"
PLACEMENT_GROUP = "placement.kubernetes-fleet.io"
#: The versions whose schemas we read, in the order a real API server prefers them.
SUPPORTED_VERSIONS = ("v1", "v1beta1")
MEMBER_NAME_LABEL = "fleet.azure.com/member-name"

T = TypeVar("T")


@dataclass(frozen=True)
class HubReadOptions:
    """Page size for lists, (connect, read) timeout in seconds per request, transport retries."""

    page_size: int = 500
    timeout: tuple[float, float] = (5.0, 30.0)
    retries: int = 1


@dataclass(frozen=True)
class FleetKind:
    group: str
    plural: str
    kind: str
    required: bool
    read_key: str

    @property
    def resource(self) -> str:
        return f"{self.plural}.{self.group}"


MEMBER_CLUSTERS = FleetKind(CLUSTER_GROUP, "memberclusters", "MemberCluster", True, "memberClusters")
CLUSTER_PLACEMENTS = FleetKind(
    PLACEMENT_GROUP, "clusterresourceplacements", "ClusterResourcePlacement", True, "placements"
)
PLACEMENTS = FleetKind(PLACEMENT_GROUP, "resourceplacements", "ResourcePlacement", False, "placements")
UPDATE_RUNS = FleetKind(
    PLACEMENT_GROUP, "clusterstagedupdateruns", "ClusterStagedUpdateRun", False, "stagedUpdateRuns"
)


class HubFault(Exception):
    """The hub could not be read; ``reason`` is one line naming the operation."""

    def __init__(self, operation: str, reason: str) -> None:
        super().__init__(reason)
        self.operation = operation
        self.reason = reason


def collect_hub(
    api_client: ApiClient,
    *,
    name: str,
    fleet_id: str | None = None,
    member_ids: Mapping[str, str] | None = None,
    options: HubReadOptions | None = None,
) -> HubCollection:
    """Read one hub with a constructed client. ``member_ids`` maps Fleet member names to the AKS cluster
    ids (from the Fleet's ARM members); without an entry, the member's fleet.azure.com/* labels are used."""
    reader = _Reader(api_client, options or HubReadOptions())
    gaps: list[CoverageGap] = []
    notes: list[str] = []
    read: dict[str, int] = {}
    found: dict[FleetKind, list[Mapping[str, Any]]] = {}
    api_version: str | None = None
    try:
        served = reader.discover()
        for kind in (MEMBER_CLUSTERS, CLUSTER_PLACEMENTS, PLACEMENTS, UPDATE_RUNS):
            version = reader.version_for(kind, served[kind.group])
            if version is None:
                notes.append(f"hub {name}: {kind.resource} is not served (older Fleet): treated as none")
            elif kind is CLUSTER_PLACEMENTS:
                api_version = f"{kind.group}/{version}"
            found[kind] = reader.list(kind, version) if version else []
            read[kind.read_key] = read.get(kind.read_key, 0) + len(found[kind])
    except HubFault as fault:
        failed = failed_collection(name, fleet_id, fault, **_normalized(name, found, gaps, member_ids))
        return HubCollection(failed.hub, (*failed.gaps, *gaps), read, tuple(notes))
    fields = _normalized(name, found, gaps, member_ids)
    hub = Hub(name=name, fleet_id=fleet_id, api_version=api_version, **fields)
    return HubCollection(hub, tuple(gaps), {"hubs": 1, **read}, tuple(notes))


def failed_collection(name: str, fleet_id: str | None, fault: HubFault, **collected: Any) -> HubCollection:
    """A hub that could not be read: ``error`` set (its policies report error) and one coverage gap.
    ``collected``: Hub fields read in full before the fault; they are kept and judged, and the kinds
    that were not read stay None, which the evaluator reports as ``error`` findings on the hub."""
    hub = Hub(name=name, fleet_id=fleet_id, error=fault.reason, **collected)
    gap = CoverageGap(scope="hub", target=name, operation=fault.operation, reason=fault.reason)
    return HubCollection(hub, (gap,), {})


class _Reader:
    """Discovery and paged lists over one ApiClient; every failure becomes a :class:`HubFault`."""

    def __init__(self, api_client: ApiClient, options: HubReadOptions) -> None:
        self._apis = ApisApi(api_client)
        self._custom = CustomObjectsApi(api_client)
        self._host: str = api_client.configuration.host
        self._options = options
        self._resources: dict[tuple[str, str], frozenset[str]] = {}

    def discover(self) -> dict[str, tuple[str, ...]]:
        """The supported versions each Fleet group serves, the server's preferred one first."""
        operation = "discovering API groups"
        groups = self._call(operation, self._apis.get_api_versions, _request_timeout=self._options.timeout)
        served: dict[str, tuple[str, ...]] = {}
        for group in groups.groups or ():
            if group.name in (CLUSTER_GROUP, PLACEMENT_GROUP):
                preferred = group.preferred_version.version if group.preferred_version else None
                offered = [v.version for v in group.versions or ()]
                ordered = sorted(offered, key=lambda version: version != preferred)
                served[group.name] = tuple(v for v in ordered if v in SUPPORTED_VERSIONS)
                if not served[group.name]:
                    reason = f"API group {group.name} serves none of {', '.join(SUPPORTED_VERSIONS)}"
                    raise HubFault(operation, f"{reason} (it serves {', '.join(offered) or 'nothing'})")
        for name in (CLUSTER_GROUP, PLACEMENT_GROUP):
            if name not in served:
                reason = f"API group {name} is not served by {self._host} (Fleet CRDs not installed?)"
                raise HubFault(operation, reason)
        return served

    def version_for(self, kind: FleetKind, versions: Sequence[str]) -> str | None:
        """The first of ``versions`` listing ``kind``; None for an optional kind no version serves."""
        for version in versions:
            if kind.plural in self._served_resources(kind.group, version):
                return version
        if kind.required:
            where = ", ".join(f"{kind.group}/{v}" for v in versions)
            raise HubFault(f"discovering {kind.resource}", f"{kind.resource} is not served by {where}")
        return None

    def list(self, kind: FleetKind, version: str) -> list[Mapping[str, Any]]:
        """Every object of ``kind`` (all namespaces), following ``metadata.continue`` until it is empty."""
        operation = f"listing {kind.resource}"
        items: list[Mapping[str, Any]] = []
        token: str | None = None
        seen: set[str] = set()
        while True:
            # For a namespaced kind the cluster-wide path (no namespace segment) lists all namespaces.
            page = self._call(
                operation,
                self._custom.list_cluster_custom_object,
                kind.group,
                version,
                kind.plural,
                limit=self._options.page_size,
                _continue=token,
                _request_timeout=self._options.timeout,
            )
            if not isinstance(page, Mapping) or not isinstance(page.get("items"), list):
                raise HubFault(operation, f"{operation}: the response is not a {kind.kind}List")
            items.extend(page["items"])
            metadata = page.get("metadata")
            token = metadata.get("continue") if isinstance(metadata, Mapping) else None
            if not token:
                return items
            if token in seen:
                raise HubFault(operation, f"{operation}: the server repeated a continue token")
            seen.add(token)

    def _served_resources(self, group: str, version: str) -> frozenset[str]:
        if (group, version) not in self._resources:
            found = self._call(
                f"discovering {group}/{version} resources",
                self._custom.get_api_resources,
                group,
                version,
                _request_timeout=self._options.timeout,
            )
            self._resources[group, version] = frozenset(r.name for r in found.resources or ())
        return self._resources[group, version]

    def _call(self, operation: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return call(*args, **kwargs)
        except ApiException as error:
            if not error.status:  # the client's own wrapping of a TLS failure: no HTTP status at all
                reason = f"TLS failure talking to {self._host} ({operation}): {one_line(str(error.reason))}"
                raise HubFault(operation, reason) from None
            raise HubFault(operation, _status_reason(error, operation)) from None
        except urllib3.exceptions.HTTPError as error:
            reason = _transport_reason(error, operation, self._host, self._options)
            raise HubFault(operation, reason) from None
        except ValueError as error:  # a body that is not the JSON the client expects
            raise HubFault(operation, f"{operation}: unreadable response: {one_line(str(error))}") from None


def _status_reason(error: ApiException, operation: str) -> str:
    """``403 Forbidden listing memberclusters.cluster.kubernetes-fleet.io: <Status message>``."""
    head = f"{error.status} {error.reason or ''}".strip() + f" {operation}"
    message = ""
    if error.body:
        try:
            body = json.loads(error.body)
            message = body.get("message", "") if isinstance(body, dict) else ""
        except ValueError:
            message = str(error.body)
    return f"{head}: {one_line(message)}" if message else head


def _transport_reason(error: Exception, operation: str, host: str, options: HubReadOptions) -> str:
    cause = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
    errors = urllib3.exceptions
    if isinstance(cause, errors.NewConnectionError):  # first: urllib3 makes it a ConnectTimeoutError
        detail = str(cause).split(": ", 1)[-1]  # drop the "HTTPSConnection(host=..., port=...)" prefix
        return f"cannot connect to {host} ({operation}): {one_line(detail)}"
    if isinstance(cause, errors.ReadTimeoutError):
        return f"timed out after {options.timeout[1]:g} s {operation} on {host}"
    if isinstance(cause, errors.ConnectTimeoutError):
        return f"timed out after {options.timeout[0]:g} s connecting to {host} ({operation})"
    if isinstance(cause, errors.SSLError):
        return f"TLS failure talking to {host} ({operation}): {one_line(str(cause))}"
    return f"connection to {host} failed ({operation}): {one_line(str(cause))}"


def one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _normalized(
    hub_name: str,
    found: Mapping[FleetKind, list[Mapping[str, Any]]],
    gaps: list[CoverageGap],
    member_ids: Mapping[str, str] | None,
) -> dict[str, Any]:
    """Hub fields from the raw objects read so far (kinds not read stay None); bad objects become gaps."""

    def each(kind: FleetKind, normalize: Callable[[Mapping[str, Any]], T]) -> list[T]:
        result = []
        for obj in found.get(kind, ()):
            try:
                result.append(normalize(_with_kind(obj, kind)))
            except PayloadError as error:
                gaps.append(
                    CoverageGap(
                        scope="hub",
                        target=f"{hub_name}/{kind.plural}/{_object_name(obj)}",
                        operation=f"reading {kind.kind}",
                        reason=str(error),
                    )
                )
        return result

    fields: dict[str, Any] = {}
    if MEMBER_CLUSTERS in found:
        members = each(MEMBER_CLUSTERS, hub_normalize.member_cluster)
        fields["member_clusters"] = tuple(_with_cluster_ids(members, member_ids))
    if CLUSTER_PLACEMENTS in found and PLACEMENTS in found:
        placements = each(CLUSTER_PLACEMENTS, hub_normalize.placement)
        fields["placements"] = (*placements, *each(PLACEMENTS, hub_normalize.placement))
    if UPDATE_RUNS in found:
        fields["staged_update_runs"] = tuple(each(UPDATE_RUNS, hub_normalize.staged_update_run))
    return fields


def _with_kind(obj: object, kind: FleetKind) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise PayloadError(f"{kind.kind}: not an object: {type(obj).__name__}")
    return obj if obj.get("kind") else {**obj, "kind": kind.kind}


def _object_name(obj: object) -> str:
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    if not isinstance(meta, Mapping):
        return "(unnamed)"
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def _with_cluster_ids(
    members: Iterable[MemberCluster], member_ids: Mapping[str, str] | None
) -> Iterable[MemberCluster]:
    """Set each member's AKS cluster id: the Fleet's ARM member entry first, else the AKS labels."""
    by_name = {name.lower(): cluster_id for name, cluster_id in (member_ids or {}).items()}
    for member in members:
        keys = (member.name, member.labels.get(MEMBER_NAME_LABEL) or "")
        cluster_id = next((by_name[k.lower()] for k in keys if k.lower() in by_name), None)
        cluster_id = cluster_id or hub_normalize.aks_cluster_id(member.labels)
        yield member.model_copy(update={"cluster_resource_id": cluster_id}) if cluster_id else member
