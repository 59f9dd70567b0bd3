"""The terminal side of a live collection: the credential (built here only), progress bars, the -v log.

azure.identity and rich are imported when a live scan needs them (tests/test_imports.py)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from auditor.collectors.azure.settings import AzureSettings
from auditor.terminal import PrintableFormatter

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from auditor.collectors.azure.collector import Progress as ProgressCallback


@contextmanager
def credential(settings: AzureSettings, needed: bool) -> Iterator[TokenCredential | None]:
    """``DefaultAzureCredential`` for the settings' cloud and tenant, closed afterwards (None: not needed)."""
    if not needed:
        yield None
        return
    from azure.identity import DefaultAzureCredential

    with DefaultAzureCredential(**settings.credential_options()) as built:
        yield built


@contextmanager
def call_log(verbose: bool) -> Iterator[None]:
    """With -v, the collector's per-call lines (never headers or tokens) and the SDK's warnings (e.g.
    each credential DefaultAzureCredential tried) go to stderr, control characters escaped; without it
    the SDK stays silent and failures surface as one error line or as coverage gaps."""
    ours, sdk = logging.getLogger("auditor.azure"), logging.getLogger("azure")
    handler: logging.Handler = logging.NullHandler()
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(PrintableFormatter("aks-auditor: %(message)s"))
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
    sdk.addHandler(handler)
    try:
        yield
    finally:
        ours.removeHandler(handler)
        sdk.removeHandler(handler)


@contextmanager
def progress_bars(quiet: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar per collection phase on an interactive stderr; nothing otherwise."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bars:
        tasks: dict[str, Any] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done)

        yield update
