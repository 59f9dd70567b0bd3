"""Fair dispatch of per-subscription reads onto the worker pool.

Resource Graph returns clusters sorted by id, that is grouped by subscription; a FIFO pool would put every
worker to sleep on the read bucket of one subscription while the others' buckets sit full (head-of-line
blocking). Here each submitted call only reserves a pool slot; the slot runs the next call of a
subscription whose bucket has a token now (round-robin among them), or else of the one ready soonest.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_Item = tuple[Future[Any], Callable[[], Any]]


class FairDispatch:
    """``submit(key, fn, *args)`` like an executor's, with calls of the same ``key`` (a subscription) kept
    in order and keys served by ``ready_in(key)`` (seconds until that key may send; 0 = now)."""

    def __init__(self, pool: ThreadPoolExecutor, ready_in: Callable[[str], float]) -> None:
        self._pool = pool
        self._ready_in = ready_in
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Item]] = {}
        self._order: deque[str] = deque()  # keys with queued calls, least recently served first

    def submit(self, key: str, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = deque()
                self._order.append(key)
            queue.append((future, functools.partial(fn, *args)))
        self._pool.submit(self._run_one)
        return future

    def _next(self) -> _Item | None:
        with self._lock:
            best: tuple[int, float] | None = None
            for index, key in enumerate(self._order):
                wait = self._ready_in(key)
                if best is None or wait < best[1]:
                    best = (index, wait)
                if wait <= 0:
                    break
            if best is None:
                return None
            key = self._order[best[0]]
            del self._order[best[0]]
            queue = self._queues[key]
            item = queue.popleft()
            if queue:
                self._order.append(key)
            else:
                del self._queues[key]
            return item

    def _run_one(self) -> None:
        # One pool slot per submitted call; a cancelled call gives its slot to the next one.
        while (item := self._next()) is not None:
            future, call = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as error:  # noqa: BLE001  # handed to the waiting thread, as an executor does
                future.set_exception(error)
            else:
                future.set_result(result)
            return
