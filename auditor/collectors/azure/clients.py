"""SDK clients for one collection: one pooled HTTPS transport shared by every client, a call log policy.

Clients are built from the settings at run time and closed at the end; nothing is held in globals.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resourcegraph import ResourceGraphClient

from auditor import __version__
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
    """requests' default pool keeps 10 connections per host; keep one per worker so each is reused."""

    def __init__(self, pool_size: int) -> None:
        super().__init__()
        self._pool_size = pool_size

    def _init_session(self, session: Any) -> None:
        # azure-core's hook, called once when open() creates the session; it mounts its own adapters.
        super()._init_session(session)
        for adapter in {id(a): a for a in session.adapters.values()}.values():
            adapter.init_poolmanager(self._pool_size, self._pool_size)


class AzureClients:
    """Builds (and caches per subscription) the SDK clients of one collection; ``close()`` when done."""

    def __init__(self, credential: TokenCredential, settings: AzureSettings) -> None:
        self._credential = credential
        self._settings = settings
        self._transport = _PooledTransport(settings.workers + 4)
        self._transport.open()  # before any thread can race to open it
        self._aks: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._graph: Any = None

    def _options(self) -> dict[str, Any]:
        return {
            "base_url": self._settings.endpoint,
            "credential_scopes": [self._settings.scope],
            "transport": self._transport,
            "per_retry_policies": [CallLogPolicy()],
            "retry_backoff_factor": self._settings.retry_backoff,
            "user_agent": f"aks-auditor/{__version__}",
        }

    def graph(self) -> Any:
        with self._lock:
            if self._graph is None:
                self._graph = ResourceGraphClient(self._credential, **self._options())
            return self._graph

    def aks(self, subscription: str) -> Any:
        with self._lock:
            client = self._aks.get(subscription)
            if client is None:
                client = ContainerServiceClient(self._credential, subscription, **self._options())
                self._aks[subscription] = client
            return client

    def close(self) -> None:
        self._transport.close()
