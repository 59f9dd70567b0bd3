"""The CLI's live-collection wiring: shared options, the credential, progress and the -v call log."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from azure.identity import DefaultAzureCredential
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress

from auditor.collectors.azure.collector import AzureCollector
from auditor.collectors.azure.collector import Progress as ProgressCallback
from auditor.collectors.azure.fleet_credentials import FleetCredentials, fleet_hubs
from auditor.collectors.azure.settings import AzureSettings, Cloud
from auditor.collectors.hub_kubeconfig import KubeconfigHub, hubs_from_kubeconfig
from auditor.collectors.interface import HubSource
from auditor.collectors.merge import with_hubs
from auditor.config import FleetHubSource, HubOptions, LiveOptions
from auditor.errors import config_error
from auditor.inventory import Estate

LIVE_OPTIONS = [
    click.option(
        "--subscription",
        "subscriptions",
        multiple=True,
        metavar="ID",
        help="Live: subscription to read (repeatable). Default: every one the identity can read.",
    ),
    click.option(
        "--management-group",
        "management_groups",
        multiple=True,
        metavar="ID",
        help="Live: read the subscriptions under a management group (repeatable).",
    ),
    click.option(
        "--exclude-subscription",
        "exclude_subscriptions",
        multiple=True,
        metavar="ID",
        help="Live: leave a subscription out (repeatable).",
    ),
    click.option("--tenant", metavar="ID", help="Live: Entra tenant to authenticate in."),
    click.option(
        "--cloud",
        type=click.Choice([c.value for c in Cloud]),
        default=Cloud.AZURE.value,
        show_default=True,
        help="Live: Azure cloud (ARM endpoint, token audience, authority).",
    ),
    click.option(
        "--arm-endpoint",
        metavar="URL",
        envvar="AZURE_RESOURCE_MANAGER_ENDPOINT",
        help="Live: ARM endpoint instead of the cloud's (env AZURE_RESOURCE_MANAGER_ENDPOINT).",
    ),
    click.option("--arm-audience", metavar="URL", help="Live: token audience. Default: the cloud's."),
    click.option("--deep", is_flag=True, help="Live: also read upgrade profiles (one call per node pool)."),
    click.option("--allow-partial", is_flag=True, help="Coverage gaps alone do not exit 3."),
    click.option(
        "--workers",
        type=click.IntRange(1, 128),
        metavar="N",
        default=16,
        show_default=True,
        help="Live: concurrent Azure calls.",
    ),
    click.option(
        "--verbose", "-v", is_flag=True, help="Live: log each Azure call (method, path, status, ms)."
    ),
]


HUB_OPTIONS = [
    click.option(
        "--hub-kubeconfig",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Kubeconfig of Fleet hub cluster(s) to read through the Kubernetes API.",
    ),
    click.option(
        "--hub-context",
        "hub_contexts",
        multiple=True,
        metavar="NAME",
        help="Context in --hub-kubeconfig, one per hub (repeatable). Default: its current context.",
    ),
    click.option(
        "--fleet-hubs",
        type=click.Choice([s.value for s in FleetHubSource]),
        help="Live: also read the hub of each fleet found, with a kubeconfig from Fleet listCredentials "
        "(held in memory only; exec/kubelogin users get an Entra ID token from the same credential).",
    ),
]


def with_hub_options(command: Any) -> Any:
    """Adds the Fleet hub options shared by ``scan`` and ``collect``."""
    for option in reversed(HUB_OPTIONS):
        command = option(command)
    return command


def hub_config(values: dict[str, Any]) -> HubOptions:
    try:
        fleet_hubs = values["fleet_hubs"]
        return HubOptions(
            kubeconfig=values["hub_kubeconfig"],
            contexts=values["hub_contexts"],
            fleet_hubs=FleetHubSource(fleet_hubs) if fleet_hubs else None,
        )
    except ValidationError as error:
        raise config_error(error) from None


def hub_sources(hubs: HubOptions) -> list[KubeconfigHub]:
    """Validated up front (a missing file or unknown context is exit 2 before any API call)."""
    if hubs.kubeconfig is None:
        return []
    return hubs_from_kubeconfig(hubs.kubeconfig, hubs.contexts)


def collect_hubs(
    estate: Estate, sources: Sequence[HubSource], quiet: bool, notes: Sequence[str] = ()
) -> Estate:
    """Read each hub and add it to the estate; notes (e.g. a kind the hub does not serve) go to stderr."""
    collections = [source.collect() for source in sources]
    if not quiet:
        for note in (*notes, *(note for collection in collections for note in collection.notes)):
            click.echo(f"aks-auditor: note: {note}", err=True)
    return with_hubs(estate, collections)


def with_live_options(command: Any) -> Any:
    """Adds the live-collection options shared by ``scan`` and ``collect``."""
    for option in reversed(LIVE_OPTIONS):
        command = option(command)
    return command


def live_config(values: dict[str, Any]) -> LiveOptions:
    try:
        azure = AzureSettings(
            subscriptions=values["subscriptions"],
            management_groups=values["management_groups"],
            exclude_subscriptions=values["exclude_subscriptions"],
            tenant=values["tenant"],
            cloud=Cloud(values["cloud"]),
            arm_endpoint=values["arm_endpoint"] or None,
            arm_audience=values["arm_audience"],
            deep=values["deep"],
            workers=values["workers"],
        )
    except ValidationError as error:
        raise config_error(error) from None
    return LiveOptions(azure=azure, allow_partial=values["allow_partial"], verbose=values["verbose"])


@contextmanager
def _call_log(verbose: bool) -> Iterator[None]:
    """With -v, the collector's per-call lines (never headers or tokens) and the SDK's warnings (e.g.
    each credential DefaultAzureCredential tried) go to stderr; without it the SDK stays silent and
    failures surface as one error line or as coverage gaps."""
    ours, sdk = logging.getLogger("auditor.azure"), logging.getLogger("azure")
    handler: logging.Handler = logging.NullHandler()
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("aks-auditor: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
    sdk.addHandler(handler)
    try:
        yield
    finally:
        ours.removeHandler(handler)
        sdk.removeHandler(handler)


@contextmanager
def _progress(quiet: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar per collection phase on an interactive stderr; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with Progress(console=Console(stderr=True), transient=True) as bars:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done)

        yield update


def collect_live(live: LiveOptions, quiet: bool, hubs: HubOptions | None = None) -> Estate:
    """The estate read from Azure; with ``--fleet-hubs discover``, plus each fleet's hub (same credential)."""
    settings = live.azure
    with (
        _call_log(live.verbose),
        _progress(quiet) as progress,
        DefaultAzureCredential(**settings.credential_options()) as credential,
    ):
        estate = AzureCollector(credential, settings, progress=progress).collect()
        if hubs is None or hubs.fleet_hubs is not FleetHubSource.DISCOVER:
            return estate
        credentials = FleetCredentials(credential, settings)
        try:
            sources, notes = fleet_hubs(estate.fleets, credentials)
            return collect_hubs(estate, sources, quiet, notes)
        finally:
            credentials.close()
