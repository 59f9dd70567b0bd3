"""AzureSettings: scope, cloud and tuning of a live collection, validated once and frozen. No SDK imports."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.shard import Shard

#: Resource Graph accepts at most 1000 rows per page and, in practice, ~300 subscriptions per request
#: (https://learn.microsoft.com/azure/governance/resource-graph/concepts/work-with-data#paging-results).
GRAPH_PAGE_MAX = 1000
GRAPH_SUBSCRIPTION_BATCH = 300


class Cloud(StrEnum):
    AZURE = "AzureCloud"
    CHINA = "AzureChinaCloud"
    US_GOVERNMENT = "AzureUSGovernment"


#: cloud -> (ARM endpoint, token audience, Entra authority host); https://learn.microsoft.com/azure/china/resources-developer-guide
CLOUDS: dict[Cloud, tuple[str, str, str]] = {
    Cloud.AZURE: (
        "https://management.azure.com/",
        "https://management.azure.com/",
        "login.microsoftonline.com",
    ),
    Cloud.CHINA: (
        "https://management.chinacloudapi.cn/",
        "https://management.chinacloudapi.cn/",
        "login.chinacloudapi.cn",
    ),
    Cloud.US_GOVERNMENT: (
        "https://management.usgovcloudapi.net/",
        "https://management.usgovcloudapi.net/",
        "login.microsoftonline.us",
    ),
}


def _https_url(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{option} {value!r}: expected an https:// URL")
    return value


class AzureSettings(BaseModel):
    """What to collect from Azure and how. Empty ``subscriptions`` and ``management_groups`` = every
    subscription the identity can read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()
    exclude_subscriptions: tuple[str, ...] = ()
    tenant: str | None = None
    cloud: Cloud = Cloud.AZURE
    arm_endpoint: str | None = None
    arm_audience: str | None = None
    deep: bool = False
    workers: int = Field(default=64, ge=1, le=128)
    page_size: int = Field(default=GRAPH_PAGE_MAX, ge=1, le=GRAPH_PAGE_MAX)
    subscription_batch: int = Field(default=GRAPH_SUBSCRIPTION_BATCH, ge=1, le=GRAPH_SUBSCRIPTION_BATCH)
    #: azure-core RetryPolicy ``retry_backoff_factor`` (seconds); also our Resource Graph fallback backoff.
    retry_backoff: float = Field(default=0.8, ge=0)
    throttle_retries: int = Field(default=8, ge=0)
    #: Collect only this shard's subscriptions (auditor/shard.py); None: all of them.
    shard: Shard | None = None

    @field_validator("arm_endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        return _https_url(value, "--arm-endpoint")

    @field_validator("arm_audience")
    @classmethod
    def _audience(cls, value: str | None) -> str | None:
        return _https_url(value, "--arm-audience")

    @property
    def endpoint(self) -> str:
        return self.arm_endpoint or CLOUDS[self.cloud][0]

    @property
    def scope(self) -> str:
        """The OAuth scope for ARM tokens: ``<audience>/.default``."""
        audience = self.arm_audience or CLOUDS[self.cloud][1]
        return audience.rstrip("/") + "/.default"

    def credential_options(self) -> dict[str, Any]:
        """Keyword arguments for ``DefaultAzureCredential``: the cloud's authority and the tenant."""
        options: dict[str, Any] = {"authority": CLOUDS[self.cloud][2]}
        if self.tenant:
            options |= {
                "workload_identity_tenant_id": self.tenant,
                "shared_cache_tenant_id": self.tenant,
                "interactive_browser_tenant_id": self.tenant,
                "visual_studio_code_tenant_id": self.tenant,
                "additionally_allowed_tenants": [self.tenant],
            }
        return options
