"""The SDK's async clients for the per-cluster ARM reads of a collection, on an event loop of their own.

Measured (benchmarks/results/async_clients.md): the async ``ContainerServiceClient`` over aiohttp costs
~1.2 ms of client CPU per maintenance-configuration read against 2.0 to 2.3 ms for the sync client in a
thread pool (requests parses responses in Python, aiohttp in C), and with the same connections it sends
more per second. So the reads made once per cluster go through ``azure.mgmt.containerservice.aio`` here;
the few others (Resource Graph pages, a catalog per region, update runs, --deep) stay on the sync clients.

One event loop runs in one thread for the whole collection; :meth:`AsyncClients.run` hands it a coroutine
and returns a ``concurrent.futures.Future``, so the collector waits for async and sync reads alike. Paging,
retries and error mapping stay the SDK's (AsyncRetryPolicy, the async pager); reads are paced by the same
per-subscription buckets as the sync clients (:class:`AsyncReadPacingPolicy`) and logged by the same call
log policy. The credential is the collection's own (one sign-in), called from a worker thread.

The CA bundle is read once into one SSL context held by the session's connector: azure-core would build a
new context per request from a ``connection_verify`` path, and aiohttp pools connections per context, so
none would ever be reused (the benchmark measured 4.6 ms and 700 MB that way).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import aiohttp
import certifi
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline.transport import AioHttpTransport
from azure.mgmt.containerservice.aio import ContainerServiceClient
from requests.utils import get_environ_proxies

from auditor import __version__
from auditor.collectors.azure.clients import CallLogPolicy
from auditor.collectors.azure.pacing import AsyncReadPacingPolicy, ReadPacer
from auditor.collectors.azure.settings import AzureSettings

T = TypeVar("T")


class _ThreadedCredential:
    """The collection's TokenCredential as an AsyncTokenCredential: ``get_token`` runs in a worker thread
    (its token cache and chain are the credential's own; nothing of them is written here)."""

    def __init__(self, credential: TokenCredential) -> None:
        self._credential = credential

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return await asyncio.to_thread(self._credential.get_token, *scopes, **kwargs)

    async def close(self) -> None:
        """The credential belongs to the caller, who closes it."""

    async def __aenter__(self) -> _ThreadedCredential:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None


def ssl_context() -> ssl.SSLContext:
    """The trust the sync transport (requests) has: REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else certifi's."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    return ssl.create_default_context(cafile=bundle)


class AsyncClients:
    """An event loop in a thread and the async AKS clients (one per subscription) on it; ``close()``."""

    def __init__(
        self, credential: TokenCredential, settings: AzureSettings, pacer: ReadPacer | None, connections: int
    ) -> None:
        self._settings = settings
        self._credential = _ThreadedCredential(credential)
        self._pacing = [AsyncReadPacingPolicy(pacer)] if pacer is not None else []
        self._proxies = get_environ_proxies(settings.endpoint)
        self._connections = connections
        self._aks: dict[str, Any] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="aks-auditor-aio", daemon=True)
        self._thread.start()
        self._session: aiohttp.ClientSession | None = None
        self._transport: AioHttpTransport | None = None
        self._closed = False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Run ``coroutine`` on the loop; its result (or exception) in the returned future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def _open(self) -> AioHttpTransport:
        # On the loop (aiohttp sessions belong to the loop they are made on).
        if self._transport is None:
            connector = aiohttp.TCPConnector(ssl=ssl_context(), limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
            self._transport = AioHttpTransport(session=self._session, session_owner=False)
        return self._transport

    def aks(self, subscription: str) -> Any:
        """The async AKS client of a subscription (call on the loop, i.e. from a coroutine given to run)."""
        client = self._aks.get(subscription)
        if client is None:
            client = self._aks[subscription] = ContainerServiceClient(
                self._credential,
                subscription,
                base_url=self._settings.endpoint,
                credential_scopes=[self._settings.scope],
                transport=self._open(),
                per_retry_policies=[*self._pacing, CallLogPolicy()],
                retry_backoff_factor=self._settings.retry_backoff,
                user_agent=f"aks-auditor/{__version__}",
                proxies=self._proxies,
            )
        return client

    async def _shutdown(self) -> None:
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        await asyncio.get_running_loop().shutdown_default_executor()  # the credential's threads

    def close(self) -> None:
        """Cancel what is still running, close the connections, stop the loop and its thread."""
        if self._closed:
            return
        self._closed = True
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
