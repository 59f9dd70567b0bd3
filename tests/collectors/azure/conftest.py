"""The fake ARM, with the environment the real DefaultAzureCredential reads to find it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from azure.identity import DefaultAzureCredential

from auditor.collectors.azure.collector import AzureCollector
from auditor.collectors.azure.pacing import DEFAULT_READ_LIMITS, ReadLimits
from auditor.collectors.azure.settings import AzureSettings
from auditor.inventory import Estate
from tests.fakes.arm import IDENTITY_HEADER, FakeArm
from tests.fakes.arm_estate import ArmEstate, example_estate

#: Variables that would make DefaultAzureCredential pick another credential or MI source, or route the
#: loopback requests through a proxy.
OTHER_AUTH = [
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_AUTHORITY_HOST",
    "AZURE_RESOURCE_MANAGER_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
]


@pytest.fixture
def start_arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[ArmEstate], FakeArm]]:
    """Start a fake serving ``estate``; the environment points DefaultAzureCredential's MI at it."""
    started: list[FakeArm] = []

    def start(estate: ArmEstate) -> FakeArm:
        fake = FakeArm(estate, tmp_path).__enter__()
        started.append(fake)
        for name in OTHER_AUTH:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("IDENTITY_ENDPOINT", fake.identity_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))
        return fake

    yield start
    for fake in started:
        fake.__exit__(None, None, None)


@pytest.fixture
def arm(start_arm: Callable[[ArmEstate], FakeArm]) -> FakeArm:
    return start_arm(example_estate())


def collect(
    fake: FakeArm, *, read_limits: ReadLimits | None = DEFAULT_READ_LIMITS, **settings: Any
) -> Estate:
    """A collection through the real SDK clients and DefaultAzureCredential; no backoff between retries."""
    options: dict[str, Any] = {"arm_endpoint": fake.base, "retry_backoff": 0.0, "workers": 8} | settings
    with DefaultAzureCredential() as credential:
        return AzureCollector(credential, AzureSettings(**options), read_limits=read_limits).collect()
