"""The read token bucket with an injected clock: no real sleeps."""

from __future__ import annotations

import threading

import pytest

from auditor.collectors.azure.pacing import (
    DEFAULT_READ_LIMITS,
    MARGIN,
    ReadLimits,
    ReadPacer,
    TokenBucket,
    retry_after,
)


class Clock:
    """A monotonic clock that only moves when someone sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _bucket(clock: Clock, burst: int = 5, refill: float = 50.0) -> TokenBucket:
    return TokenBucket(ReadLimits(burst, refill), clock=clock, sleep=clock.sleep, margin=1.0)


def test_defaults_are_arms_read_bucket() -> None:
    assert (DEFAULT_READ_LIMITS.burst, DEFAULT_READ_LIMITS.refill) == (250, 25.0)


def test_paces_a_little_inside_the_limits() -> None:
    clock = Clock()
    bucket = TokenBucket(ReadLimits(10, 100.0), clock=clock, sleep=clock.sleep)  # default margin 0.9
    assert bucket.tokens == pytest.approx(9.0)
    for _ in range(9):
        bucket.acquire()
    assert bucket.acquire() == pytest.approx(1 / 90)


def test_burst_is_free_then_each_token_waits_its_turn() -> None:
    clock = Clock()
    bucket = _bucket(clock)
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    assert clock.slept == []
    # The balance goes negative: later callers reserve later tokens (20 ms apart at 50/s), in order.
    assert [bucket.acquire() for _ in range(3)] == pytest.approx([0.02, 0.04, 0.06])
    assert clock.slept == pytest.approx([0.02, 0.04, 0.06])


def test_refill_is_capped_at_the_burst() -> None:
    clock = Clock()
    bucket = _bucket(clock)
    for _ in range(5):
        bucket.acquire()
    clock.advance(0.05)  # 2.5 tokens back
    assert bucket.tokens == pytest.approx(2.5)
    clock.advance(3600)
    assert bucket.tokens == 5
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    assert bucket.acquire() == pytest.approx(0.02)


def test_steady_rate_over_many_calls() -> None:
    clock = Clock()
    bucket = _bucket(clock, burst=250, refill=25.0)
    for _ in range(250 + 25 * 10):  # the burst, then 10 s worth of refill
        clock.advance(bucket.acquire())
    assert clock.now - 1000.0 == pytest.approx(10.0)


def test_server_remaining_count_lowers_ours() -> None:
    clock = Clock()
    bucket = _bucket(clock)
    bucket.sent()
    bucket.answered(1)  # someone else has been reading this subscription
    assert bucket.acquire() == 0.0
    assert bucket.acquire() == pytest.approx(0.02)
    bucket.sent()
    bucket.answered(100)  # never raises what we count on
    assert bucket.tokens == pytest.approx(-1.0)


def test_requests_still_in_flight_are_taken_off_what_the_server_says() -> None:
    clock = Clock()
    bucket = _bucket(clock, burst=10)
    for _ in range(4):
        bucket.acquire()
        bucket.sent()
    bucket.answered(9)  # served first; three more are on their way and will each take one
    assert bucket.tokens == pytest.approx(6.0)
    bucket.answered()  # a failed attempt (no response): no longer in flight, nothing learned
    bucket.answered(5)
    assert bucket.tokens == pytest.approx(4.0)


def test_hold_after_a_429_delays_everyone() -> None:
    clock = Clock()
    bucket = _bucket(clock)
    bucket.hold(1.5)
    assert bucket.acquire() == pytest.approx(1.5)
    clock.advance(2.0)  # the hold is over and the bucket refilled meanwhile
    assert bucket.acquire() == 0.0


def test_throttling_halves_the_rate_and_successes_win_it_back() -> None:
    clock = Clock()
    bucket = _bucket(clock, burst=1, refill=64.0)
    bucket.hold(0.0)
    bucket.hold(0.0)  # two 429s: a quarter of the rate
    assert bucket.acquire() == pytest.approx(1 / 16)
    clock.advance(1 / 16)
    for _ in range(48):
        bucket.succeeded()  # + 64/50 per success, capped at the limit
    assert bucket.acquire() == pytest.approx(1 / 64)
    for _ in range(200):
        bucket.hold(0.0)
    assert bucket.acquire() == pytest.approx(1.0)  # never below 1/64 of the limit


def test_a_hold_requeues_those_already_waiting() -> None:
    clock = Clock()

    def sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        if len(clock.slept) == 1:
            bucket.hold(2.0)  # a 429 arrives while this caller waits for its token

    bucket = TokenBucket(ReadLimits(1, 10.0), clock=clock, sleep=sleep, margin=1.0)
    bucket.acquire()
    assert bucket.acquire() == pytest.approx(0.1 + 2.0)
    assert clock.slept == pytest.approx([0.1, 2.0])


def test_concurrent_acquires_each_get_a_distinct_slot() -> None:
    clock = Clock()
    bucket = _bucket(clock, burst=1, refill=10.0)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait = bucket.acquire()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([i / 10 for i in range(20)])


def test_pacer_keeps_one_bucket_per_subscription() -> None:
    clock = Clock()
    pacer = ReadPacer(ReadLimits(1, 1.0), clock=clock, sleep=clock.sleep)
    assert pacer.bucket("AAA") is pacer.bucket("aaa")
    assert pacer.bucket("aaa").acquire() == 0.0
    assert pacer.bucket("bbb").acquire() == 0.0  # another subscription has its own burst
    assert pacer.bucket("aaa").acquire() == pytest.approx(1 / MARGIN)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"x-ms-retry-after-ms": "40"}, 0.04),
        ({"retry-after": "2", "retry-after-ms": "10"}, 2.0),  # the order azure-core reads them in
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
        ({}, None),
    ],
)
def test_retry_after_headers(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


@pytest.mark.parametrize(("burst", "refill"), [(0, 1.0), (1, 0.0)])
def test_limits_are_validated(burst: int, refill: float) -> None:
    with pytest.raises(ValueError, match="read limits"):
        ReadLimits(burst, refill)


def test_async_acquire_reserves_as_the_sync_one_and_sleeps_without_blocking_the_loop() -> None:
    """The async clients' policy waits with asyncio.sleep on the same bucket: same reservations, and the
    loop runs other work meanwhile (a time.sleep there would stall every read of the collection)."""
    import asyncio
    import time

    bucket = TokenBucket(ReadLimits(2, 50.0), margin=1.0)  # the real clock: 20 ms per token after 2

    async def scenario() -> tuple[list[float], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        running = asyncio.create_task(ticker())
        waited = await asyncio.gather(*(bucket.acquire_async() for _ in range(5)))
        running.cancel()
        return list(waited), ticks

    started = time.monotonic()
    waited, ticks = asyncio.run(scenario())
    assert sorted(waited)[:2] == [0.0, 0.0]
    assert sorted(waited)[2:] == pytest.approx([0.02, 0.04, 0.06], abs=0.01)
    assert time.monotonic() - started == pytest.approx(0.06, abs=0.05)  # waits overlap, not added up
    assert ticks >= 10  # the loop kept running while the reads waited
