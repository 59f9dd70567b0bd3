"""Shards: a deterministic partition of the subscriptions in scope, so several processes or Kubernetes
Job pods each collect one slice of an estate and a merge puts the slices back together.

A subscription's shard is chosen by rendezvous (highest-random-weight) hashing of its lower-cased id:
each shard index gets a 64-bit weight from BLAKE2b of ``"index/subscription"`` and the highest wins. So
membership depends only on the subscription and the shard count — adding or removing a subscription
never moves another one, and going from N to N+1 shards moves only the ~1/(N+1) that the new shard wins.
Fleets (with their members, update runs and hubs) go with their own subscription; a Fleet hub read from
a kubeconfig, whose fleet is unknown before it is read, goes to shard 0.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: What a shard partitions (recorded in every shard's snapshot).
PARTITION_KEY = "subscriptionId"
MAX_SHARDS = 10_000
_SPELLING = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class Shard(BaseModel):
    """Shard ``index`` of ``count`` (0-based, as Kubernetes' JOB_COMPLETION_INDEX)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=0)
    count: int = Field(ge=1, le=MAX_SHARDS)

    @model_validator(mode="after")
    def _in_range(self) -> Shard:
        if self.index >= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: the index must be below the count")
        return self

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` with 0 <= I < N <= 10000; ValueError naming the value and what was expected."""
        match = _SPELLING.match(text)
        if not match:
            raise ValueError(f"{text!r}: expected I/N, a shard index and count such as 0/4")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= count <= MAX_SHARDS or index >= count:
            raise ValueError(f"{text!r}: expected I/N with 0 <= I < N <= {MAX_SHARDS:,} (e.g. 0/4)")
        return cls(index=index, count=count)

    def owns(self, subscription_id: str) -> bool:
        return owner(subscription_id, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def _weight(index: int, key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{index}/{key}".encode(), digest_size=8).digest(), "big")


def owner(subscription_id: str, count: int) -> int:
    """The shard (0 <= shard < count) a subscription belongs to."""
    key = subscription_id.strip().lower()
    return max(range(count), key=lambda index: _weight(index, key))


def scope_digest(subscription_ids: Iterable[str]) -> str:
    """A digest of the whole scope's subscriptions (every shard records it: a merge refuses shards
    of different scopes, e.g. collected days apart after subscriptions were added)."""
    joined = "\n".join(sorted({sub.strip().lower() for sub in subscription_ids}))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
