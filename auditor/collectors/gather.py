"""Gather the estate a command judges: its source (snapshot, demo or live Azure) plus the Fleet hubs asked
for (kubeconfig contexts and, live, the hubs discovered through Fleet listCredentials), read once each.

The clients are imported by the branch that uses them: a scan of a snapshot or of the demo never loads the
Azure SDK, aiohttp or the kubernetes client (~50 MB and ~0.5 s of a CI gate's start;
tests/test_imports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from auditor.collectors.azure.settings import AzureSettings
from auditor.collectors.merge import with_hubs
from auditor.collectors.sources import FleetHubSource, HubConfig, SourceOptions
from auditor.demo import load_demo_estate
from auditor.errors import ConfigError
from auditor.inventory import Estate
from auditor.inventory.snapshot import load_estate

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from auditor.collectors.azure.collector import Progress
    from auditor.collectors.interface import HubSource
    from auditor.collectors.processes import MakeCredential

#: Receives notes worth showing but not coverage gaps (a hubless fleet, a kind an older hub lacks).
Notes = Callable[[str], None]


def _ignore(_note: str) -> None:
    return None


class EstateGatherer:
    """Checks what it can when built (the kubeconfig and its contexts), before anything is read or
    contacted; then ``gather`` reads.

    ``credential`` is built and owned by the caller (the CLI): it is needed only for a live source.
    """

    def __init__(
        self,
        source: SourceOptions,
        hubs: HubConfig,
        azure: AzureSettings,
        *,
        notes: Notes = _ignore,
        processes: int = 1,
        make_credential: MakeCredential | None = None,
    ) -> None:
        self._source = source
        self._hubs = hubs
        self._azure = azure
        self._notes = notes
        #: Live: collect in this many processes (each with a credential from ``make_credential``).
        self._processes = processes
        self._make_credential = make_credential
        if processes > 1 and azure.shard is not None:
            raise ConfigError("--processes with --shard: one shard is collected by one process")
        # A missing kubeconfig or an unknown context is exit 2 here, before any API call or file read.
        self._kubeconfig_hubs: list[HubSource] = []
        if hubs.kubeconfig:
            from auditor.collectors.hub.kubeconfig import hubs_from_kubeconfig

            self._kubeconfig_hubs = list(hubs_from_kubeconfig(hubs.kubeconfig, hubs.contexts))

    def gather(self, credential: TokenCredential | None = None, progress: Progress | None = None) -> Estate:
        """The source's estate with every hub asked for added (each hub read exactly once); ``progress``
        hears how far a live collection is."""
        source = self._source
        if source.demo:
            estate = load_demo_estate()
        elif source.inventory is not None:
            estate = load_estate(source.inventory)
        else:
            if credential is None:
                raise ConfigError("a live scan needs an Azure credential")
            from auditor.collectors.azure.collector import AzureCollector
            from auditor.collectors.processes import collect_in_processes

            if self._processes > 1 and self._make_credential is not None:
                estate = collect_in_processes(
                    self._azure, self._processes, credential, self._make_credential, progress
                )
            else:
                estate = AzureCollector(credential, self._azure, progress=progress).collect()
        shard = self._azure.shard
        # A kubeconfig hub's fleet is unknown until it is read: with shards, shard 0 reads it.
        hubs = list(self._kubeconfig_hubs) if shard is None or shard.index == 0 else []
        if self._hubs.fleet_hubs is not FleetHubSource.DISCOVER:
            return self._with(estate, hubs)
        if credential is None or not source.is_live:
            raise ConfigError("--fleet-hubs discover needs a live scan (not --inventory or --demo)")
        from auditor.collectors.azure.fleet_credentials import FleetCredentials, fleet_hubs

        credentials = FleetCredentials(credential, self._azure)
        try:
            discovered, notes = fleet_hubs(estate.fleets, credentials)
            for note in notes:
                self._notes(note)
            return self._with(estate, [*discovered, *hubs])  # a kubeconfig context wins over discovery
        finally:
            credentials.close()

    def _with(self, estate: Estate, hubs: list[HubSource]) -> Estate:
        collections = [hub.collect() for hub in hubs]
        for collection in collections:
            for note in collection.notes:
                self._notes(note)
        return with_hubs(estate, collections)
