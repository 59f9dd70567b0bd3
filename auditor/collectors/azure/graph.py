"""Resource Graph queries: whole resources, ``$skipToken`` paging, subscription batches, throttling.

Paging follows ``$skipToken`` until it is absent; ``resultTruncated`` is not a stop signal
(https://learn.microsoft.com/azure/governance/resource-graph/concepts/work-with-data#paging-results).
The SDK does not retry a POST answered 429 without ``Retry-After``; ARG sends ``x-ms-user-quota-remaining``
and ``x-ms-user-quota-resets-after`` instead, which we honour across threads
(https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from auditor.collectors.azure.payload import json_body
from auditor.collectors.interface import PayloadError

RESOURCE_COLUMNS = "id, name, type, location, resourceGroup, subscriptionId, tags, sku, kind, properties"
_MAX_WAIT = 60.0
#: ``x-ms-user-quota-resets-after`` has whole seconds: "00:00:00" may still mean most of a second.
_RESETS_GRANULARITY = 1.0


@dataclass(frozen=True)
class GraphQuery:
    """One kind of resource read from one Resource Graph table (``columns=None``: every column)."""

    name: str
    table: str
    type: str
    columns: str | None = RESOURCE_COLUMNS

    @property
    def text(self) -> str:
        where = f"{self.table} | where type =~ '{self.type}'"
        return f"{where} | project {self.columns}" if self.columns else where


SUBSCRIPTIONS = GraphQuery(
    "subscriptions", "resourcecontainers", "microsoft.resources/subscriptions", "subscriptionId, name"
)
CLUSTERS = GraphQuery("managedClusters", "resources", "microsoft.containerservice/managedclusters")
FLEETS = GraphQuery("fleets", "resources", "microsoft.containerservice/fleets")
# Fleet children live in the ``aksresources`` table
# (https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources#aksresources);
# no projection, so ``systemData`` (update runs' createdAt) comes along where the table has it.
MEMBERS = GraphQuery("fleetMembers", "aksresources", "microsoft.containerservice/fleets/members", None)
UPDATE_RUNS = GraphQuery("updateRuns", "aksresources", "microsoft.containerservice/fleets/updateruns", None)
STRATEGIES = GraphQuery(
    "updateStrategies", "aksresources", "microsoft.containerservice/fleets/updatestrategies", None
)
AUTO_UPGRADE = GraphQuery(
    "autoUpgradeProfiles", "aksresources", "microsoft.containerservice/fleets/autoupgradeprofiles", None
)


def _seconds(value: str | None) -> float | None:
    """``hh:mm:ss`` (the format of ``x-ms-user-quota-resets-after``) in seconds."""
    if not value:
        return None
    try:
        hours, minutes, seconds = (float(part) for part in value.split(":"))
    except ValueError:
        return None
    return min(hours * 3600 + minutes * 60 + seconds, _MAX_WAIT)


class _QuotaGate:
    """Shared by every thread querying ARG: nobody sends before the user quota has reset."""

    def __init__(self, sleep: Callable[[float], None]) -> None:
        self._sleep = sleep
        self._lock = threading.Lock()
        self._not_before = 0.0

    def wait(self) -> None:
        with self._lock:
            delay = self._not_before - time.monotonic()
        if delay > 0:
            self._sleep(delay)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)


@dataclass
class BatchResult:
    """Rows of one query over many subscriptions, plus the subscriptions (or batches) that failed."""

    rows: list[Any] = field(default_factory=list)  # rows, or what ``parse`` made of them
    denied: dict[str, str] = field(default_factory=dict)  # subscription -> reason
    failed: list[tuple[list[str], str]] = field(default_factory=list)  # (batch, reason)


class ResourceGraph:
    """Runs :class:`GraphQuery` s with the SDK client; paging, batching and throttling are handled here."""

    def __init__(
        self,
        client: Any,
        *,
        page_size: int,
        batch_size: int,
        backoff: float,
        retries: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._batch_size = batch_size
        self._backoff = backoff
        self._retries = retries
        self._sleep = sleep
        self._gate = _QuotaGate(sleep)
        # Without a backoff (tests against the fake) the reset time is taken as exact.
        self._pad = _RESETS_GRANULARITY if backoff > 0 else 0.0

    def rows(
        self,
        query: GraphQuery,
        *,
        subscriptions: Sequence[str] = (),
        management_groups: Sequence[str] = (),
        parse: Callable[[Mapping[str, Any]], Any] | None = None,
    ) -> list[Any]:
        """Every row of ``query`` over one scope (no scope = every subscription the identity can read),
        passed through ``parse`` page by page when given."""
        rows: list[Any] = []
        token: str | None = None
        while True:
            options = QueryRequestOptions(top=self._page_size, skip_token=token, result_format="objectArray")
            request = QueryRequest(
                query=query.text,
                subscriptions=list(subscriptions) or None,
                management_groups=list(management_groups) or None,
                options=options,
            )
            data, token = self._page(request, query)
            rows.extend(map(parse, data) if parse else data)
            if not token:
                return rows

    def batched(
        self,
        query: GraphQuery,
        subscriptions: Sequence[str],
        parse: Callable[[Mapping[str, Any]], Any] | None = None,
    ) -> Iterator[BatchResult]:
        """``query`` over ``subscriptions`` in batches; a 403 is narrowed down to the subscriptions denied.
        A batch that fails part-way contributes no rows (nothing half-read passes for the whole)."""
        for start in range(0, len(subscriptions), self._batch_size):
            result = BatchResult()
            self._narrow(query, list(subscriptions[start : start + self._batch_size]), result, parse)
            yield result

    def _narrow(
        self,
        query: GraphQuery,
        batch: list[str],
        result: BatchResult,
        parse: Callable[[Mapping[str, Any]], Any] | None,
    ) -> None:
        try:
            result.rows.extend(self.rows(query, subscriptions=batch, parse=parse))
        except ClientAuthenticationError:
            raise  # not about these subscriptions: the whole collection stops
        except HttpResponseError as error:
            if error.status_code != 403:
                result.failed.append((batch, describe(error)))
            elif len(batch) == 1:
                result.denied[batch[0]] = describe(error)
            else:
                # A 403 on a request naming many subscriptions does not say which one: bisect to find out.
                middle = len(batch) // 2
                self._narrow(query, batch[:middle], result, parse)
                self._narrow(query, batch[middle:], result, parse)
        except (AzureError, PayloadError) as error:
            result.failed.append((batch, describe(error)))

    def _page(self, request: QueryRequest, query: GraphQuery) -> tuple[list[Mapping[str, Any]], str | None]:
        attempt = 0
        while True:
            self._gate.wait()
            try:
                body, headers = self._client.resources(request, cls=_raw)
            except HttpResponseError as error:
                if error.status_code != 429 or attempt >= self._retries:
                    raise
                response: Any = error.response
                wait = _seconds(response.headers.get("x-ms-user-quota-resets-after") if response else None)
                self._gate.hold(wait + self._pad if wait is not None else self._backoff * 2**attempt)
            except (ServiceRequestError, ServiceResponseError):
                # Queries are read-only, so a POST whose connection broke is safe to send again.
                if attempt >= self._retries:
                    raise
                self._sleep(self._backoff * 2**attempt)
            else:
                if headers.get("x-ms-user-quota-remaining") == "0":
                    resets = _seconds(headers.get("x-ms-user-quota-resets-after")) or 0.0
                    self._gate.hold(resets + self._pad)
                return _data(body, query)
            attempt += 1


def _raw(pipeline_response: Any, _deserialized: Any, _headers: Any) -> tuple[Any, Mapping[str, str]]:
    # The SDK deserializes the rows first (CPU we cannot avoid without bypassing the operation); we read
    # the wire JSON so unknown enum values survive and one normalizer serves every source.
    response = pipeline_response.http_response
    return json_body(response, "resourcegraph"), response.headers


def _data(body: Any, query: GraphQuery) -> tuple[list[Mapping[str, Any]], str | None]:
    where = f"resourcegraph:{query.name}"
    if not isinstance(body, Mapping):
        raise PayloadError(f"{where}: expected a QueryResponse object, got {type(body).__name__}")
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise PayloadError(f"{where}: data: expected a list of objects (resultFormat objectArray)")
    token = body.get("$skipToken")
    if token is not None and not isinstance(token, str):
        raise PayloadError(f"{where}: $skipToken: expected a string, got {type(token).__name__}")
    return data, token


def describe(error: BaseException) -> str:
    """One line for a coverage gap: status and ARM error code when there is one, never headers or tokens."""
    if isinstance(error, HttpResponseError) and (error.status_code or 0) >= 400:
        code = getattr(error.error, "code", None) if error.error is not None else None
        message = (getattr(error.error, "message", None) or error.reason or "").splitlines()
        first = message[0] if message else ""
        return f"HTTP {error.status_code}" + (f" {code}" if code else "") + (f": {first}" if first else "")
    text = str(error).splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
