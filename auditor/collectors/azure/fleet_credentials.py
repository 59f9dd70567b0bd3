"""Fleet hubs discovered through Fleet ``listCredentials`` (``--fleet-hubs discover``).

Each fleet with a hub profile hands out its hub kubeconfig; it is decoded and parsed in memory and given to
:func:`hub_from_config_dict`, which never writes it anywhere. Its ``exec`` (kubelogin) users get a bearer
token from the scan's own credential instead, so kubelogin is not needed. The kubeconfig and the token never
reach disk, logs (the call log has method, path, status and ms only) or reports.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.containerservicefleet import ContainerServiceFleetMgmtClient

from auditor import __version__
from auditor.collectors.azure.clients import CallLogPolicy
from auditor.collectors.azure.graph import describe
from auditor.collectors.azure.settings import AzureSettings
from auditor.collectors.hub.kubeconfig import context_problem, hub_from_config_dict
from auditor.collectors.hub.read import HubFault, HubReadOptions, failed_collection, one_line
from auditor.collectors.interface import HubCollection
from auditor.collectors.merge import hub_names
from auditor.inventory import Fleet
from auditor.inventory.base import normalize_id

OPERATION = "listCredentials"
SIGN_IN_OPERATION = "hub sign-in"
#: The AKS-managed Microsoft Entra server application: the audience of the tokens AKS (and Fleet hub) API
#: servers accept; it is the ``--server-id`` of the kubelogin entry in every kubeconfig they hand out.
#: kubelogin's non-interactive modes (managed identity, workload identity, service principal, Azure CLI)
#: only request a token for it, which the scan's credential does directly
#: (https://learn.microsoft.com/azure/aks/kubelogin-authentication, "Use kubelogin to authenticate users").
AKS_ENTRA_SCOPE = "6dae42f8-4368-4678-94ff-3960e28e3630/.default"
#: User fields that already authenticate: such a user is left as it is.
_OWN_CREDENTIALS = ("token", "tokenFile", "client-certificate", "client-certificate-data")

#: Returns the raw bytes of a fleet's hub kubeconfig, or raises AzureError or KubeconfigError.
FetchKubeconfig = Callable[[Fleet], bytes]


class KubeconfigError(ValueError):
    """A listCredentials kubeconfig that cannot be used; the message never quotes it."""


class FleetHub:
    """A hub source (see ``HubSource``) for one fleet: ``collect()`` lists its credentials, then reads it."""

    def __init__(
        self,
        fleet: Fleet,
        fetch: FetchKubeconfig,
        token: Callable[[], str],
        options: HubReadOptions | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self._fleet = fleet
        self._fetch = fetch
        self._token = token
        self._options = options or HubReadOptions()
        self._name = name or fleet.name

    def __repr__(self) -> str:
        return f"FleetHub({self._fleet.id!r})"  # never the kubeconfig or the token

    @property
    def name(self) -> str:
        return self._name

    def collect(self) -> HubCollection:
        fleet, name = self._fleet, self._name
        try:
            config = parse_kubeconfig(self._fetch(fleet))
        except (AzureError, KubeconfigError) as error:
            what = str(error) if isinstance(error, KubeconfigError) else describe(error)
            reason = f"fleet {fleet.name}: {OPERATION} failed: {one_line(what)}"
            return failed_collection(name, fleet.id, HubFault(OPERATION, reason))
        try:
            config = with_bearer_tokens(config, self._token)
        except AzureError as error:
            reason = f"fleet {fleet.name}: no Entra ID token for its hub: {one_line(describe(error))}"
            return failed_collection(name, fleet.id, HubFault(SIGN_IN_OPERATION, reason))
        member_ids = {m.name: m.cluster_resource_id for m in fleet.members or () if m.cluster_resource_id}
        source = hub_from_config_dict(
            config, name=name, fleet_id=fleet.id, member_ids=member_ids, options=self._options
        )
        return source.collect()


def parse_kubeconfig(value: bytes) -> dict[str, Any]:
    """The kubeconfig a listCredentials answer carries, parsed in memory. KubeconfigError (never quoting
    the content: it holds credentials) when it is missing, not YAML or has no usable current context."""
    if not value:
        raise KubeconfigError("the answer holds no kubeconfig")
    try:
        config = yaml.safe_load(value.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        raise KubeconfigError("the kubeconfig is not valid YAML") from None
    if not isinstance(config, dict):
        raise KubeconfigError("the kubeconfig is not a mapping with clusters, users and contexts")
    problem = context_problem(config, str(config.get("current-context") or ""))
    if problem:
        raise KubeconfigError(f"the kubeconfig is unusable: {problem}")
    return config


def with_bearer_tokens(config: Mapping[str, Any], token: Callable[[], str]) -> dict[str, Any]:
    """A copy of ``config`` whose ``exec`` users (kubelogin, as Fleet hands out) carry a bearer token
    instead; ``token`` is called once, only if some user needs it. Users with a token or a client
    certificate are left as they are."""
    result: dict[str, Any] = copy.deepcopy(dict(config))
    users = result.get("users")
    bearer: str | None = None
    for item in users if isinstance(users, list) else ():
        user = item.get("user") if isinstance(item, dict) else None
        if not isinstance(user, dict) or "exec" not in user:
            continue
        if any(user.get(key) for key in _OWN_CREDENTIALS):
            continue
        bearer = bearer or token()
        del user["exec"]
        user["token"] = bearer
    return result


class FleetCredentials:
    """Fetches hub kubeconfigs with ``ContainerServiceFleetMgmtClient`` (one per subscription) and hub
    tokens with the same credential; ``close()`` when done."""

    def __init__(self, credential: TokenCredential, settings: AzureSettings) -> None:
        self._credential = credential
        self._settings = settings
        self._transport = RequestsTransport()
        self._clients: dict[str, Any] = {}

    def _client(self, subscription: str) -> Any:
        client = self._clients.get(subscription.lower())
        if client is None:
            client = ContainerServiceFleetMgmtClient(
                self._credential,
                subscription,
                base_url=self._settings.endpoint,
                credential_scopes=[self._settings.scope],
                transport=self._transport,
                per_retry_policies=[CallLogPolicy()],
                retry_backoff_factor=self._settings.retry_backoff,
                user_agent=f"aks-auditor/{__version__}",
            )
            self._clients[subscription.lower()] = client
        return client

    def kubeconfig(self, fleet: Fleet) -> bytes:
        """The first kubeconfig of ``fleet``'s listCredentials (a synchronous POST)."""
        answer = self._client(fleet.subscription_id).fleets.list_credentials(fleet.resource_group, fleet.name)
        kubeconfigs = answer.kubeconfigs
        first = kubeconfigs[0] if isinstance(kubeconfigs, list) and kubeconfigs else None
        value = getattr(first, "value", None)  # the SDK hands back what is not base64 undecoded
        if not isinstance(value, bytes):
            raise KubeconfigError("the answer holds no base64 kubeconfig")
        return value

    def hub_token(self) -> str:
        token: str = self._credential.get_token(AKS_ENTRA_SCOPE).token
        return token

    def close(self) -> None:
        self._transport.close()


def fleet_hubs(
    fleets: Sequence[Fleet], credentials: FleetCredentials, options: HubReadOptions | None = None
) -> tuple[list[FleetHub], list[str]]:
    """One hub source per fleet with a hub profile (named by :func:`hub_names`), and a note for each
    hubless fleet (it has no hub)."""
    sources: list[FleetHub] = []
    notes: list[str] = []
    names = hub_names(fleets)
    for fleet in fleets:
        if fleet.hub_profile is None:
            notes.append(f"fleet {fleet.name} has no hub (hubless fleet): no hub to read")
            continue
        name = names[normalize_id(fleet.id)]
        sources.append(FleetHub(fleet, credentials.kubeconfig, credentials.hub_token, options, name=name))
    return sources, notes
