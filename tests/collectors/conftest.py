"""Fixtures for hub collection: a started fake hub per test (stopped at teardown), the built-in policies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import trustme

from auditor.collectors.hub.kubeconfig import hub_from_config_dict
from auditor.collectors.hub.read import HubReadOptions
from auditor.collectors.interface import HubCollection
from auditor.findings import Finding
from auditor.inventory import Coverage, Estate
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.resources import builtin_policies_dir
from tests.fakes.kube_api import FakeKubeApi

#: The reference "now" of the assembled Fleet examples (their heartbeats are relative to it).
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
#: Short timeouts and no transport retries: fault tests end in well under a second.
FAST = HubReadOptions(timeout=(2.0, 5.0), retries=0)
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def fake_hub(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKubeApi]:
    for name in _PROXY_VARIABLES:  # loopback only: a CI proxy must not see these requests
        monkeypatch.delenv(name, raising=False)
    with FakeKubeApi(ca) as hub:
        yield hub


@pytest.fixture(scope="session")
def evaluator() -> Evaluator:
    policies = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
    return Evaluator(policies, NOW)


def collect(hub: FakeKubeApi, *, options: HubReadOptions = FAST, **kwargs: Any) -> HubCollection:
    """Read the fake hub through the real kubernetes client, from an in-memory kubeconfig."""
    return hub_from_config_dict(hub.kubeconfig_dict(), options=options, **kwargs).collect()


def evaluate(evaluator: Evaluator, *collections: HubCollection) -> tuple[Finding, ...]:
    estate = Estate(
        collected_at=NOW,
        source="hub",
        hubs=tuple(c.hub for c in collections),
        coverage=Coverage(read=collections[0].read, gaps=tuple(g for c in collections for g in c.gaps)),
    )
    return evaluator.evaluate(estate)
