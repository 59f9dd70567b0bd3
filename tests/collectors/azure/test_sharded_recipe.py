"""docs/recipes/kubernetes/sharded/: the Indexed Job of `collect --shard` pods, the Job that merges and
scans, and the scan in shards (an Indexed Job of `scan --shard` pods, then the Job that merges their
results) validate against the kubernetes client's models, agree with each other (shard count, files),
and their own arguments — the index expanded as Kubernetes does, the mounts moved to a folder — collect,
merge and scan an estate served by the ARM fake; both ways give the same result."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import run_cli
from tests.fakes.arm import FakeArm
from tests.fakes.arm_estate import ArmEstate, generated_estate, subscription_id
from tests.test_recipes import K8S_MODELS, RECIPES

SHARDED = RECIPES / "kubernetes" / "sharded"


def _jobs(name: str) -> list[dict[str, Any]]:
    documents = [d for d in yaml.safe_load_all((SHARDED / name).read_text(encoding="utf-8")) if d]
    for document in documents:
        model = K8S_MODELS[(document["apiVersion"], document["kind"])]
        assert model.model_validate(document).kind == document["kind"]
    return documents


def sharded() -> tuple[dict[str, Any], dict[str, Any]]:
    collect, merge = _jobs("collect-shards.yaml"), _jobs("merge-scan.yaml")
    return {d["kind"]: d for d in collect}, merge[0]


def _local_args(args: list[str], index: int, places: dict[str, Path]) -> list[str]:
    """The container's arguments as Kubernetes expands them for pod ``index``, its mounts moved here."""
    local = []
    for arg in args:
        arg = arg.replace("$(JOB_COMPLETION_INDEX)", str(index))
        for mount, place in places.items():
            arg = arg.replace(mount, str(place))
        local.append(arg)
    return local


def test_the_sharded_recipe_collects_every_shard_and_scans_the_merged_estate(
    tmp_path: Path, start_arm: Callable[[ArmEstate], FakeArm]
) -> None:
    """The Jobs' own arguments (index expanded, mounts moved to a folder) against the ARM fake: every
    pod's shard, the merge of all of them, the scan of the merged snapshot — the estate of one collection."""
    found, merge_job = sharded()
    job = found["Job"]["spec"]
    pod = job["template"]["spec"]
    [container] = pod["containers"]
    count = job["completions"]
    assert job["completionMode"] == "Indexed" and job["parallelism"] == count and job["maxFailedIndexes"] == 0
    assert container["args"][container["args"].index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{count}"
    [variable] = container["env"]
    assert variable["name"] == "JOB_COMPLETION_INDEX"
    assert variable["valueFrom"]["fieldRef"]["fieldPath"].endswith(
        "['batch.kubernetes.io/job-completion-index']"
    )
    assert found["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteMany"]
    [rule] = job["podFailurePolicy"]["rules"]
    assert sorted(rule["onExitCodes"]["values"]) == [2, 4]
    assert found["Job"]["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    # the merge job reads exactly the files the collect pods write
    merge_pod = merge_job["spec"]["template"]["spec"]
    [init] = merge_pod["initContainers"]
    written = [
        _local_args([container["args"][container["args"].index("--output") + 1]], i, {}) for i in range(count)
    ]
    assert [init["args"][2 : 2 + count]] == [[w[0] for w in written]]

    estate = generated_estate(clusters=24, subscriptions=12)
    config = yaml.safe_load(found["ConfigMap"]["data"]["aks-auditor.yaml"])
    estate.management_groups = {config["scope"]["managementGroups"][0]: list(estate.subscriptions)}
    fake = start_arm(estate)
    places = {"/etc/aks-auditor": tmp_path / "config", "/shards": tmp_path / "shards"}
    for place in places.values():
        place.mkdir()
    text = _local_args([found["ConfigMap"]["data"]["aks-auditor.yaml"]], 0, places)[0]  # outputs.dir
    (places["/etc/aks-auditor"] / "aks-auditor.yaml").write_text(text, encoding="utf-8")
    for index in range(count):
        code, out, err = run_cli(*_local_args(container["args"], index, places), "--arm-endpoint", fake.base)
        assert (code, err) == (0, ""), out
    code, out, err = run_cli(*_local_args(init["args"], 0, places))
    assert (code, err) == (0, "") and out.startswith(f"merged {count} shards: 24 clusters, 12 fleets"), out
    [scanner] = merge_pod["containers"]
    code, out, err = run_cli(*_local_args(scanner["args"], 0, places), "-q")
    assert code == 1, err  # the generated clusters run the examples' Kubernetes 1.9: failing
    result = json.loads((places["/shards"] / "reports" / "aks-auditor.json").read_text(encoding="utf-8"))
    assert {s["id"] for s in result["scan"]["scope"]["subscriptions"]} == {
        subscription_id(i) for i in range(12)
    }
    assert sum(f["resourceKind"] == "cluster" for f in result["findings"]) % 24 == 0
    assert {f["resourceId"] for f in result["findings"] if f["resourceKind"] == "cluster"} == {
        row["id"] for row in estate.tables["resources"] if row["type"].lower().endswith("/managedclusters")
    }

    # The scan in shards too: each pod of scan-shards.yaml merges the snapshots into its own folder and
    # judges its shard; merge-results.yaml joins their results: the single scan's result, times aside.
    single = _untimed(places["/shards"] / "reports" / "aks-auditor.json")
    [scan_job] = _jobs("scan-shards.yaml")
    [merge_results] = _jobs("merge-results.yaml")
    spec = scan_job["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", count, count)
    scan_pod = spec["template"]["spec"]
    [merge_init], [shard_scan] = scan_pod["initContainers"], scan_pod["containers"]
    assert merge_init["args"][2 : 2 + count] == init["args"][2 : 2 + count]  # the files collect wrote
    assert shard_scan["args"][shard_scan["args"].index("--shard") + 1] == f"$(JOB_COMPLETION_INDEX)/{count}"
    assert sorted(spec["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"]) == [2, 4]
    for index in range(count):
        work = tmp_path / f"work-{index}"  # the pod's own emptyDir
        work.mkdir()
        pod_places = {**places, "/work": work}
        code, _, err = run_cli(*_local_args(merge_init["args"], index, pod_places))
        assert (code, err) == (0, ""), err
        code, out, err = run_cli(*_local_args(shard_scan["args"], index, pod_places))
        assert code == 0, err  # the gate is merge-results'
        assert f"shard {index}/{count}: the gate (exit 1 or 3) is decided by `merge`" in out
    [merger] = merge_results["spec"]["template"]["spec"]["containers"]
    written = [
        _local_args([shard_scan["args"][shard_scan["args"].index("--output-dir") + 1]], i, {})[0]
        for i in range(count)
    ]
    assert merger["args"][1 : 1 + count] == [f"{folder}/aks-auditor.json" for folder in written]
    code, out, err = run_cli(*_local_args(merger["args"], 0, places), "-q")
    assert code == 1, err  # the whole estate's gate: failing findings
    assert _untimed(places["/shards"] / "reports" / "aks-auditor.json") == single


def _untimed(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("startedAt", "finishedAt"):
        document["scan"].pop(key)
    return dict(document)
