"""The shard partition (auditor/shard.py): complete and disjoint, stable when subscriptions come and go,
and moving only what the new shard takes when one shard is added (property tests); the I/N spelling."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.shard import Shard, owner, scope_digest

subscription_ids = st.uuids().map(str)
scopes = st.lists(subscription_ids, min_size=1, max_size=60, unique=True)
counts = st.integers(min_value=1, max_value=12)


@given(scope=scopes, count=counts)
def test_every_subscription_is_in_exactly_one_shard(scope: list[str], count: int) -> None:
    for sub in scope:
        owners = [index for index in range(count) if Shard(index=index, count=count).owns(sub)]
        assert owners == [owner(sub, count)]


@given(scope=scopes, new=subscription_ids, count=counts)
def test_adding_a_subscription_moves_no_other(scope: list[str], new: str, count: int) -> None:
    before = {sub: owner(sub, count) for sub in scope}
    after = {sub: owner(sub, count) for sub in [*scope, new]}
    assert {sub: after[sub] for sub in scope} == before


@given(scope=scopes, count=counts)
def test_one_more_shard_takes_only_what_it_wins(scope: list[str], count: int) -> None:
    for sub in scope:
        assert owner(sub, count + 1) in (owner(sub, count), count)


@given(sub=subscription_ids, count=counts)
def test_ids_compare_case_insensitively(sub: str, count: int) -> None:
    assert owner(sub.upper(), count) == owner(f" {sub} ", count) == owner(sub, count)


def test_shards_are_balanced() -> None:
    scope = [str(uuid.UUID(int=index * 7919 + 1)) for index in range(2_000)]
    sizes = [sum(owner(sub, 4) == index for sub in scope) for index in range(4)]
    assert sum(sizes) == 2_000 and all(400 < size < 600 for size in sizes), sizes


def test_scope_digest_ignores_order_and_case() -> None:
    a, b = "AAAA-1", "bbbb-2"
    assert scope_digest([a, b]) == scope_digest([b.upper(), a.lower()]) != scope_digest([a])


@pytest.mark.parametrize(("text", "expected"), [("0/4", (0, 4)), (" 3 / 4 ", (3, 4)), ("0/1", (0, 1))])
def test_spelled_shards(text: str, expected: tuple[int, int]) -> None:
    shard = Shard.parse(text)
    assert (shard.index, shard.count) == expected and str(shard) == f"{expected[0]}/{expected[1]}"


@pytest.mark.parametrize("text", ["4/4", "1", "-1/4", "1/0", "a/b", "0/10001", "1/2/3", ""])
def test_misspelled_shards_say_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected I/N"):
        Shard.parse(text)
