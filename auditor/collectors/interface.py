"""Collector interfaces: what reading one source produces (errors: ``auditor.errors.CollectionError``)."""

from __future__ import annotations

from typing import NamedTuple, Protocol

from auditor.inventory import CoverageGap, Hub


class PayloadError(Exception):
    """An API payload (ARM JSON, a Resource Graph page, a Kubernetes object) we cannot read; the message
    names the resource and the field. Deliberately not a ValueError: a bug of ours raising ValueError
    must surface as a bug, never be mistaken for a bad payload and turned into a coverage gap."""


class HubCollection(NamedTuple):
    """One hub as read: the Hub (``error`` set when it could not be read), its coverage gaps, the counts
    read per kind (summed into ``Coverage.read``) and notes worth showing but not gaps (e.g. an optional
    Fleet kind the hub does not serve)."""

    hub: Hub
    gaps: tuple[CoverageGap, ...]
    read: dict[str, int]
    notes: tuple[str, ...] = ()


class HubSource(Protocol):
    """A Fleet hub to read: a kubeconfig context, or an in-memory kubeconfig from Fleet listCredentials."""

    @property
    def name(self) -> str: ...

    def collect(self) -> HubCollection:
        """Read the hub. Never raises for hub-side problems: they come back as ``hub.error`` plus a gap."""
        ...
