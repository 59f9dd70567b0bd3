"""Per-subscription pacing of ARM reads, so that a well-behaved ARM never has to answer 429.

ARM throttles reads with a token bucket per subscription and region of the serving instance: 250 requests
of burst, refilled at 25 per second
(https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
Every attempt of a GET takes a token from its subscription's bucket before it is sent. ARM's own count,
``x-ms-ratelimit-remaining-subscription-reads``, lowers ours when others read the same subscription; a 429's
``Retry-After`` holds every thread reading that subscription while the SDK's RetryPolicy waits and retries.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, SansIOHTTPPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse

READ_BURST = 250
READ_REFILL = 25.0  # tokens per second
REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
_MAX_HOLD = 60.0
#: Fraction of the documented limits we pace at (see :class:`TokenBucket`).
MARGIN = 0.9
_SUBSCRIPTION = re.compile(r"^https?://[^/]+/subscriptions/([^/?#]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ReadLimits:
    """The read bucket to stay within: ``burst`` tokens, refilled at ``refill`` per second."""

    burst: int = READ_BURST
    refill: float = READ_REFILL

    def __post_init__(self) -> None:
        if self.burst < 1 or self.refill <= 0:
            raise ValueError(f"read limits need burst >= 1 and refill > 0, got {self.burst}/{self.refill}")


#: ARM's documented read bucket per subscription (and region of the serving instance).
DEFAULT_READ_LIMITS = ReadLimits()


class TokenBucket:
    """A thread-safe token bucket. ``acquire`` reserves a token (the balance may go negative: those who
    come later wait longer, in order) and sleeps until it is due; no lock is held while sleeping.

    It runs at ``margin`` (:data:`MARGIN`) of the limits: the server's bucket may have started a little
    later than ours or count a request a little earlier. After a 429 the refill rate halves (down to 1/64
    of the limit) and each success wins 1/50 of it back, so a server stricter than its documented limits is
    still met.
    """

    def __init__(
        self,
        limits: ReadLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        margin: float = MARGIN,
    ) -> None:
        self._capacity = max(limits.burst * margin, 1.0)
        self._full_rate = limits.refill * margin
        self._rate = self._full_rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self._capacity
        self._updated = clock()
        self._not_before = 0.0
        self._holds = 0  # a hold voids the reservations made before it
        self._in_flight = 0  # sent, not answered yet

    def _refill(self) -> float:
        now = self._clock()
        elapsed = max(now - self._updated, 0.0)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = now
        return now

    def _take(self, waited: float, holds: int) -> tuple[float, int]:
        """Reserve a token (unless the reservation made before a wait still stands): the seconds to wait
        for it, and the hold count it was reserved under."""
        with self._lock:
            if waited and holds == self._holds:
                return 0.0, holds
            now = self._refill()
            self._tokens -= 1
            return max(-self._tokens / self._rate, self._not_before - now, 0.0), self._holds

    def acquire(self) -> float:
        """Take one token, waiting for it if need be; returns the seconds waited."""
        waited, holds = 0.0, -1
        while True:
            wait, holds = self._take(waited, holds)
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    async def acquire_async(self) -> float:
        """:meth:`acquire` for an event loop: the wait is an ``asyncio.sleep``."""
        waited, holds = 0.0, -1
        while True:
            wait, holds = self._take(waited, holds)
            if wait <= 0:
                return waited
            await asyncio.sleep(wait)
            waited += wait

    def sent(self) -> None:
        with self._lock:
            self._in_flight += 1

    def answered(self, remaining: int | None = None) -> None:
        """A request came back; the server said ``remaining`` reads were left when it served it. The others
        still in flight may not have been counted in that number yet: never count on more than what is left
        after them (this also corrects a bucket that started refilling before the server's did)."""
        with self._lock:
            self._in_flight = max(self._in_flight - 1, 0)
            if remaining is not None:
                self._refill()
                self._tokens = min(self._tokens, float(remaining - self._in_flight))

    def succeeded(self) -> None:
        """A read went through: win back some of the rate a 429 took away."""
        with self._lock:
            if self._rate < self._full_rate:
                self._refill()
                self._rate = min(self._full_rate, self._rate + self._full_rate / 50)

    def hold(self, seconds: float) -> None:
        """The server is throttling for ``seconds``: nobody sends before; the bucket restarts empty, slower,
        and those already waiting for a token queue again behind the hold."""
        with self._lock:
            now = self._refill()
            self._tokens = 0.0
            self._rate = max(self._rate / 2, self._full_rate / 64)
            self._not_before = max(self._not_before, now + min(seconds, _MAX_HOLD))
            self._holds += 1

    def ready_in(self) -> float:
        """Seconds until a token would be available (0: now), without taking it."""
        with self._lock:
            now = self._refill()
            return max((1 - self._tokens) / self._rate, self._not_before - now, 0.0)

    @property
    def tokens(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens


class ReadPacer:
    """One :class:`TokenBucket` per subscription (created on first use), shared by every thread."""

    def __init__(
        self,
        limits: ReadLimits,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, subscription: str) -> TokenBucket:
        key = subscription.lower()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(self._limits, clock=self._clock, sleep=self._sleep)
                self._buckets[key] = bucket
            return bucket


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``Retry-After`` (seconds; ARM does not send dates) or ``retry-after-ms``, in the order
    azure-core's RetryPolicy reads them."""
    for name, scale in (("retry-after", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value:
            try:
                return max(float(value) * scale, 0.0)
            except ValueError:
                return None
    return None


def _subscription(request: PipelineRequest[HttpRequest]) -> str | None:
    """The subscription of a GET on a subscription-scoped URL (the reads ARM paces), else None."""
    http = request.http_request
    if http.method != "GET":
        return None
    found = _SUBSCRIPTION.match(http.url)
    return found[1] if found else None


def _observe(bucket: TokenBucket, response: PipelineResponse[HttpRequest, Any]) -> None:
    """Feed back what ARM said: the reads it has left, and throttling."""
    headers = response.http_response.headers
    remaining = headers.get(REMAINING_READS)
    bucket.answered(int(remaining) if remaining is not None and remaining.strip().isdigit() else None)
    status = response.http_response.status_code
    if status == 429:
        bucket.hold(retry_after(headers) or 0.0)
    elif status < 400:
        bucket.succeeded()


class ReadPacingPolicy(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Per-retry pipeline policy: paces each GET attempt on a subscription-scoped URL by its bucket and
    feeds back what ARM says about the remaining reads and throttling."""

    def __init__(self, pacer: ReadPacer) -> None:
        self._pacer = pacer

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        if (subscription := _subscription(request)) is not None:
            bucket = self._pacer.bucket(subscription)
            bucket.acquire()
            bucket.sent()

    def on_exception(self, request: PipelineRequest[HttpRequest]) -> None:
        if (subscription := _subscription(request)) is not None:
            self._pacer.bucket(subscription).answered()

    def on_response(
        self, request: PipelineRequest[HttpRequest], response: PipelineResponse[HttpRequest, HttpResponse]
    ) -> None:
        if (subscription := _subscription(request)) is not None:
            _observe(self._pacer.bucket(subscription), response)


class AsyncReadPacingPolicy(AsyncHTTPPolicy[HttpRequest, AsyncHttpResponse]):
    """:class:`ReadPacingPolicy` for the SDK's async clients: the same buckets (shared with the sync
    clients of the collection), waited for with ``asyncio.sleep`` so that other reads go on meanwhile."""

    def __init__(self, pacer: ReadPacer) -> None:
        super().__init__()
        self._pacer = pacer

    async def send(
        self, request: PipelineRequest[HttpRequest]
    ) -> PipelineResponse[HttpRequest, AsyncHttpResponse]:
        subscription = _subscription(request)
        if subscription is None:
            return await self.next.send(request)
        bucket = self._pacer.bucket(subscription)
        await bucket.acquire_async()
        bucket.sent()
        try:
            response = await self.next.send(request)
        except BaseException:
            bucket.answered()
            raise
        _observe(bucket, response)
        return response
