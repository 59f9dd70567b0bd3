"""`collect --shard I/N` against the fake ARM, then `merge --inventory`: the merged snapshot is the one a
single collection writes (N = 1, 2, 4), including a fleet whose member cluster is in another shard's
subscription and a subscription whose reads are denied; broken merges are refused with one line."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from auditor.shard import Shard, owner
from tests.fakes.arm import FakeArm
from tests.fakes.arm_estate import ArmEstate, fleet_arm_id, generated_estate, subscription_id
from tests.fakes.arm_examples import FLEET, body

from ...conftest import run_cli as run

SUBSCRIPTIONS = 10


def estate() -> ArmEstate:
    built = generated_estate(clusters=30, subscriptions=SUBSCRIPTIONS, regions=3)
    # a member of fleet-0 whose cluster lives in another subscription (in another shard for N = 2 and 4)
    other = next(
        i for i in range(1, SUBSCRIPTIONS) if owner(subscription_id(i), 2) != owner(subscription_id(0), 2)
    )
    member = body(f"{FLEET}/FleetMembers_Get.json")
    member["properties"]["clusterResourceId"] = next(
        row["id"] for row in built.tables["resources"] if row.get("subscriptionId") == subscription_id(other)
        and row["type"].lower() == "microsoft.containerservice/managedclusters"
    )  # fmt: skip
    built.add_fleet_child(fleet_arm_id(subscription_id(0), "fleets", "fleet-0"), "members", member, "m-cross")
    return built


@pytest.fixture
def fake(start_arm: Callable[[ArmEstate], FakeArm]) -> FakeArm:
    started = start_arm(estate())
    started.forbidden_subscriptions.add(subscription_id(3))  # a gap in one shard is a gap of the whole
    return started


SCOPE = [arg for i in range(SUBSCRIPTIONS) for arg in ("--subscription", subscription_id(i))]


def collect(fake: FakeArm, path: Path, *extra: str) -> tuple[int, str, str]:
    return run("collect", "-o", str(path), "--arm-endpoint", fake.base, *SCOPE, "--allow-partial", *extra)


def snapshot(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("collectedAt")
    return dict(document)


@pytest.mark.parametrize("count", [1, 2, 4])
def test_merged_shards_are_the_single_collection(fake: FakeArm, tmp_path: Path, count: int) -> None:
    assert collect(fake, tmp_path / "single.json")[0] == 0
    shards = [tmp_path / f"shard-{index}.json" for index in range(count)]
    sizes = []
    for index, path in enumerate(shards):
        code, out, _ = collect(fake, path, "--shard", f"{index}/{count}")
        assert code == 0, out
        assert f"(shard {index}/{count} of {SUBSCRIPTIONS} subscriptions in scope)" in out
        part = json.loads(path.read_text(encoding="utf-8"))
        assert part["shard"]["index"] == index and part["shard"]["partitionKey"] == "subscriptionId"
        sizes.append(len(part["clusters"]))
        assert {s["id"] for s in part["scope"]["subscriptions"]} == {
            subscription_id(i)
            for i in range(SUBSCRIPTIONS)
            if Shard(index=index, count=count).owns(subscription_id(i)) and i != 3
        }
    assert sum(sizes) == 27 and (count == 1 or max(sizes) < 27)  # 30 clusters, 3 in the denied subscription
    code, out, err = run("merge", "--inventory", *map(str, shards), "-o", str(tmp_path / "merged.json"))
    assert code == 3 and err.startswith(f"gap: subscription {subscription_id(3)}: ")
    assert out.startswith(
        f"merged {count} shards: 27 clusters, 9 fleets from 9 subscriptions; 1 coverage gaps"
    )
    single, merged = snapshot(tmp_path / "single.json"), snapshot(tmp_path / "merged.json")
    assert merged == single
    cross = [
        c
        for c in merged["clusters"]
        if any(m["memberName"] == "m-cross" for m in c["fleetMemberships"] or ())
    ]
    assert len(cross) == 1  # the membership across shards is attached again
    for name in ("single", "merged"):
        run(
            "scan",
            "--inventory",
            str(tmp_path / f"{name}.json"),
            "--format",
            "json",
            "--output-dir",
            str(tmp_path / name),
            "-q",
        )
    assert (tmp_path / "single" / "aks-auditor.json").exists()
    findings = [
        json.loads((tmp_path / name / "aks-auditor.json").read_text(encoding="utf-8"))["findings"]
        for name in ("single", "merged")
    ]
    assert findings[0] == findings[1] and len(findings[0]) > 100


def test_broken_merges_are_refused_and_write_nothing(fake: FakeArm, tmp_path: Path) -> None:
    paths = {}
    for spelled in ("0/2", "1/2", "0/3"):
        paths[spelled] = tmp_path / f"shard-{spelled.replace('/', 'of')}.json"
        assert collect(fake, paths[spelled], "--shard", spelled)[0] == 0
    assert collect(fake, tmp_path / "whole.json")[0] == 0
    out = tmp_path / "merged.json"
    cases = {
        (paths["0/2"],): "missing shard 1/2 (given: 0/2): a merge of fewer shards would be a silently smaller estate",
        (paths["0/2"], paths["0/2"]): f"{paths['0/2']} and {paths['0/2']} are both shard 0/2",
        (paths["0/2"], paths["0/3"]): f"{paths['0/3']}: shard 0/3 of scope ",
        (paths["0/2"], tmp_path / "whole.json"): f"{tmp_path / 'whole.json'}: not a shard (a snapshot collected without --shard)",
        (paths["0/2"], tmp_path / "nope.json"): f"{tmp_path / 'nope.json'}: file not found",
    }  # fmt: skip
    for files, message in cases.items():
        code, stdout, err = run("merge", "--inventory", *map(str, files), "-o", str(out))
        assert (code, stdout) == (2, ""), err
        assert err.startswith(f"aks-auditor: error: {message}") and err.count("\n") == 1, err
        assert not out.exists()
    # a shard whose subscriptions are not its own (a file edited, or renamed into another shard's place)
    edited = json.loads(paths["1/2"].read_text(encoding="utf-8"))
    edited["shard"]["index"] = 0
    (tmp_path / "edited.json").write_text(json.dumps(edited), encoding="utf-8")
    code, _, err = run(
        "merge", "--inventory", str(tmp_path / "edited.json"), str(paths["1/2"]), "-o", str(out)
    )
    assert code == 2 and "is not in shard 0/2 of this partition" in err and not out.exists()
    # a shard left from an earlier run: collected too long before the others
    stale = json.loads(paths["1/2"].read_text(encoding="utf-8"))
    stale["collectedAt"] = "2020-01-01T00:00:00Z"
    (tmp_path / "stale.json").write_text(json.dumps(stale), encoding="utf-8")
    code, _, err = run(
        "merge", "--inventory", str(paths["0/2"]), str(tmp_path / "stale.json"), "-o", str(out)
    )
    assert code == 2 and f"{tmp_path / 'stale.json'} was collected " in err and "--max-spread" in err
    assert not out.exists()
    code, _, err = run("merge", str(paths["0/2"]), str(paths["1/2"]), "--output-dir", str(out))
    assert code == 2 and f"{paths['0/2']}: expected a file of kind 'ScanResult', found kind 'Estate'" in err
    code, _, err = run("merge", "--inventory", str(paths["0/2"]), str(paths["1/2"]))
    assert code == 2 and "merge --inventory: give --output FILE for the merged snapshot" in err
    code, _, err = run("collect", "-o", str(out), "--arm-endpoint", fake.base, "--shard", "2/2")
    assert code == 2 and "'2/2': expected I/N with 0 <= I < N" in err and not out.exists()


def test_scanning_one_shard_says_what_it_cannot_see(fake: FakeArm, tmp_path: Path) -> None:
    assert collect(fake, tmp_path / "shard.json", "--shard", "1/2")[0] == 0
    code, _, err = run(
        "scan",
        "--inventory",
        str(tmp_path / "shard.json"),
        "--format",
        "json",
        "--output-dir",
        str(tmp_path),
        "-q",
    )
    assert code in (1, 3), err  # findings (and the denied subscription's gap, if this shard owns it)
    result = json.loads((tmp_path / "aks-auditor.json").read_text(encoding="utf-8"))
    notes = result["scan"]["coverage"]["notes"]
    assert f"this estate is shard 1/2 of a {SUBSCRIPTIONS}-subscription scope: " in " ".join(notes)


def untimed(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("startedAt", "finishedAt"):
        document["scan"].pop(key)
    return dict(document)


@pytest.mark.parametrize("count", [2, 4])
def test_scan_shards_of_the_collected_estate_merge_into_its_scan(
    fake: FakeArm, tmp_path: Path, count: int
) -> None:
    """Collected through the SDK clients from the fake (the member across shards and the denied
    subscription included), judged in shards and merged: the result of one scan of the estate."""
    snapshot = tmp_path / "estate.json"
    assert collect(fake, snapshot)[0] == 0
    scan_args = ("--inventory", str(snapshot), "--format", "json", "-q")
    code, _, err = run("scan", *scan_args, "--output-dir", str(tmp_path / "single"))
    assert code == 3, err  # the denied subscription
    results = []
    for index in range(count):
        out = tmp_path / f"shard-{index}"
        code, _, err = run("scan", *scan_args, "--output-dir", str(out), "--shard", f"{index}/{count}")
        assert code == 0, err  # the estate's gap is in every shard's result; the gate is merge's
        results.append(out / "aks-auditor.json")
    code, _, err = run("merge", *map(str, results), "--format", "json", "--output-dir", str(tmp_path / "m"))
    assert code == 3, err
    merged, single = (
        untimed(tmp_path / "m" / "aks-auditor.json"),
        untimed(tmp_path / "single" / "aks-auditor.json"),
    )
    assert merged == single and len(single["findings"]) > 100
    # the fleet's member in another shard's subscription was judged with its running version
    fleet = next(card for card in merged["fleets"] if card["name"] == "fleet-0")
    assert any(member["name"] == "m-cross" for member in fleet["members"])
    code, _, err = run("merge", *map(str, results), "--allow-partial", "--output-dir", str(tmp_path / "p"))
    assert code == 1, err  # gaps alone no longer exit 3; the failing findings still reach --fail-on
