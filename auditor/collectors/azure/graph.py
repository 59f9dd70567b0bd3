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


#: Azure's default Resource Graph user quota: 15 requests per 5-second window (throttling guidance).
DEFAULT_USER_QUOTA = 15
DEFAULT_WINDOW = 5.0
_NOT_BEFORE, _QUOTA, _SENT, _WINDOW_END, _WINDOW, _TOTAL, _ANSWERED = range(7)
_INITIAL = (0.0, float(DEFAULT_USER_QUOTA), 0.0, 0.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Ticket:
    """One request let through by a :class:`QuotaGate`: the gate's window it was sent in, how many
    requests the gate had let through before it, and how many of those were unanswered then."""

    window: float
    sequence: float
    in_flight: float


class QuotaGate:
    """Shared by every thread querying ARG: at most the user quota's requests are sent per window, and
    nobody sends before a quota answered as spent (or a 429) has reset.

    The quota starts as Azure's default and grows to what ARG reports (``x-ms-user-quota-remaining`` + 1
    can never exceed it, however late an answer arrives); the window ends when
    ``x-ms-user-quota-resets-after`` says (Azure's default window until an answer has said so). Another
    caller spending the same quota is met as before: its 429s and its "0 remaining" hold everyone.

    The quota is per caller, not per process: collection worker processes (auditor/collectors/
    processes.py) share one gate through :meth:`shared` — a lock and its state in shared memory, created
    before they are forked — so that together they never send more than the quota.
    """

    def __init__(self, lock: Any = None, state: Any = None) -> None:
        self._lock = lock if lock is not None else threading.Lock()
        self._state = state if state is not None else list(_INITIAL)

    @classmethod
    def shared(cls, context: Any) -> QuotaGate:
        """One gate for this process and the processes it forks (``context``: a multiprocessing context)."""
        return cls(context.Lock(), context.Array("d", _INITIAL, lock=False))

    def acquire(self, sleep: Callable[[float], None]) -> Ticket:
        """Wait until a request fits in this window's quota, then count it."""
        while True:
            with self._lock:
                state, now = self._state, time.monotonic()
                if state[_WINDOW_END] and now >= state[_WINDOW_END]:  # a new window
                    state[_SENT], state[_WINDOW_END] = 0.0, 0.0
                    state[_WINDOW] += 1
                if now >= state[_NOT_BEFORE] and state[_SENT] < state[_QUOTA]:
                    if not state[_SENT]:
                        state[_WINDOW_END] = now + DEFAULT_WINDOW  # until an answer says when it ends
                    state[_SENT] += 1
                    ticket = Ticket(state[_WINDOW], state[_TOTAL], state[_TOTAL] - state[_ANSWERED])
                    state[_TOTAL] += 1
                    return ticket
                wait_for = state[_NOT_BEFORE] if now < state[_NOT_BEFORE] else state[_WINDOW_END]
                delay = max(wait_for - now, 0.05)
            sleep(min(delay, _MAX_WAIT))

    def release(self, ticket: Ticket, remaining: str | None, resets_after: float | None, pad: float) -> None:
        """An answer came to ``ticket``'s request: what ARG says is left and when it resets.

        The end of an earlier window, from a late answer, must not end the current one. ARG's window
        starts with the first request after the last one reset, which the gate sees only in the answers:
        when an answer proves that the window its request arrived in has more room than the gate counts,
        the gate takes that window (it ends when the answer says). The proof is safe: of the requests the
        gate let through, only those sent after this one, or in flight when it was sent, can have
        arrived after it in that window."""
        with self._lock:
            state, now = self._state, time.monotonic()
            state[_ANSWERED] += 1
            left = float(remaining) if remaining is not None and remaining.isdigit() else None
            if left is not None:
                state[_QUOTA] = max(state[_QUOTA], left + 1)
            if resets_after is not None:
                ends = now + resets_after + pad
                # At most this many of the quota can be spent in the window this request arrived in.
                later = state[_TOTAL] - ticket.sequence - 1 + ticket.in_flight
                used = state[_QUOTA] - left + later if left is not None else state[_QUOTA]
                if used < state[_SENT]:  # ARG began a window the gate had not: count in that one
                    state[_SENT], state[_WINDOW_END] = used, ends
                    state[_WINDOW] += 1
                elif ticket.window == state[_WINDOW]:
                    state[_WINDOW_END] = ends
            if remaining == "0":
                state[_NOT_BEFORE] = max(state[_NOT_BEFORE], now + (resets_after or 0.0) + pad)

    def hold(self, seconds: float) -> None:
        """Nobody sends for ``seconds`` (a 429)."""
        with self._lock:
            self._state[_NOT_BEFORE] = max(self._state[_NOT_BEFORE], time.monotonic() + seconds)


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
        gate: QuotaGate | None = None,
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._batch_size = batch_size
        self._backoff = backoff
        self._retries = retries
        self._sleep = sleep
        self._gate = gate or QuotaGate()
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
            ticket = self._gate.acquire(self._sleep)
            answered: Mapping[str, str] = {}
            try:
                body, headers = self._client.resources(request, cls=_raw)
                answered = headers
            except HttpResponseError as error:
                response: Any = error.response
                answered = response.headers if response is not None else {}
                if error.status_code != 429 or attempt >= self._retries:
                    raise
                wait = _seconds(answered.get("x-ms-user-quota-resets-after"))
                self._gate.hold(wait + self._pad if wait is not None else self._backoff * 2**attempt)
            except (ServiceRequestError, ServiceResponseError):
                # Queries are read-only, so a POST whose connection broke is safe to send again.
                if attempt >= self._retries:
                    raise
                self._sleep(self._backoff * 2**attempt)
            else:
                return _data(body, query)
            finally:
                self._gate.release(
                    ticket,
                    answered.get("x-ms-user-quota-remaining"),
                    _seconds(answered.get("x-ms-user-quota-resets-after")),
                    self._pad,
                )
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
