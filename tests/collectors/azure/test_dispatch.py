"""Fair dispatch: ready subscriptions first, round-robin among them, in order within one; no threads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest

from auditor.collectors.azure.dispatch import FairDispatch


class Slots:
    """Stands in for the pool: keeps the submitted slots and runs them when told."""

    def __init__(self) -> None:
        self.slots: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[[], Any]) -> None:
        self.slots.append(fn)

    def run_all(self) -> None:
        while self.slots:
            self.slots.pop(0)()


def _dispatch(waits: dict[str, float]) -> tuple[FairDispatch, Slots, list[str]]:
    slots = Slots()
    return FairDispatch(cast(ThreadPoolExecutor, slots), lambda key: waits[key]), slots, []


def test_round_robin_among_ready_subscriptions() -> None:
    dispatch, slots, ran = _dispatch({"a": 0.0, "b": 0.0})
    for name in ("a1", "a2", "a3", "b1", "b2"):
        dispatch.submit(name[0], ran.append, name)
    slots.run_all()
    assert ran == ["a1", "b1", "a2", "b2", "a3"]


def test_a_throttled_subscription_does_not_hold_the_others() -> None:
    waits = {"a": 0.5, "b": 0.0, "c": 0.2}
    dispatch, slots, ran = _dispatch(waits)
    for name in ("a1", "a2", "c1", "b1", "b2"):
        dispatch.submit(name[0], ran.append, name)
    slots.run_all()
    assert ran == ["b1", "b2", "c1", "a1", "a2"]  # ready first, then the one ready soonest


def test_results_exceptions_and_cancellation() -> None:
    dispatch, slots, ran = _dispatch({"a": 0.0})

    def fail() -> None:
        raise RuntimeError("read failed")

    done = dispatch.submit("a", lambda: 42)
    failed = dispatch.submit("a", fail)
    cancelled = dispatch.submit("a", ran.append, "never")
    last = dispatch.submit("a", ran.append, "last")
    assert cancelled.cancel()
    slots.run_all()
    assert done.result() == 42
    with pytest.raises(RuntimeError, match="read failed"):
        failed.result()
    assert cancelled.cancelled() and ran == ["last"] and last.done()
