"""A loopback HTTPS fake of ARM, Resource Graph and an App Service managed identity endpoint.

Speaks the documented wire shapes (the x-ms-examples in tests/data/contracts/azure) so the real SDK clients
and the real ``DefaultAzureCredential`` run against it unchanged. Per-route fault injection (status bursts,
429 with or without Retry-After, resets, malformed or cut bodies, latency), per-subscription 403s and a
request log.
"""

from __future__ import annotations

import json
import math
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

from tests.fakes.arm_estate import ArmEstate
from tests.fakes.arm_routes import IDENTITY_HEADER, ROUTES, TOKEN, error
from tests.fakes.arm_writes import WRITE_ROUTES, WriteState

__all__ = [
    "IDENTITY_HEADER",
    "TOKEN",
    "Call",
    "FakeArm",
    "Fault",
    "ReadBucket",
    "malformed",
    "throttled",
    "truncated",
]
REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
_SUBSCRIPTION_PATH = re.compile(r"^/subscriptions/([^/]+)/", re.IGNORECASE)


#: Routes answered without a bearer token (the token endpoint itself, the benchmark counters, the
#: endoflife.date stand-in).
PUBLIC_ROUTES = frozenset({"token", "stats", "release_calendar"})


@dataclass(frozen=True)
class ReadBucket:
    """ARM's read throttling: a token bucket per subscription and region of the serving instance (one
    region here), 250 burst and 25 per second by default
    (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
    Empty: 429 with ``Retry-After`` in whole seconds as ARM sends it, or ``retry-after-ms`` for fast tests."""

    capacity: int = 250
    refill: float = 25.0
    retry_after_ms: bool = False


@dataclass
class Fault:
    """One injected misbehaviour, consumed by the first request of its route that ``match`` accepts."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    reset: bool = False  # TCP reset instead of a response
    cut: bool = False  # declare the full length, send half, close
    delay: float = 0.0
    match: Callable[[Call], bool] | None = None


def throttled(*, retry_after: bool, match: Callable[[Call], bool] | None = None) -> Fault:
    """A 429 as ARG sends it: quota headers, and optionally ``Retry-After: 0`` (azure-core reads
    ``Retry-After`` before ``retry-after-ms``; 0 falls back to its backoff factor, 0 in these tests)."""
    headers = {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:00"}
    if retry_after:
        headers |= {"Retry-After": "0"}
    error = {
        "error": {"code": "RateLimiting", "message": "Please provide below info when asking for support"}
    }
    return Fault(status=429, headers=headers, body=json.dumps(error).encode(), match=match)


def malformed(payload: Any) -> Fault:
    return Fault(status=200, body=json.dumps(payload).encode())


def truncated(text: bytes = b'{"value": [{"name": "aksManagedAuto') -> Fault:
    return Fault(status=200, body=text)


@dataclass
class Call:
    """One request as the fake saw it (no headers: nothing secret is logged even here)."""

    route: str
    method: str
    path: str
    query: dict[str, list[str]]
    request: dict[str, Any] | None = None
    status: int = 0

    @property
    def table(self) -> str | None:
        query = (self.request or {}).get("query", "")
        return query.split("|", 1)[0].strip().lower() or None

    @property
    def subscriptions(self) -> list[str]:
        return list((self.request or {}).get("subscriptions") or [])


class FakeArm:
    """The server; build with an :class:`ArmEstate`, use as a context manager."""

    def __init__(self, estate: ArmEstate, workdir: Path) -> None:
        self.estate = estate
        self.forbidden_subscriptions: set[str] = set()
        self.forbidden_maintenance: set[str] = set()  # normalized cluster ids
        self.latency = 0.0  # seconds before every answer; route_latency overrides it per route
        self.route_latency: dict[str, float] = {}
        self.maintenance_page_size = 1000
        self.graph_truncated_flag = "false"
        self.graph_quota: tuple[int, float] | None = None  # (requests, window seconds)
        self.read_bucket: ReadBucket | None = None  # ARM GETs on /subscriptions/... are unlimited when None
        self._reads: dict[str, tuple[float, float]] = {}  # subscription -> (tokens, updated)
        self.writes = WriteState()  # remediation: operations, ETags, injected failures
        self.log: list[Call] = []
        self.in_flight = self.peak_in_flight = 0
        self._route_in_flight: dict[str, int] = {}
        self.route_peak_in_flight: dict[str, int] = {}
        self.connections = 0  # TLS connections accepted: connection reuse keeps this near the worker count
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._window: tuple[float, int] = (0.0, 0)
        ca = trustme.CA()
        self.ca_file = workdir / "fake-arm-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self.base = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeArm:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def identity_endpoint(self) -> str:
        return f"{self.base}/msi/token"

    def inject(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self._faults.setdefault(route, []).extend(faults)

    def calls(self, route: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.log if route is None or c.route == route]

    def pending_faults(self, route: str) -> int:
        with self._lock:
            return len(self._faults.get(route, []))

    def take_fault(self, call: Call) -> Fault | None:
        with self._lock:
            queue = self._faults.get(call.route, [])
            for index, fault in enumerate(queue):
                if fault.match is None or fault.match(call):
                    return queue.pop(index)
        return None

    def track(self, change: int, route: str) -> None:
        """Requests being answered right now, and the most ever at once (bounded concurrency), in all
        and per route."""
        with self._lock:
            self.in_flight += change
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            now = self._route_in_flight[route] = self._route_in_flight.get(route, 0) + change
            self.route_peak_in_flight[route] = max(self.route_peak_in_flight.get(route, 0), now)

    def record(self, call: Call) -> None:
        with self._lock:
            self.log.append(call)

    def new_graph_window(self) -> None:
        """Start a fresh Resource Graph quota window (as if the caller had been quiet for a while)."""
        with self._lock:
            self._window = (0.0, 0)

    def take_graph_quota(self) -> tuple[int, float]:
        """(requests left in the window after this one, seconds until it resets); < 0 left = over quota."""
        if self.graph_quota is None:
            return 14, 5.0
        limit, window = self.graph_quota
        with self._lock:
            start, used = self._window
            now = time.monotonic()
            if now - start >= window:
                start, used = now, 0
            used += 1
            self._window = (start, used)
            return limit - used, window - (now - start)

    def take_read(self, call: Call) -> tuple[dict[str, str], float]:
        """For a subscription-scoped GET with the read bucket on: (headers to send, seconds until a token is
        available, 0 when this request got one)."""
        bucket = self.read_bucket
        found = _SUBSCRIPTION_PATH.match(call.path)
        if bucket is None or found is None or call.method != "GET":
            return {}, 0.0
        with self._lock:
            now = time.monotonic()
            tokens, updated = self._reads.get(found[1].lower(), (float(bucket.capacity), now))
            tokens = min(float(bucket.capacity), tokens + (now - updated) * bucket.refill)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / bucket.refill
            if not wait:
                tokens -= 1
            self._reads[found[1].lower()] = (tokens, now)
        headers = {REMAINING_READS: str(int(tokens))}
        if wait and bucket.retry_after_ms:
            headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        elif wait:
            headers["Retry-After"] = str(max(math.ceil(wait), 1))
        return headers, wait

    @property
    def throttled(self) -> int:
        """429s answered so far (injected or by the quotas)."""
        with self._lock:
            return sum(1 for c in self.log if c.status == 429)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeArm
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        # Headers and body go out in separate writes: without NODELAY, Nagle + delayed ACK add ~40 ms each.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake happens in the handler thread, so a slow client never blocks accept().
        return self.fake._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.server.fake.connections += 1
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        route, found, handler = next(
            (
                (name, m, fn)
                for name, verb, rx, fn in [*ROUTES, *WRITE_ROUTES]
                if verb == method and (m := rx.fullmatch(url.path))
            ),
            ("unknown", None, None),
        )
        call = Call(
            route, method, url.path, parse_qs(url.query), json.loads(raw) if raw and method != "GET" else None
        )
        fake.track(+1, route)
        try:
            self._answer(fake, call, found, handler)
        finally:
            fake.track(-1, route)
        fake.record(call)

    def _answer(self, fake: FakeArm, call: Call, found: Any, handler: Any) -> None:
        delay = fake.route_latency.get(call.route, fake.latency)
        if delay:
            time.sleep(delay)
        fault = fake.take_fault(call)
        if fault is not None:
            self._fault(call, fault)
        elif found is None:
            self._send(call, 404, error("NotFound", f"no route for {call.method} {call.path}"))
        elif call.route == "release_calendar" and "Authorization" in self.headers:
            # a public site: a client that sends our ARM token there leaks it
            self._send(call, 400, error("TokenSentToPublicSite", "an Authorization header was sent"))
        elif call.route not in PUBLIC_ROUTES and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(call, 401, error("InvalidAuthenticationToken", "missing or wrong bearer token"))
        else:
            assert handler is not None
            limited, wait = fake.take_read(call)
            if wait:
                self._send(
                    call,
                    429,
                    error("SubscriptionRequestsThrottled", "subscription read limit reached"),
                    limited,
                )
                return
            status, body, headers = handler(fake, call, found, self.headers)
            self._send(call, status, body, headers | limited)

    def _fault(self, call: Call, fault: Fault) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        call.status = -1 if fault.reset or fault.cut else fault.status
        if fault.reset:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
            self.close_connection = True
            return
        body = fault.body if fault.body is not None else error("InternalServerError", "injected")
        if fault.cut:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(call, fault.status, body, fault.headers)

    def _send(self, call: Call, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        call.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    # --- routes: each returns (status, body, headers) -------------------------------------------------


@contextmanager
def running(estate: ArmEstate, workdir: Path) -> Iterator[FakeArm]:
    with FakeArm(estate, workdir) as fake:
        yield fake
