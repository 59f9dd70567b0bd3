"""AzureSettings: clouds map to endpoint, audience and authority; bad URLs are refused with the option name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from auditor.collectors.azure.settings import AzureSettings, Cloud


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope", "authority"),
    [
        (
            Cloud.AZURE,
            "https://management.azure.com/",
            "https://management.azure.com/.default",
            "login.microsoftonline.com",
        ),
        (
            Cloud.CHINA,
            "https://management.chinacloudapi.cn/",
            "https://management.chinacloudapi.cn/.default",
            "login.chinacloudapi.cn",
        ),
        (
            Cloud.US_GOVERNMENT,
            "https://management.usgovcloudapi.net/",
            "https://management.usgovcloudapi.net/.default",
            "login.microsoftonline.us",
        ),
    ],
)
def test_clouds(cloud: Cloud, endpoint: str, scope: str, authority: str) -> None:
    settings = AzureSettings(cloud=cloud)
    assert (settings.endpoint, settings.scope) == (endpoint, scope)
    assert settings.credential_options() == {"authority": authority}


def test_custom_endpoint_audience_and_tenant() -> None:
    settings = AzureSettings(
        arm_endpoint="https://management.local.azurestack.external",
        arm_audience="https://management.adfs.azurestack.local/abc",
        tenant="contoso.onmicrosoft.com",
    )
    assert settings.endpoint == "https://management.local.azurestack.external"
    assert settings.scope == "https://management.adfs.azurestack.local/abc/.default"
    options = settings.credential_options()
    assert options["workload_identity_tenant_id"] == "contoso.onmicrosoft.com"
    assert options["additionally_allowed_tenants"] == ["contoso.onmicrosoft.com"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "arm_endpoint",
            "management.azure.com",
            "--arm-endpoint 'management.azure.com': expected an https:// URL",
        ),
        (
            "arm_endpoint",
            "http://127.0.0.1:8080",
            "--arm-endpoint 'http://127.0.0.1:8080': expected an https:// URL",
        ),
        ("arm_audience", "https://", "--arm-audience 'https://': expected an https:// URL"),
    ],
)
def test_bad_urls_name_the_option(field: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AzureSettings(**{field: value})


def test_limits() -> None:
    for bad in ({"workers": 0}, {"page_size": 1001}, {"subscription_batch": 301}, {"retry_backoff": -1}):
        with pytest.raises(ValidationError):
            AzureSettings(**bad)
