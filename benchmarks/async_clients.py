"""The Azure SDK's async clients against the sync client in a thread pool, for the maintenance read.

    .venv/bin/python benchmarks/async_clients.py [--clusters 2000] [--subscriptions 40] [--latency 0.04]
        [--threads 16,32] [--concurrency 16,32,64] [--baseline-clusters 250] [--naive-concurrency 32]

One ARM read per cluster, the one our collector makes most:
``maintenance_configurations.list_by_managed_cluster(resource_group, cluster)``, a paged operation iterated to
the end (with the collector's ``cls``, which hands back each page's items as dicts), over every cluster of a
generated estate, against the fake ARM of ``tests/fakes/arm.py`` over HTTPS with certificate verification on
(the fake's CA) and a bearer token from ``DefaultAzureCredential`` through the fake's App Service identity
endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER), as ``benchmarks/collect.py`` does. The fake is
``collect.py --serve`` (its latency, its ARM read bucket of 250 burst + 25/s per subscription and its
Resource Graph quota), a fresh one for every configuration, in its own process; every configuration is
measured in a child process of its own, so its CPU time and peak RSS are its alone.

Configurations:

* ``threads W``: ``azure.mgmt.containerservice.ContainerServiceClient`` + ``azure.identity.DefaultAzureCredential``,
  one call per task in a ``concurrent.futures.ThreadPoolExecutor(W)`` (our collector's way). One client per
  subscription sharing one requests transport with a pool of W + 4 connections, proxies and the CA bundle
  (REQUESTS_CA_BUNDLE) read once, ``retry_backoff_factor=0.8``: a copy of ``_PooledTransport`` and of the
  options in ``auditor/collectors/azure/clients.py``, copied rather than imported so the measuring child
  does not load auditor's own modules (pydantic and so on), which would count in its RSS and not in the
  async child's. The collector's read pacing policy is left out on both sides (at 50 clusters per
  subscription the 250-read burst is never exhausted); so is its call-log policy.
* ``async C``: ``azure.mgmt.containerservice.aio.ContainerServiceClient`` + ``azure.identity.aio.DefaultAzureCredential``
  on ``AioHttpTransport``, all calls gathered at once and bounded by ``asyncio.Semaphore(C)``. The transport is
  given an ``aiohttp.ClientSession`` whose ``TCPConnector`` holds the CA as an ``ssl.SSLContext`` and keeps
  up to C + 4 connections (``AioHttpTransport(session=..., session_owner=False)``, a documented keyword); the
  credential gets ``connection_verify=<CA file>``, which azure.identity passes to its own pipeline's
  ``AioHttpTransport``. SSL_CERT_FILE / SSL_CERT_DIR are removed from every child's environment, so nothing
  verifies against the fake's CA by accident.
* ``async C, connection_verify=CA``: the obvious alternative, ``AioHttpTransport(connection_verify=<CA file>)``
  with its own session. azure-core then builds a new ``ssl.SSLContext`` from the file for every request and
  aiohttp keys its pool by that context, so no connection is ever reused (a TLS handshake per call). Kept as
  one extra row to show the cost (``--naive-concurrency 0`` skips it).
* ``sequential``: the sync client, one call after another, over ``--baseline-clusters`` clusters; its wall
  time is extrapolated linearly to ``--clusters`` (printed as such).

Retries (429 with Retry-After), paging and error mapping are the SDK's own on both sides. Wall and CPU
time cover the measured phase (credential, clients, every call, closing), not interpreter start and imports;
peak RSS is the child's ``ru_maxrss``. 429s are the fake's own count (``/_fake/stats``, as collect.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.collect import READS, ROOT, fake_server

SCOPE = ["https://management.azure.com/.default"]
RETRY_BACKOFF = 0.8  # AzureSettings.retry_backoff's default, as the collector passes it
PACKAGES = ("azure-mgmt-containerservice", "azure-core", "azure-identity", "aiohttp", "requests", "urllib3")


def page_items(models: list[Any]) -> list[Any]:
    """The collector's ``cls`` for paged reads (auditor/collectors/azure/aks.py): the page's items as dicts."""
    return [model.as_dict() if hasattr(model, "as_dict") else model for model in models]


# --- the measuring child -------------------------------------------------------------------------------


def _sync_transport(pool_size: int, endpoint: str) -> Any:
    """``_PooledTransport`` of auditor/collectors/azure/clients.py, copied (see the module docstring)."""
    from azure.core.pipeline.transport import RequestsTransport
    from requests.utils import get_environ_proxies

    class PooledTransport(RequestsTransport):  # type: ignore[misc]
        def __init__(self) -> None:
            ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            super().__init__(connection_verify=ca_bundle or True)
            self._proxies = get_environ_proxies(endpoint)

        def _init_session(self, session: Any) -> None:
            super()._init_session(session)
            for adapter in {id(a): a for a in session.adapters.values()}.values():
                adapter.init_poolmanager(pool_size, pool_size)
            session.trust_env = False
            session.proxies = dict(self._proxies)

    transport = PooledTransport()
    transport.open()
    return transport


def measure_threads(base: str, workers: int, targets: list[list[str]]) -> dict[str, Any]:
    """Sync client; ``workers`` > 0: one call per task in a thread pool, 0: the sequential loop."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from azure.identity import DefaultAzureCredential
    from azure.mgmt.containerservice import ContainerServiceClient

    transport = _sync_transport(max(workers, 1) + 4, base)
    clients: dict[str, Any] = {}
    lock = threading.Lock()
    errors: dict[str, int] = {}

    with DefaultAzureCredential() as credential:

        def client_for(subscription: str) -> Any:
            with lock:
                client = clients.get(subscription)
                if client is None:
                    client = clients[subscription] = ContainerServiceClient(
                        credential, subscription, **_options(base, transport)
                    )
                return client

        def one(target: list[str]) -> int:
            subscription, group, name = target
            try:
                operations = client_for(subscription).maintenance_configurations
                return len(list(operations.list_by_managed_cluster(group, name, cls=page_items)))
            except Exception as exc:  # counted and reported, never silently dropped
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return 0

        if workers:
            with ThreadPoolExecutor(workers) as pool:
                items = sum(pool.map(one, targets))
        else:
            items = sum(one(target) for target in targets)
    transport.close()
    return {"calls": len(targets), "items": items, "errors": errors}


async def measure_async(
    base: str, ca: str, concurrency: int, targets: list[list[str]], naive: bool
) -> dict[str, Any]:
    import asyncio
    import ssl

    import aiohttp
    from azure.core.pipeline.transport import AioHttpTransport
    from azure.identity.aio import DefaultAzureCredential
    from azure.mgmt.containerservice.aio import ContainerServiceClient

    session = None
    if naive:  # the transport opens its own session and gets the CA path per request
        transport = AioHttpTransport(connection_verify=ca)
    else:
        connector = aiohttp.TCPConnector(limit=concurrency + 4, ssl=ssl.create_default_context(cafile=ca))
        # As AioHttpTransport builds its own session (no cookies, decompression left to azure-core), with
        # the environment read once rather than per request, like the sync transport above.
        session = aiohttp.ClientSession(
            connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False
        )
        transport = AioHttpTransport(session=session, session_owner=False)
    proxies = _environ_proxies(base)
    clients: dict[str, Any] = {}
    errors: dict[str, int] = {}
    semaphore = asyncio.Semaphore(concurrency)

    async with DefaultAzureCredential(connection_verify=ca) as credential:

        def client_for(subscription: str) -> Any:  # no await inside: no race in one event loop
            client = clients.get(subscription)
            if client is None:
                client = clients[subscription] = ContainerServiceClient(
                    credential, subscription, **_options(base, transport), proxies=proxies or None
                )
            return client

        async def one(target: list[str]) -> int:
            subscription, group, name = target
            async with semaphore:
                try:
                    operations = client_for(subscription).maintenance_configurations
                    pager = operations.list_by_managed_cluster(group, name, cls=page_items)
                    return len([item async for item in pager])
                except Exception as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    return 0

        items = sum(await asyncio.gather(*(one(target) for target in targets)))
    await transport.close()
    if session is not None:
        await session.close()
    return {"calls": len(targets), "items": items, "errors": errors}


def _environ_proxies(endpoint: str) -> dict[str, str]:
    from urllib.request import getproxies, proxy_bypass

    host = endpoint.split("://", 1)[-1].split("/", 1)[0]
    return {} if proxy_bypass(host) else dict(getproxies())


def measure(args: argparse.Namespace) -> None:
    """Child process: one configuration; targets (subscription, group, cluster) on stdin."""
    import asyncio
    import importlib

    # The client modules are imported before the clock starts (their import is not what is measured).
    if args.measure == "async":
        modules = ["aiohttp", "azure.identity.aio", "azure.mgmt.containerservice.aio"]
    else:
        modules = ["azure.identity", "azure.mgmt.containerservice"]
    for module in modules:
        importlib.import_module(module)
    targets = json.loads(sys.stdin.read())
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if args.measure == "async":
        read = asyncio.run(measure_async(args.base, args.ca, args.workers, targets, args.naive))
    else:
        read = measure_threads(args.base, args.workers if args.measure == "threads" else 0, targets)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
    print(json.dumps(read | {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": usage.ru_maxrss / 1024}))


# --- the parent ----------------------------------------------------------------------------------------


def run(
    mode: str, workers: int, targets: list[list[str]], args: argparse.Namespace, naive: bool = False
) -> dict[str, Any]:
    """A fresh fake (collect.py --serve) and one measuring child against it."""
    with fake_server(args.clusters, args) as fake:
        # the sync side's CA is REQUESTS_CA_BUNDLE (requests and our transport read it); nothing else
        env = fake.environment(remove={"SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"})
        command = [sys.executable, str(Path(__file__).resolve()), "--measure", mode, "--base", fake.info["base"],
                   "--ca", fake.info["ca"], "--workers", str(workers)]  # fmt: skip
        done = subprocess.run(
            [*command, *(["--naive"] if naive else [])],
            input=json.dumps(targets),
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode:
            sys.exit(f"{mode} {workers} failed:\n{done.stderr}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        stats = fake.stats()
        result |= {
            "requests": stats["requests"],
            "throttled": stats["byStatus"].get("429", 0),
            "by_status": stats["byStatus"],
            "tokens": stats["byRoute"].get("token", 0),
            "stderr": done.stderr.strip(),
        }
        return result | {"fake_cpu_s": fake.stop()["cpu_s"]}


def _options(base: str, transport: Any) -> dict[str, Any]:
    """The client options both sides share (the collector's: endpoint, audience, backoff)."""
    return {
        "base_url": base,
        "credential_scopes": SCOPE,
        "transport": transport,
        "retry_backoff_factor": RETRY_BACKOFF,
    }


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip() and int(part)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=2_000)
    parser.add_argument("--subscriptions", type=int, default=40)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.04)
    parser.add_argument("--threads", default="16,32", help="thread pool sizes (sync client)")
    parser.add_argument("--concurrency", default="16,32,64", help="semaphore bounds (async client)")
    parser.add_argument("--baseline-clusters", type=int, default=250)
    parser.add_argument(
        "--naive-concurrency",
        type=int,
        default=32,
        help="async with AioHttpTransport(connection_verify=CA) at this bound; 0: skip",
    )
    parser.add_argument("--measure", choices=["threads", "async", "sequential"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args)
    else:
        compare(args)


def compare(args: argparse.Namespace) -> None:
    from importlib.metadata import version

    from tests.fakes.arm_estate import subscription_id, windows

    load = os.getloadavg()
    # The generated estate's clusters (tests/fakes/arm_estate.generated_estate): round-robin over subscriptions.
    targets = [
        [subscription_id(index % args.subscriptions), "rg1", f"aks-{index:05d}"]
        for index in range(args.clusters)
    ]
    expected_items = len(windows())
    print(
        f"{args.clusters} clusters over {args.subscriptions} subscriptions; latency {args.latency * 1000:.0f} ms; "
        f"ARM reads {READS[0]} burst + {READS[1]:.0f}/s per subscription; {os.cpu_count()} cores; "
        f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(f"Python {sys.version.split()[0]}; " + ", ".join(f"{name} {version(name)}" for name in PACKAGES))
    plan: list[tuple[str, str, int, list[list[str]], bool]] = []
    for workers in _ints(args.threads):
        plan.append((f"sync, {workers} threads", "threads", workers, targets, False))
    for bound in _ints(args.concurrency):
        plan.append((f"async, semaphore {bound}", "async", bound, targets, False))
    if args.naive_concurrency:
        bound = args.naive_concurrency
        plan.append((f"async {bound}, verify=CA path", "async", bound, targets, True))
    baseline = targets[: min(args.baseline_clusters, args.clusters)]
    plan.append(("sequential sync loop", "sequential", 0, baseline, False))

    header = (
        f"{'':<28}{'calls':>7}{'wall s':>9}{'CPU s':>8}{'CPU ms/call':>13}{'calls/s':>9}{'429s':>6}"
        f"{'requests':>10}{'peak RSS MB':>13}{'fake CPU s':>12}"
    )
    print(header)
    rows = []
    for name, mode, workers, chosen, naive in plan:
        row = run(mode, workers, chosen, args, naive)
        rows.append((name, row))
        scale = args.clusters / row["calls"]
        wall = row["wall_s"] * scale
        mark = f"  <- measured over {row['calls']}, wall x{scale:.0f}" if scale != 1 else ""
        print(
            f"{name:<28}{row['calls'] * scale:>7.0f}{wall:>9.1f}{row['cpu_s'] * scale:>8.1f}"
            f"{row['cpu_s'] / row['calls'] * 1000:>13.2f}{row['calls'] / row['wall_s']:>9.0f}{row['throttled']:>6}"
            f"{row['requests']:>10}{row['peak_rss_mb']:>13.0f}{row['fake_cpu_s']:>12.1f}{mark}",
            flush=True,
        )
        if row["wall_s"] > 60:
            print(f"  {name}: over 60 s; rerun with fewer --clusters")
    problems = []
    for name, row in rows:
        if row["errors"] or row["items"] != row["calls"] * expected_items:
            problems.append(f"{name}: {row['items']} items for {row['calls']} calls, errors {row['errors']}")
        if row["stderr"]:
            print(f"stderr of {name}:\n{row['stderr']}")
        print(f"{name}: {row['tokens']} token requests among its {row['requests']} requests")
        statuses = {k: v for k, v in row["by_status"].items() if k != "200"}
        if statuses:
            print(f"non-200 answers of {name}: {statuses}")
    if problems:
        sys.exit("\n".join(problems))
    print(f"every configuration read {expected_items} maintenance configurations per cluster, no errors")


if __name__ == "__main__":
    main()
