"""Live collection against the fake ARM with latency and Resource Graph rate limits.

    .venv/bin/python benchmarks/collect.py [--clusters 10000] [--subscriptions 200] [--regions 20]
        [--latency 0.04] [--baseline-clusters 1000] [--workers 64]

Compares our collector (Resource Graph + bounded concurrency) with a sequential SDK loop (list clusters per
subscription, then each cluster's maintenance configurations, then each region's catalog). The fake runs in
its own process (so its CPU does not compete with the measurement) and so does each measurement (so peak
RSS is that measurement's alone). Resource Graph allows 15 requests per 5 s window, as Azure's default user
quota does; the fake answers 429 with the quota headers, without Retry-After. ARM reads (maintenance
configurations, catalogs) go through ARM's per-subscription read bucket, 250 burst and 25 per second, answered
429 with Retry-After when empty. The sequential loop takes
~45 ms per call at 40 ms latency, so it runs over --baseline-clusters and its time is extrapolated linearly
to --clusters (printed as such).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.collectors.azure.settings import AzureSettings  # noqa: E402  # the product's defaults

QUOTA = (15, 5.0)  # Resource Graph: 15 requests per 5 seconds per user (throttling guidance)
READS = (250, 25.0)  # ARM: read token bucket per subscription (and region), 250 burst, 25 per second
AUTH_VARIABLES = ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE")


def serve(args: argparse.Namespace) -> None:
    """Child process: run the fake until stdin closes; print how to reach it."""
    from tests.fakes.arm import FakeArm, ReadBucket
    from tests.fakes.arm_estate import generated_estate

    estate = generated_estate(args.clusters, args.subscriptions, args.regions)
    with tempfile.TemporaryDirectory() as workdir, FakeArm(estate, Path(workdir)) as fake:
        fake.latency = args.latency
        fake.graph_quota = QUOTA
        fake.read_bucket = ReadBucket(capacity=READS[0], refill=READS[1])
        print(json.dumps({"base": fake.base, "ca": str(fake.ca_file), "identity": fake.identity_endpoint}))
        sys.stdout.flush()
        before = resource.getrusage(resource.RUSAGE_SELF)  # serving only, not building the estate
        sys.stdin.read()
        throttled: dict[str, int] = {}
        for call in fake.calls():
            if call.status == 429:
                throttled[call.route] = throttled.get(call.route, 0) + 1
        # Read by run() once stdin is closed: 429s by route and the fake's own CPU time.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime
        print(json.dumps({"throttled": throttled, "cpu_s": cpu}))


def measure_ours(base: str, workers: int, processes: int = 1) -> dict[str, Any]:
    from azure.identity import DefaultAzureCredential

    from auditor.collectors.azure.collector import AzureCollector
    from auditor.collectors.azure.settings import AzureSettings
    from auditor.collectors.processes import collect_in_processes

    settings = AzureSettings(arm_endpoint=base, workers=workers)
    with DefaultAzureCredential() as credential:
        if processes > 1:  # as `collect --processes P`: each worker signs in with its own credential
            estate = collect_in_processes(settings, processes, credential, DefaultAzureCredential)
        else:
            estate = AzureCollector(credential, settings).collect()
    return {"clusters": len(estate.clusters), "gaps": len(estate.coverage.gaps)}


def measure_sequential(base: str) -> dict[str, Any]:
    from azure.identity import DefaultAzureCredential
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.resourcegraph import ResourceGraphClient
    from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

    scope = ["https://management.azure.com/.default"]
    clusters = 0
    with DefaultAzureCredential() as credential:
        graph = ResourceGraphClient(credential, base_url=base, credential_scopes=scope)
        query = (
            "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId"
        )
        request = QueryRequest(query=query, options=QueryRequestOptions(top=1000))  # <= 1000 subscriptions
        rows: Any = graph.resources(request).data
        subscriptions = [row["subscriptionId"] for row in rows]
        regions: dict[str, str] = {}
        for subscription in subscriptions:
            client = ContainerServiceClient(credential, subscription, base_url=base, credential_scopes=scope)
            for cluster in client.managed_clusters.list():
                group = str(cluster.id).split("/")[4]
                list(client.maintenance_configurations.list_by_managed_cluster(group, str(cluster.name)))
                regions.setdefault(cluster.location, subscription)
                clusters += 1
        for location, subscription in regions.items():
            client = ContainerServiceClient(credential, subscription, base_url=base, credential_scopes=scope)
            client.managed_clusters.list_kubernetes_versions(location)
    return {"clusters": clusters, "gaps": 0}


def measure(args: argparse.Namespace) -> None:
    """Child process: one measurement; prints wall time, peak RSS and what was read."""
    started = time.perf_counter()
    if args.measure == "ours":
        read = measure_ours(args.base, args.workers, args.processes)
    else:
        read = measure_sequential(args.base)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # forked collection workers, if any
    cpu = usage.ru_utime + usage.ru_stime + workers.ru_utime + workers.ru_stime
    peak = {"peak_rss_mb": usage.ru_maxrss / 1024, "worker_peak_rss_mb": workers.ru_maxrss / 1024}
    print(json.dumps(read | {"wall_s": wall, "cpu_s": cpu} | peak))


def _stats(base: str, ca: str) -> dict[str, Any]:
    import requests

    response = requests.get(f"{base}/_fake/stats", verify=ca, timeout=30)
    stats: dict[str, Any] = response.json()
    return stats


@contextmanager
def fake_server(clusters: int, args: argparse.Namespace) -> Iterator[Served]:
    """The fake ARM (``--serve``) in a child process of its own, over ``clusters``; stopped on exit."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "--clusters", str(clusters),
         "--subscriptions", str(args.subscriptions), "--regions", str(args.regions), "--latency", str(args.latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        yield Served(server, json.loads(server.stdout.readline()))
    finally:
        if server.stdin is not None and not server.stdin.closed:
            server.stdin.close()
        server.wait(timeout=30)


@dataclass
class Served:
    """A running fake: where it is (``info``: base, ca, identity), and what it saw."""

    server: subprocess.Popen[str]
    info: dict[str, Any]

    def environment(self, remove: Iterable[str] = ()) -> dict[str, str]:
        """This environment signed in to the fake (DefaultAzureCredential through its identity endpoint)."""
        drop = {*AUTH_VARIABLES, *remove}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        return env | {
            "IDENTITY_ENDPOINT": self.info["identity"],
            "IDENTITY_HEADER": "fake-identity-header",
            "REQUESTS_CA_BUNDLE": self.info["ca"],
        }

    def stats(self) -> dict[str, Any]:
        return _stats(self.info["base"], self.info["ca"])

    def stop(self) -> dict[str, Any]:
        """Stop serving: the fake's 429s by route and its own CPU time."""
        assert self.server.stdin is not None and self.server.stdout is not None
        self.server.stdin.close()
        return dict(json.loads(self.server.stdout.readline()))


def run(mode: str, clusters: int, args: argparse.Namespace, processes: int = 1) -> dict[str, Any]:
    with fake_server(clusters, args) as fake:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--measure", mode, "--base", fake.info["base"],
             "--workers", str(args.workers), "--processes", str(processes)],
            env=fake.environment() | {"SSL_CERT_FILE": fake.info["ca"]},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )  # fmt: skip
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        stats = fake.stats()
        result |= {
            "requests": stats["requests"],
            "throttled": stats["byStatus"].get("429", 0),
            "size": clusters,
        }
        server_side = fake.stop()
        return result | {"throttled_by_route": server_side["throttled"], "fake_cpu_s": server_side["cpu_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.04)
    parser.add_argument("--baseline-clusters", type=int, default=1_000)
    parser.add_argument(
        "--workers", type=int, default=AzureSettings.model_fields["workers"].default, help="--workers of ours"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="processes of the second run of ours (collect --processes)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["ours", "sequential"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
    elif args.measure:
        measure(args)
    else:
        compare(args)


def compare(args: argparse.Namespace) -> None:
    ours = run("ours", args.clusters, args)
    parallel = run("ours", args.clusters, args, args.processes) if args.processes > 1 else None
    baseline = run("sequential", min(args.baseline_clusters, args.clusters), args)
    scale = args.clusters / baseline["clusters"]
    print(
        f"estate: {args.clusters} clusters, {args.subscriptions} subscriptions, {args.regions} regions; "
        f"latency {args.latency * 1000:.0f} ms; Resource Graph quota {QUOTA[0]} per {QUOTA[1]:.0f} s; "
        f"ARM reads {READS[0]} burst + {READS[1]:.0f}/s per subscription"
    )
    print(f"{'':<22}{'clusters':>9}{'wall s':>10}{'requests':>10}{'429s':>6}{'peak RSS MB':>13}")
    rows = [("ours", ours), ("sequential SDK loop", baseline)]
    if parallel:
        rows.insert(1, (f"ours, --processes {args.processes}", parallel))
    for name, row in rows:
        workers = (
            f"  (+ workers' peak {row['worker_peak_rss_mb']:.0f})" if row.get("worker_peak_rss_mb") else ""
        )
        print(
            f"{name:<22}{row['clusters']:>9}{row['wall_s']:>10.1f}{row['requests']:>10}{row['throttled']:>6}"
            f"{row['peak_rss_mb']:>13.0f}{workers}"
        )
    print(
        f"CPU during ours: collector {ours['cpu_s']:.1f} s + fake {ours['fake_cpu_s']:.1f} s over "
        f"{ours['wall_s']:.1f} s wall on {os.cpu_count()} cores"
    )
    if parallel:
        print(
            f"CPU during ours --processes {args.processes}: collector processes {parallel['cpu_s']:.1f} s + fake "
            f"{parallel['fake_cpu_s']:.1f} s over {parallel['wall_s']:.1f} s wall"
        )
    for name, row in rows:
        if row["throttled"]:
            print(f"429s of {name} by route: {row['throttled_by_route']}")
    extrapolated = baseline["wall_s"] * scale
    print(
        f"sequential extrapolated to {args.clusters} clusters: {extrapolated:.0f} s "
        f"(x{scale:.0f} of the measured run); ratio sequential/ours: {extrapolated / ours['wall_s']:.1f}x"
        + (
            f", sequential/ours --processes {args.processes}: {extrapolated / parallel['wall_s']:.1f}x"
            if parallel
            else ""
        )
    )
    if ours["clusters"] != args.clusters or ours["gaps"]:
        sys.exit(f"ours read {ours['clusters']} clusters with {ours['gaps']} gaps: expected all, none")


if __name__ == "__main__":
    main()
