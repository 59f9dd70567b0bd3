"""ARM's per-subscription read bucket, enforced by the fake: paced reads see no 429; reads that outrun it are
answered 429, wait for Retry-After and finish with the same data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from auditor.collectors.azure.pacing import ReadLimits
from auditor.inventory import Estate
from auditor.inventory.base import normalize_id
from tests.fakes.arm import REMAINING_READS, Call, FakeArm, ReadBucket
from tests.fakes.arm_estate import CLUSTER_TYPE, ArmEstate, generated_estate

from .conftest import collect

ARM_READS = ("maintenance", "versions", "cluster_upgrade", "pool_upgrade")


def _assert_exact(fake: FakeArm, estate: Estate) -> None:
    assert estate.coverage.gaps == ()
    expected = sorted(
        normalize_id(r["id"]) for r in fake.estate.tables["resources"] if r["type"] == CLUSTER_TYPE
    )
    assert [normalize_id(c.id) for c in estate.clusters] == expected
    assert all(len(c.maintenance_configurations or ()) == 2 for c in estate.clusters)
    assert sorted(c.location for c in estate.catalogs) == ["region0", "region1", "region2"]


def _statuses(fake: FakeArm) -> dict[str, list[int]]:
    by_path: dict[str, list[int]] = defaultdict(list)
    for call in fake.calls():
        if call.route in ARM_READS:
            by_path[call.path].append(call.status)
    return by_path


def test_paced_reads_stay_within_the_bucket(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=40, subscriptions=2))
    # As with ARM's 250 burst, the burst exceeds the workers; ~60 reads per subscription outlast it.
    fake.read_bucket = ReadBucket(capacity=20, refill=50.0, retry_after_ms=True)
    estate = collect(fake, deep=True, workers=8, read_limits=ReadLimits(burst=20, refill=50.0))
    _assert_exact(fake, estate)
    assert all(c.upgrade_profile is not None for c in estate.clusters)
    reads = [c for c in fake.calls() if c.route in ARM_READS]
    assert len(reads) == 40 * 3 + 3  # maintenance + cluster and pool upgrade profiles; 3 catalogs
    assert fake.throttled == 0


def test_reads_faster_than_the_bucket_back_off_and_finish(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=40, subscriptions=2))
    fake.read_bucket = ReadBucket(capacity=5, refill=50.0, retry_after_ms=True)
    # Pacing 4x looser than the server: it throttles; each 429 holds that subscription's readers and
    # slows them down.
    estate = collect(fake, workers=8, read_limits=ReadLimits(burst=20, refill=200.0))
    _assert_exact(fake, estate)
    assert fake.throttled > 0
    statuses = _statuses(fake)
    assert all(codes[-1] == 200 and set(codes) <= {200, 429} for codes in statuses.values())
    assert len(statuses) == 40 + 3


def test_unpaced_reads_wait_for_retry_after_seconds(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    """The SDK's RetryPolicy honours ARM's whole-second Retry-After on a GET: with no backoff of its own
    (retry_backoff 0) an immediate retry would be throttled again, yet each 429 is followed by one 200."""
    fake = start_arm(generated_estate(clusters=3, subscriptions=1, regions=1))
    fake.read_bucket = ReadBucket(capacity=2, refill=1.0)  # Retry-After: 1 (s) when empty
    estate = collect(fake, workers=2, read_limits=None)
    assert estate.coverage.gaps == () and len(estate.clusters) == 3
    statuses = _statuses(fake)
    # 3 maintenance lists and 1 catalog, 2 at a time: the first two fit the burst, later ones are
    # throttled and, retried only after Retry-After (the bucket refills one token a second), answered.
    # Without waiting, the retries (no backoff of the SDK's own) would burn the retry budget in
    # milliseconds and end in a gap; finishing with 200 after 429s shows Retry-After was honoured.
    assert len(statuses) == 4 and fake.throttled >= 1
    assert all(codes[-1] == 200 and set(codes[:-1]) <= {429} for codes in statuses.values()), statuses


def test_every_arm_read_reports_the_remaining_reads(start_arm: Callable[[ArmEstate], FakeArm]) -> None:
    fake = start_arm(generated_estate(clusters=1, subscriptions=1))
    fake.read_bucket = ReadBucket(capacity=3, refill=0.001)
    sub = "/subscriptions/s1/providers/Microsoft.ContainerService/locations/x/kubernetesVersions"
    taken = [fake.take_read(Call("versions", "GET", sub, {})) for _ in range(4)]
    assert [headers[REMAINING_READS] for headers, _ in taken] == ["2", "1", "0", "0"]
    assert [wait > 0 for _, wait in taken] == [False, False, False, True]
    assert taken[3][0]["Retry-After"] == str(1000)  # whole seconds until the next token (1 per 1000 s)
    graph = Call("graph", "POST", "/providers/Microsoft.ResourceGraph/resources", {})
    assert fake.take_read(graph) == ({}, 0.0)  # Resource Graph has its own quota
