"""Fetch a public JSON document (the release calendar) through azure-core's pipeline.

The same HTTP stack as the Azure SDK clients: requests with the environment's proxy variables and CA
bundle (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, ``HTTPS_PROXY``, ``NO_PROXY``), azure-core's retry
policy (429/5xx with Retry-After, connection errors) and our user agent. No credential is sent.
"""

from __future__ import annotations

import json
import os
from typing import Any

from azure.core import PipelineClient
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import (
    HeadersPolicy,
    ProxyPolicy,
    RedirectPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from auditor import __version__
from auditor.errors import EXIT_INCOMPLETE, AuditorError


class FetchError(AuditorError):
    """A document that could not be fetched (network, HTTP status, not JSON): exit 3, like any read that
    failed."""

    exit_code = EXIT_INCOMPLETE


def fetch_json(url: str, *, timeout: float = 30.0, retry_backoff: float = 0.8) -> Any:
    """GET ``url`` and parse its JSON body; FetchError names the URL and what went wrong."""
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    policies = [
        HeadersPolicy({"Accept": "application/json"}),
        UserAgentPolicy(f"aks-auditor/{__version__}"),
        ProxyPolicy(),
        RedirectPolicy(),
        RetryPolicy(retry_total=3, retry_backoff_factor=retry_backoff),
    ]
    transport = RequestsTransport(connection_verify=ca_bundle or True, connection_timeout=timeout)
    try:
        client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
            url, policies=policies, transport=transport
        )
        with client:
            response = client.send_request(HttpRequest("GET", url), stream=False)
            status, body = response.status_code, response.text()
    except AzureError as error:
        raise FetchError(f"{url}: cannot fetch: {error.message}") from None
    if status != 200:
        raise FetchError(f"{url}: HTTP {status} {body[:120]!r}")
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise FetchError(f"{url}: the response is not JSON: {error.msg} at line {error.lineno}") from None
