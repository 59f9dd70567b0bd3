"""The Resource Graph quota gate on its own: at most the quota's requests per window, the quota learnt
from what ARG reports, a late answer from an earlier window never ends the current one, and the same
gate shared by forked processes counts their requests together."""

from __future__ import annotations

import multiprocessing

import pytest

from auditor.collectors.azure.graph import DEFAULT_USER_QUOTA, QuotaGate


class Waited(Exception):
    pass


def refuse_to_wait(_seconds: float) -> None:
    raise Waited


def test_the_default_quota_is_sent_then_the_gate_waits() -> None:
    gate = QuotaGate()
    for _ in range(DEFAULT_USER_QUOTA):
        gate.acquire(refuse_to_wait)
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)


def test_the_quota_grows_to_what_arg_reports() -> None:
    gate = QuotaGate()
    window = gate.acquire(refuse_to_wait)
    gate.release(window, "99", 4.0, 1.0)  # 99 left after this one: the quota is at least 100
    for _ in range(99):
        gate.acquire(refuse_to_wait)
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)


def test_a_spent_quota_holds_until_it_resets() -> None:
    gate = QuotaGate()
    window = gate.acquire(refuse_to_wait)
    gate.release(window, "0", 3.0, 1.0)
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)


def test_a_late_answer_from_an_earlier_window_does_not_end_this_one() -> None:
    gate = QuotaGate()
    first = gate.acquire(refuse_to_wait)
    gate.release(first, "10", 0.0, 0.0)  # that window ends now
    second = gate.acquire(refuse_to_wait)  # a new window: 1 of 15 sent
    assert second.window == first.window + 1
    gate.release(first, "5", 0.0, 0.0)  # late, from the first window: says "resets now"
    for _ in range(DEFAULT_USER_QUOTA - 1):
        gate.acquire(refuse_to_wait)
    with pytest.raises(Waited):  # still the second window: its 15 are spent
        gate.acquire(refuse_to_wait)


def test_an_answer_from_a_window_arg_began_gives_that_windows_room() -> None:
    gate = QuotaGate()
    for answered in range(12):  # the gate's window: 12 sent, each answered in turn
        gate.release(gate.acquire(refuse_to_wait), str(DEFAULT_USER_QUOTA - 1 - answered), 5.0, 0.0)
    first_of_new = gate.acquire(refuse_to_wait)
    # Nothing was in flight when it was sent and nothing was sent after it: ARG counts 1 of 15.
    gate.release(first_of_new, str(DEFAULT_USER_QUOTA - 1), 5.0, 0.0)
    assert first_of_new.window == 0.0
    _take(gate, DEFAULT_USER_QUOTA - 1)
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)


@pytest.mark.parametrize("before, after", [(0, DEFAULT_USER_QUOTA - 1), (1, 0), (3, 5)])
def test_a_late_answer_never_makes_room_for_requests_that_may_follow_it(before: int, after: int) -> None:
    gate = QuotaGate()
    _take(gate, before)  # in flight when it was sent: they may arrive after it
    late = gate.acquire(refuse_to_wait)
    _take(gate, after)  # sent after it, answered or not
    gate.release(late, str(DEFAULT_USER_QUOTA - 1), 5.0, 0.0)  # "14 left" when it arrived
    room = DEFAULT_USER_QUOTA - 1 - before - after  # what ARG may have left at most
    _take(gate, room)
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)


def _take(gate: QuotaGate, count: int) -> None:
    for _ in range(count):
        gate.acquire(refuse_to_wait)


def test_forked_processes_share_one_count() -> None:
    context = multiprocessing.get_context("fork")
    gate = QuotaGate.shared(context)
    worker = context.Process(target=_take, args=(gate, 10))
    worker.start()
    worker.join()
    assert worker.exitcode == 0
    _take(gate, DEFAULT_USER_QUOTA - 10)  # what the worker left
    with pytest.raises(Waited):
        gate.acquire(refuse_to_wait)
