"""`scan --shard I/N` judges one shard of a whole estate; `merge RESULT…` joins every shard's result into
the result one scan gives — the same JSON (timing aside) and, rendered, the same bytes in every format —
for N = 1, 2, 4 on the demo (waivers and report tags included); broken merges and misuse are refused
with one line, exit 2, nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auditor.findings import ScanResult
from auditor.result_file import load_result
from auditor.shard import owner

from .conftest import REPO
from .conftest import run_cli as run

FORMATS = ("json", "sarif", "html", "junit", "markdown")
DEMO = ("--demo", "--waivers", str(REPO / "docs/examples/waivers.yaml"), "--report-tags", "env,owner")


def scan(out: Path, *extra: str) -> tuple[int, str, str]:
    return run("scan", *DEMO, "--format", "json", "--output-dir", str(out), "-q", *extra)


def untimed(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("startedAt", "finishedAt"):
        document["scan"].pop(key)
    return dict(document)


def shard_results(tmp_path: Path, count: int, *extra: str) -> list[Path]:
    paths = []
    for index in range(count):
        code, _, err = scan(tmp_path / f"shard-{index}", "--shard", f"{index}/{count}", *extra)
        assert code == 0, err  # a shard's gate is merge's
        paths.append(tmp_path / f"shard-{index}" / "aks-auditor.json")
    return paths


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("whole")
    assert scan(out)[0] == 1
    return out / "aks-auditor.json"


@pytest.mark.parametrize("count", [1, 2, 4])
def test_merged_shard_results_are_the_single_scan(whole: Path, tmp_path: Path, count: int) -> None:
    paths = shard_results(tmp_path, count)
    parts = [load_result(path) for path in paths]
    single = load_result(whole)
    for index, part in enumerate(parts):
        assert part.shard is not None and (part.shard.index, part.shard.count) == (index, count)
        mine = {f.resource_id for f in part.findings}
        # a shard judges only its own subscriptions' resources (a hub's objects go with their fleet)
        assert all(owner(f.subscription_id, count) == index for f in part.findings if f.subscription_id)
        assert {c.resource_id for c in part.clusters} <= mine
    if count > 1:
        assert all(0 < len(part.findings) < len(single.findings) for part in parts[:2])
    code, out, err = run(
        "merge", *map(str, paths), "--format", "json", "--output-dir", str(tmp_path / "merged")
    )
    assert code == 1, err
    assert f"merged {count} shards' results" in out and "report: " in out
    merged_path = tmp_path / "merged" / "aks-auditor.json"
    assert untimed(merged_path) == untimed(whole)
    merged = load_result(merged_path)
    assert merged.waivers is not None and merged.waivers.applied > 0 and merged.report_tags is not None
    assert merged.scan.started_at == min(p.scan.started_at for p in parts)
    # every format renders as it would from one scan (with one scan's times)
    for name, result in (("one", single), ("joined", merged)):
        timed = result.model_copy(update={"scan": result.scan.model_copy(update=_times(single))})
        (tmp_path / f"{name}.json").write_text(timed.model_dump_json(by_alias=True), encoding="utf-8")
        format_args = [arg for fmt in FORMATS for arg in ("--format", fmt)]
        code, _, err = run(
            "convert", str(tmp_path / f"{name}.json"), *format_args, "--output-dir", str(tmp_path / name)
        )
        assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert len(files) == len(FORMATS)
    for file in files:
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "joined" / file).read_bytes(), file


def _times(result: ScanResult) -> dict[str, Any]:
    return {"started_at": result.scan.started_at, "finished_at": result.scan.finished_at}


def test_a_shard_in_processes_is_the_same_shard(tmp_path: Path) -> None:
    one = shard_results(tmp_path / "one", 2, "--processes", "1")
    two = shard_results(tmp_path / "two", 2, "--processes", "2")
    for a, b in zip(one, two, strict=True):
        assert untimed(a) == untimed(b)


def test_broken_merges_are_refused_and_write_nothing(tmp_path: Path) -> None:
    halves = shard_results(tmp_path / "halves", 2)
    thirds = shard_results(tmp_path / "thirds", 3)
    assert scan(tmp_path / "whole")[0] == 1
    assert scan(tmp_path / "strict", "--shard", "1/2", "--fail-on", "low")[0] == 0
    whole, strict = tmp_path / "whole/aks-auditor.json", tmp_path / "strict/aks-auditor.json"
    edited = json.loads(halves[1].read_text(encoding="utf-8"))
    edited["shard"]["positions"][0] = json.loads(halves[0].read_text(encoding="utf-8"))["shard"]["positions"][
        0
    ]
    overlapping = tmp_path / "overlapping.json"
    overlapping.write_text(json.dumps(edited), encoding="utf-8")
    snapshot = REPO / "auditor/demo/estate.json"
    out = tmp_path / "merged"
    cases = {
        (halves[0],): "missing shard 1/2 (given: 0/2): a merge of fewer shards would be a silently smaller result",
        (halves[0], halves[0]): f"{halves[0]} and {halves[0]} are both shard 0/2",
        (halves[0], thirds[1]): f"{thirds[1]}: shard 1/3 is not of the scan of {halves[0]} (shard 0/2): the shard count differs",
        (halves[0], strict): f"{strict}: shard 1/2 is not of the scan of {halves[0]} (shard 0/2): the --fail-on differs",
        (halves[0], whole): f"{whole}: not the result of a shard (a scan without --shard)",
        (halves[0], overlapping): "the shards' findings do not fit together: the resource at position ",
        (halves[0], snapshot): f"{snapshot}: expected a file of kind 'ScanResult', found kind 'Estate'",
        (halves[0], tmp_path / "nope.json"): f"{tmp_path / 'nope.json'}: file not found",
    }  # fmt: skip
    for files, message in cases.items():
        code, stdout, err = run("merge", *map(str, files), "--output-dir", str(out))
        assert (code, stdout) == (2, ""), err
        assert err.startswith(f"aks-auditor: error: {message}") and err.count("\n") == 1, err
        assert not out.exists()
    code, _, err = run("merge", *map(str, halves), "-o", str(tmp_path / "x.json"))
    assert code == 2 and "--output is the merged snapshot of --inventory" in err
    code, _, err = run("merge")
    assert code == 2 and "merge: name the JSON result of every shard" in err


def test_scan_shard_misuse_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    cases = {
        ("scan", "--shard", "0/2"): "--shard: a scan judges a shard of a whole snapshot (--inventory FILE) or of --demo",
        ("scan", "--demo", "--shard", "0/2", "--baseline", str(tmp_path / "b.json")): "--shard with --baseline: a shard's result is one part of a scan",
        ("scan", "--demo", "--shard", "0/2", "--history", str(tmp_path / "h.db")): "--shard with --history: ",
        ("scan", "--demo", "--shard", "0/2", "--remediate"): "--shard with --remediate: ",
    }  # fmt: skip
    # a shard of a collection is not a whole snapshot: its memberships across shards are not in it
    part = json.loads((REPO / "auditor/demo/estate.json").read_text(encoding="utf-8"))
    part["schemaVersion"] = "1.1"
    part["shard"] = {"index": 0, "count": 2, "scopeSubscriptions": 3, "scopeDigest": "0" * 16}
    (tmp_path / "part.json").write_text(json.dumps(part), encoding="utf-8")
    cases[("scan", "--inventory", str(tmp_path / "part.json"), "--shard", "0/2")] = (
        f"--shard 0/2: {tmp_path / 'part.json'} is shard 0/2 of a collection; join the shards with "
        "`merge --inventory`"
    )
    for args, message in cases.items():
        code, _, err = run(*args, "--output-dir", str(out))
        assert code == 2 and message in err and err.count("\n") == 1, err
        assert not out.exists()
    code, _, err = run("scan", "--demo", "--shard", "2/2", "--output-dir", str(out))  # click's usage error
    assert code == 2 and "Invalid value for '--shard': '2/2': expected I/N with 0 <= I < N" in err
