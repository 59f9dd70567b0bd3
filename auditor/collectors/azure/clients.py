"""SDK clients for one collection: one pooled HTTPS transport shared by every client, a call log policy
and (for ARM reads) per-subscription pacing.

Clients are built from the settings at run time and closed at the end; nothing is held in globals.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.containerservicefleet import ContainerServiceFleetMgmtClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from requests.utils import get_environ_proxies

from auditor import __version__
from auditor.collectors.azure.pacing import DEFAULT_READ_LIMITS, ReadLimits, ReadPacer, ReadPacingPolicy
from auditor.collectors.azure.settings import AzureSettings

log = logging.getLogger("auditor.azure")
_STARTED = "aks_auditor_started"


class CallLogPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Logs each attempt (method, path, status, ms) at INFO. Never headers, query strings or bodies."""

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        request.context[_STARTED] = time.perf_counter()

    def _line(self, request: PipelineRequest[HttpRequest], outcome: str) -> None:
        started = request.context.get(_STARTED, time.perf_counter())
        http = request.http_request
        path = http.url.split("?", 1)[0].split("://", 1)[-1].partition("/")[2]
        log.info("%s /%s %s %.0fms", http.method, path, outcome, (time.perf_counter() - started) * 1000)

    def on_response(
        self, request: PipelineRequest[HttpRequest], response: PipelineResponse[HttpRequest, HttpResponse]
    ) -> None:
        self._line(request, str(response.http_response.status_code))

    def on_exception(self, request: PipelineRequest[HttpRequest]) -> None:
        self._line(request, "failed")


class _PooledTransport(RequestsTransport):  # type: ignore[misc]  # Any to mypy: requests has no stubs
    """requests' default pool keeps 10 connections per host; keep one per worker so each is reused.

    requests also re-reads the proxy variables and the CA bundle from the environment on every request
    (~15% of the client CPU of a call); they are read once here instead, for the one host every call goes
    to (``NO_PROXY`` included), and ``.netrc`` is not consulted (the bearer token is the only credential).
    """

    def __init__(self, pool_size: int, endpoint: str) -> None:
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        super().__init__(connection_verify=ca_bundle or True)
        self._pool_size = pool_size
        self._proxies = get_environ_proxies(endpoint)

    def _init_session(self, session: Any) -> None:
        # azure-core's hook, called once when open() creates the session; it mounts its own adapters.
        super()._init_session(session)
        for adapter in {id(a): a for a in session.adapters.values()}.values():
            adapter.init_poolmanager(self._pool_size, self._pool_size)
        session.trust_env = False
        session.proxies = dict(self._proxies)


class AzureClients:
    """Builds (and caches per subscription) the SDK clients of one collection; ``close()`` when done.
    ``read_limits=None`` sends ARM reads unpaced (the SDK still retries a 429 after its Retry-After)."""

    def __init__(
        self,
        credential: TokenCredential,
        settings: AzureSettings,
        *,
        read_limits: ReadLimits | None = DEFAULT_READ_LIMITS,
    ) -> None:
        self._credential = credential
        self._settings = settings
        self._pacer = ReadPacer(read_limits) if read_limits is not None else None
        self._pacing = [ReadPacingPolicy(self._pacer)] if self._pacer is not None else []
        self._transport = _PooledTransport(settings.workers + 4, settings.endpoint)
        self._transport.open()  # before any thread can race to open it
        self._aks: dict[str, Any] = {}
        self._fleet: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._graph: Any = None

    def _options(self, *pacing: ReadPacingPolicy) -> dict[str, Any]:
        return {
            "base_url": self._settings.endpoint,
            "credential_scopes": [self._settings.scope],
            "transport": self._transport,
            # Pacing first: the logged time of an attempt does not include its wait for a token.
            "per_retry_policies": [*pacing, CallLogPolicy()],
            "retry_backoff_factor": self._settings.retry_backoff,
            "user_agent": f"aks-auditor/{__version__}",
        }

    def graph(self) -> Any:
        with self._lock:
            if self._graph is None:
                self._graph = ResourceGraphClient(self._credential, **self._options())
            return self._graph

    def aks(self, subscription: str) -> Any:
        return self._per_subscription(self._aks, ContainerServiceClient, subscription)

    def fleet(self, subscription: str) -> Any:
        """The Fleet management client of a subscription (update runs, for remediation)."""
        return self._per_subscription(self._fleet, ContainerServiceFleetMgmtClient, subscription)

    def _per_subscription(self, cache: dict[str, Any], kind: Any, subscription: str) -> Any:
        with self._lock:
            client = cache.get(subscription)
            if client is None:
                client = cache[subscription] = kind(
                    self._credential, subscription, **self._options(*self._pacing)
                )
            return client

    @property
    def pacer(self) -> ReadPacer | None:
        """The per-subscription read buckets (None: unpaced), for the async clients to share."""
        return self._pacer

    def read_ready_in(self, subscription: str) -> float:
        """Seconds until an ARM read on ``subscription`` would be sent without waiting (0 when unpaced)."""
        return self._pacer.bucket(subscription).ready_in() if self._pacer is not None else 0.0

    def close(self) -> None:
        self._transport.close()
