"""Live collection: Resource Graph for the resources, the AKS API for catalogs and maintenance windows.

Anything that cannot be read becomes a :class:`CoverageGap` and the collection goes on; only a failure to
authenticate or to list any subscription at all stops it (:class:`CollectionError`, exit 3).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from typing import Any, TypeVar

from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

from auditor.collectors.azure import graph as queries
from auditor.collectors.azure.aio import AsyncClients
from auditor.collectors.azure.aks import AksApi, AsyncAksApi
from auditor.collectors.azure.assemble import PARSERS, Assembler, QueryResult
from auditor.collectors.azure.clients import AzureClients
from auditor.collectors.azure.dispatch import FairDispatch
from auditor.collectors.azure.fleet_runs import FleetRuns, needs_run_times, with_run_times
from auditor.collectors.azure.graph import BatchResult, GraphQuery, QuotaGate, ResourceGraph, describe
from auditor.collectors.azure.pacing import DEFAULT_READ_LIMITS, ReadLimits
from auditor.collectors.azure.settings import AzureSettings
from auditor.collectors.interface import PayloadError
from auditor.errors import CollectionError
from auditor.inventory import (
    Cluster,
    Coverage,
    CoverageGap,
    Estate,
    Fleet,
    Scope,
    ShardInfo,
    SubscriptionRef,
    VersionCatalog,
)
from auditor.inventory.base import normalize_id
from auditor.inventory.estate import normalize_location
from auditor.shard import scope_digest

#: ``progress(phase, done, total)``; called from the collecting thread only.
Progress = Callable[[str, int, int], None]
T = TypeVar("T")

SOURCE = "azure"
#: Sent first: every per-cluster read waits for its cluster's row, so its pages get the quota first.
FIRST_QUERY = queries.CLUSTERS
#: Sent once the clusters are in (the fleets' side is needed only to assemble the estate at the end).
LATER_QUERIES = (
    queries.FLEETS,
    queries.MEMBERS,
    queries.UPDATE_RUNS,
    queries.STRATEGIES,
    queries.AUTO_UPGRADE,
)
RESOURCE_QUERIES = (FIRST_QUERY, *LATER_QUERIES)
#: What a single read may fail with and still leave the rest of the collection meaningful (never
#: ValueError: a bug of ours must not turn into a coverage gap; unreadable JSON is a PayloadError).
READ_ERRORS = (AzureError, PayloadError)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class AzureCollector:
    """Collects an :class:`Estate` from Azure with the given credential (built by the caller).

    ARM reads are paced per subscription within ``read_limits`` (ARM's documented read bucket by default;
    ``None`` = unpaced, for tests of the SDK's own 429 handling).
    """

    def __init__(
        self,
        credential: TokenCredential,
        settings: AzureSettings,
        *,
        progress: Progress | None = None,
        read_limits: ReadLimits | None = DEFAULT_READ_LIMITS,
        quota: QuotaGate | None = None,
    ) -> None:
        self._credential = credential
        self._settings = settings
        self._progress = progress
        self._read_limits = read_limits
        self._quota = quota

    def collect(self) -> Estate:
        collected_at = datetime.now(UTC)
        clients = AzureClients(self._credential, self._settings, read_limits=self._read_limits)
        # The per-cluster reads: async, on --workers connections (benchmarks/results/async_clients.md)
        aio = AsyncClients(self._credential, self._settings, clients.pacer, self._settings.workers)
        try:
            return _Run(clients, self._settings, self._progress, self._quota, aio).estate(collected_at)
        except ClientAuthenticationError as error:
            raise CollectionError(
                f"Azure authentication failed: {_first_line(error)}",
                hint="sign in (az login), or configure a managed identity, workload identity or "
                "AZURE_CLIENT_* variables for DefaultAzureCredential",
            ) from None
        finally:
            aio.close()
            clients.close()


class _Run:
    """State of one collection: clients, the gaps found so far and the worker pool."""

    def __init__(
        self,
        clients: AzureClients,
        settings: AzureSettings,
        progress: Progress | None,
        quota: QuotaGate | None,
        aio: AsyncClients,
    ) -> None:
        self.settings = settings
        self.progress = progress
        self.graph = ResourceGraph(
            clients.graph(),
            page_size=settings.page_size,
            batch_size=settings.subscription_batch,
            backoff=settings.retry_backoff,
            retries=settings.throttle_retries,
            gate=quota,
        )
        self.aks = AksApi(clients)
        self.aio = aio
        self.aks_async = AsyncAksApi(aio)
        self.fleet_runs = FleetRuns(clients)
        self.read_ready_in = clients.read_ready_in
        self.gaps: list[CoverageGap] = []
        #: With a shard: the whole scope's subscription ids (set by ``subscriptions``).
        self._scope: list[str] = []
        self._lock = threading.Lock()

    def gap(self, scope: str, target: str, operation: str, reason: str) -> None:
        with self._lock:
            self.gaps.append(_gap(scope, target, operation, reason))

    def _absorb(self, name: str, results: Iterable[BatchResult], subscriptions: Sequence[str]) -> QueryResult:
        """Merge a query's batches; denied subscriptions and failed batches become gaps."""
        rows: list[Any] = []
        failed: set[str] = set()
        failures: list[str] = []
        for result in results:
            rows.extend(result.rows)
            for sub, reason in result.denied.items():
                failed.add(sub.lower())
                self.gap("subscription", sub, f"resourcegraph:{name}", reason)
            for batch, reason in result.failed:
                failed.update(s.lower() for s in batch)
                failures.append(reason)
                shown = ", ".join(batch[:3]) + (f" (+{len(batch) - 3} more)" if len(batch) > 3 else "")
                self.gap("call", f"resourcegraph:{name}", f"query subscriptions {shown}", reason)
        ok = {s.lower() for s in subscriptions} - failed
        return QueryResult(items=rows, ok_subscriptions=frozenset(ok), failures=tuple(failures))

    def _query(
        self, query: GraphQuery, subscriptions: Sequence[str], observe: Callable[[Any], None]
    ) -> QueryResult:
        """One resource query; each parsed item is shown to ``observe`` as its page arrives."""
        parse = PARSERS[query.name]

        def parse_and_observe(row: Mapping[str, Any]) -> Any:
            item = parse(row)
            observe(item)
            return item

        return self._absorb(
            query.name, self.graph.batched(query, subscriptions, parse_and_observe), subscriptions
        )

    def subscriptions(self) -> list[SubscriptionRef]:
        """The subscriptions in scope (named ones, those under the management groups, or all readable).

        Named subscriptions or groups that cannot be read are gaps; if nothing at all can be listed
        because the calls fail (not because access is denied), there is nothing to scan: CollectionError.
        """
        settings = self.settings
        rows: list[Mapping[str, Any]] = []
        failures: list[str] = []
        if settings.subscriptions:
            wanted = list(dict.fromkeys(settings.subscriptions))
            if settings.shard is not None:  # the scope is the named list; only this shard's are read
                excluded = {sub.lower() for sub in settings.exclude_subscriptions}
                self._scope = [sub for sub in wanted if sub.lower() not in excluded]
                wanted = [sub for sub in wanted if settings.shard.owns(sub)]
            found = self._absorb("subscriptions", self.graph.batched(queries.SUBSCRIPTIONS, wanted), wanted)
            rows.extend(found.items)
            failures.extend(found.failures)
            seen = {str(row.get("subscriptionId")).lower() for row in rows}
            for sub in wanted:
                if sub.lower() in found.ok_subscriptions and sub.lower() not in seen:
                    self.gap("subscription", sub, "resourcegraph:subscriptions", "not found or not readable")
        groups = settings.management_groups or (() if settings.subscriptions else (None,))
        for group in groups:
            try:
                rows.extend(
                    self.graph.rows(queries.SUBSCRIPTIONS, management_groups=[group] if group else [])
                )
            except ClientAuthenticationError:
                raise
            except READ_ERRORS as error:
                reason = describe(error)
                if not (isinstance(error, HttpResponseError) and error.status_code == 403):
                    failures.append(reason)  # denied is an answer; a failed call is not
                if group:
                    self.gap("call", f"managementGroup:{group}", "resourcegraph:subscriptions", reason)
        if failures and not rows:
            raise CollectionError(f"cannot list subscriptions at {settings.endpoint}: {failures[0]}")
        excluded = {sub.lower() for sub in settings.exclude_subscriptions}
        refs = {
            str(row.get("subscriptionId")).lower(): SubscriptionRef(
                id=str(row.get("subscriptionId")),
                name=row.get("name") if isinstance(row.get("name"), str) else None,
            )
            for row in rows
            if isinstance(row.get("subscriptionId"), str)
        }
        kept = (ref for key, ref in refs.items() if key not in excluded)
        in_scope = sorted(kept, key=lambda r: r.id.lower())
        if settings.shard is None:
            return in_scope
        if not settings.subscriptions:
            self._scope = [ref.id for ref in in_scope]
        return [ref for ref in in_scope if settings.shard.owns(ref.id)]

    def shard_info(self) -> ShardInfo | None:
        """This collection's shard marker (after :meth:`subscriptions`): which shard, of which scope."""
        shard = self.settings.shard
        if shard is None:
            return None
        return ShardInfo(
            index=shard.index,
            count=shard.count,
            scope_subscriptions=len({sub.lower() for sub in self._scope}),
            scope_digest=scope_digest(self._scope),
        )

    def wait_all(self, phase: str, futures: Sequence[Future[T]]) -> list[T]:
        """Results in order; progress as they complete. On any failure (auth, Ctrl-C) nothing queued runs."""
        position = {future: index for index, future in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                results[position[future]] = future.result()
                if self.progress is not None:
                    self.progress(phase, done, len(futures))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results

    def estate(self, collected_at: datetime) -> Estate:
        subscriptions = self.subscriptions()
        ids = [ref.id for ref in subscriptions]
        with ThreadPoolExecutor(self.settings.workers, thread_name_prefix="aks-auditor") as pool:
            early = _EarlyReads(self, pool)
            dating: list[Future[tuple[str, dict[str, str]]]] = []
            try:
                found = self.wait_all("resource graph", self._resource_queries(pool, ids, early.see))
                assembler = Assembler(
                    dict(zip((q.name for q in RESOURCE_QUERIES), found, strict=True)), self.gap
                )
                names = {ref.id.lower(): ref.name for ref in subscriptions}
                clusters = assembler.clusters(names)
                fleets = assembler.fleets(names)
                dating = [pool.submit(self.run_times, fleet) for fleet in fleets if needs_run_times(fleet)]
                catalogs = early.catalogs(clusters)
                clusters = early.details(clusters)
                fleets = self.dated(fleets, self.wait_all("update runs", dating))
            except BaseException:
                for future in dating:
                    future.cancel()
                early.cancel()
                raise
        clusters = assembler.with_memberships(clusters, fleets)
        read = assembler.read_counts(clusters, fleets) | {
            "subscriptions": len(subscriptions),
            "versionCatalogs": len(catalogs),
            "maintenanceConfigurations": sum(1 for c in clusters if c.maintenance_configurations is not None),
        }
        return Estate(
            collected_at=collected_at,
            source=SOURCE,
            scope=Scope(
                subscriptions=tuple(subscriptions), management_groups=self.settings.management_groups
            ),
            coverage=Coverage(read=read, gaps=tuple(sorted(self.gaps, key=lambda gap: gap.order))),
            clusters=tuple(clusters),
            catalogs=tuple(catalogs),
            fleets=tuple(fleets),
            shard=self.shard_info(),
        )

    def _resource_queries(
        self, pool: ThreadPoolExecutor, ids: Sequence[str], see: Callable[[Any], None]
    ) -> list[Future[QueryResult]]:
        """RESOURCE_QUERIES' futures, in order. The Resource Graph quota is small (Azure's default: 15
        requests per 5 s, shared by every process of a collection): the clusters' pages are sent first,
        so that a window spent on the other queries never holds back the per-cluster reads
        (benchmarks/results/collect.md); the others follow once the clusters are in."""
        first = pool.submit(self._query, FIRST_QUERY, ids, see)

        def after_first(query: GraphQuery) -> QueryResult:
            first.result()  # what stopped it (authentication) stops these too, unsent
            return self._query(query, ids, see)

        return [first, *(pool.submit(after_first, query) for query in LATER_QUERIES)]

    def run_times(self, fleet: Fleet) -> tuple[str, dict[str, str]]:
        """The creation times of a fleet's update runs (see fleet_runs.py); a gap when they cannot be read,
        and the runs stay undated (FLEET-004 then says why it cannot decide)."""
        try:
            return fleet.id, self.fleet_runs.creation_times(fleet)
        except ClientAuthenticationError:
            raise
        except READ_ERRORS as error:
            self.gap("fleet", fleet.id, "updateRuns (creation times)", describe(error))
            return fleet.id, {}

    @staticmethod
    def dated(fleets: Sequence[Fleet], found: Sequence[tuple[str, dict[str, str]]]) -> list[Fleet]:
        times = {normalize_id(fleet_id): runs for fleet_id, runs in found}
        return [
            with_run_times(fleet, times[normalize_id(fleet.id)]) if normalize_id(fleet.id) in times else fleet
            for fleet in fleets
        ]

    def catalog(self, location: str, subscription: str) -> tuple[VersionCatalog | None, list[CoverageGap]]:
        """One region's ``ListKubernetesVersions`` (or the gap saying why not)."""
        try:
            return self.aks.catalog(subscription, location), []
        except ClientAuthenticationError:
            raise
        except READ_ERRORS as error:
            return None, [_gap("region", location, "kubernetesVersions", describe(error))]

    def details(self, cluster: Cluster) -> Future[tuple[dict[str, Any], list[CoverageGap]]]:
        """A cluster's maintenance configurations, read on the async clients, as an update."""
        return self.aio.run(self._maintenance(cluster))

    async def _maintenance(self, cluster: Cluster) -> tuple[dict[str, Any], list[CoverageGap]]:
        try:
            return {"maintenance_configurations": await self.aks_async.maintenance(cluster)}, []
        except ClientAuthenticationError:
            raise
        except READ_ERRORS as error:
            # Left as None (not collected): the window policies then error for this cluster, never pass.
            return {}, [_gap("cluster", cluster.id, "maintenanceConfigurations", describe(error))]

    def deep_details(self, cluster: Cluster) -> tuple[dict[str, Any], list[CoverageGap]]:
        """With ``deep``: the upgrade profiles of a cluster and of its pools, as an update."""
        try:
            return {
                "upgrade_profile": self.aks.upgrade_profile(cluster),
                "node_pools": tuple(
                    pool.model_copy(
                        update={"latest_node_image_version": self.aks.latest_node_image(cluster, pool.name)}
                    )
                    for pool in cluster.node_pools
                ),
            }, []
        except ClientAuthenticationError:
            raise
        except READ_ERRORS as error:
            return {}, [_gap("cluster", cluster.id, "upgradeProfiles", describe(error))]


class _EarlyReads:
    """Per-cluster and per-region AKS reads, started as soon as Resource Graph returns a cluster (they
    overlap the remaining pages), kept only for the clusters that end up in the estate."""

    def __init__(self, run: _Run, pool: ThreadPoolExecutor) -> None:
        self._run = run
        self._dispatch = FairDispatch(pool, run.read_ready_in)
        self._lock = threading.RLock()  # done-callbacks may run inside see(), which holds it
        self._stopped = False
        self._error: BaseException | None = None  # the failure that stopped the reads
        #: Per cluster: its maintenance read (async) and, with ``deep``, its upgrade profile reads.
        self._details: dict[str, list[Future[tuple[dict[str, Any], list[CoverageGap]]]]] = {}
        self._regions: dict[str, Future[tuple[VersionCatalog | None, list[CoverageGap]]]] = {}

    def see(self, item: Any) -> None:
        if not isinstance(item, Cluster):
            return
        with self._lock:
            if self._stopped:
                return
            key = normalize_id(item.id)
            if key not in self._details:  # a bisected batch may return the same cluster again
                reads = [self._watched(self._run.details(item))]
                if self._run.settings.deep:
                    reads.append(
                        self._watched(
                            self._dispatch.submit(item.subscription_id, self._run.deep_details, item)
                        )
                    )
                self._details[key] = reads
            if item.location and (region := normalize_location(item.location)) not in self._regions:
                catalog = self._dispatch.submit(
                    item.subscription_id, self._run.catalog, item.location, item.subscription_id
                )
                self._regions[region] = self._watched(catalog)

    def _watched(self, future: Future[T]) -> Future[T]:
        # Reads raise only for what ends the collection (authentication): stop the queued ones at once.
        future.add_done_callback(self._stop_on_error)
        return future

    def _stop_on_error(self, future: Future[Any]) -> None:
        if not future.cancelled() and (error := future.exception()) is not None:
            with self._lock:
                self._error = self._error or error
            self.cancel()

    def catalogs(self, clusters: Sequence[Cluster]) -> list[VersionCatalog]:
        wanted = {normalize_location(c.location) for c in clusters if c.location}
        with self._lock:
            futures = [future for region, future in sorted(self._regions.items()) if region in wanted]
        return [catalog for catalog in self._collect("version catalogs", futures) if catalog is not None]

    def details(self, clusters: Sequence[Cluster]) -> list[Cluster]:
        with self._lock:
            reads = [self._details[normalize_id(c.id)] for c in clusters]
        found = iter(self._collect("clusters", [future for futures in reads for future in futures]))
        updated = []
        for cluster, futures in zip(clusters, reads, strict=True):
            update: dict[str, Any] = {}
            for _ in futures:
                update.update(next(found))
            updated.append(cluster.model_copy(update=update) if update else cluster)
        return updated

    def _collect(self, phase: str, futures: Sequence[Future[tuple[T, list[CoverageGap]]]]) -> list[T]:
        results = []
        try:
            finished = self._run.wait_all(phase, futures)
        except CancelledError:
            if self._error is not None:
                raise self._error from None  # report what stopped the reads, not the cancellations
            raise
        for value, gaps in finished:
            for gap in gaps:
                self._run.gap(gap.scope, gap.target, gap.operation, gap.reason)
            results.append(value)
        return results

    def cancel(self) -> None:
        with self._lock:
            self._stopped = True
            for details in self._details.values():
                for detail in details:
                    detail.cancel()
            for catalog in self._regions.values():
                catalog.cancel()


def _gap(scope: str, target: str, operation: str, reason: str) -> CoverageGap:
    return CoverageGap(scope=scope, target=target, operation=operation, reason=reason)
