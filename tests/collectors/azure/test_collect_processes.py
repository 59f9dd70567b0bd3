"""`collect --processes P` (and a live `scan --processes P`) against the fake ARM with Azure's Resource
Graph quota enforced: the snapshot of P processes is the snapshot of one, no 429 is self-caused (the
processes share one quota gate), a worker killed mid-collection is a coverage gap (exit 3), never a
smaller estate; `--processes` with `--shard` is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.arm import FakeArm
from tests.fakes.arm_estate import ArmEstate, generated_estate, subscription_id
from tests.processes import HAS_PROC, forked_workers, kill_a_worker

from ...conftest import run_cli as run
from .test_shards import SCOPE, estate

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake(start_arm: Callable[[ArmEstate], FakeArm]) -> FakeArm:
    started = start_arm(estate())
    started.forbidden_subscriptions.add(subscription_id(3))
    started.graph_quota = (15, 5.0)  # Resource Graph's default user quota: 15 requests per 5 s
    return started


def snapshot(path: Path) -> dict[str, Any]:
    document = dict(json.loads(path.read_text(encoding="utf-8")))
    document.pop("collectedAt")
    return document


@pytest.mark.parametrize("processes", ["2", "3"])
def test_p_processes_collect_the_snapshot_of_one(fake: FakeArm, tmp_path: Path, processes: str) -> None:
    common = ["--arm-endpoint", fake.base, *SCOPE, "--allow-partial"]
    assert run("collect", "-o", str(tmp_path / "one.json"), *common)[0] == 0
    fake.new_graph_window()  # the run before used the quota up: this one starts as a new caller would
    before = fake.throttled
    code, out, err = run("collect", "-o", str(tmp_path / "many.json"), *common, "--processes", processes)
    assert code == 0 and err.startswith(f"gap: subscription {subscription_id(3)}: "), out
    assert snapshot(tmp_path / "many.json") == snapshot(tmp_path / "one.json")
    assert json.loads((tmp_path / "many.json").read_text(encoding="utf-8"))["shard"] is None
    assert fake.throttled == before  # no 429, with the quota enforced and every process querying


def test_a_live_scan_in_two_processes_judges_the_same(fake: FakeArm, tmp_path: Path) -> None:
    reports = {}
    for processes in ("1", "2"):
        fake.new_graph_window()
        before = fake.throttled
        out = tmp_path / processes
        code, _, err = run(
            "scan", "--arm-endpoint", fake.base, *SCOPE, "--processes", processes,
            "--format", "json", "--output-dir", str(out), "-q",
        )  # fmt: skip
        assert code == 3, err  # the denied subscription
        assert fake.throttled == before, processes  # no 429, the quota enforced
        reports[processes] = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    assert reports["1"]["findings"] == reports["2"]["findings"] and len(reports["1"]["findings"]) > 300
    assert reports["1"]["scan"]["coverage"] == reports["2"]["scan"]["coverage"]


def test_processes_and_a_shard_are_refused(fake: FakeArm, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    code, _, err = run(
        "collect", "-o", str(out), "--arm-endpoint", fake.base, "--shard", "0/2", "--processes", "2"
    )
    assert code == 2 and "--processes with --shard: one shard is collected by one process" in err
    assert not out.exists() and fake.log == []


@pytest.mark.skipif(not HAS_PROC, reason="needs Linux /proc to find the worker")
def test_a_killed_worker_is_a_gap_never_a_smaller_estate(
    start_arm: Callable[[ArmEstate], FakeArm], tmp_path: Path
) -> None:
    fake = start_arm(generated_estate(clusters=300, subscriptions=12))
    fake.latency = 0.02  # long enough to find the worker while it reads
    out = tmp_path / "estate.json"
    command = [sys.executable, "-m", "auditor", "collect", "-o", str(out), "--arm-endpoint", fake.base]
    command += ["--processes", "2"]
    collecting = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    killed = kill_a_worker(collecting)  # a forked worker, not a helper it ran
    stdout, err = collecting.communicate(timeout=120)
    assert killed is not None, "the worker was never seen"
    assert "1 coverage gaps" in stdout
    assert collecting.returncode == 3, err
    assert (
        "gap: collection shard 1/2: collect the shard's subscriptions: exited with -9: its subscriptions "
        in err
    )
    document = json.loads(out.read_text(encoding="utf-8"))
    assert 0 < len(document["clusters"]) < 300  # shard 0's only, and the gap says what is missing
    [gap] = document["coverage"]["gaps"]
    assert (gap["scope"], gap["target"]) == ("collection", "shard 1/2")


def test_a_sign_in_failure_is_one_line_whatever_the_processes(
    fake: FakeArm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")  # the identity endpoint answers 401
    code, out, err = run(
        "collect", "-o", str(tmp_path / "e.json"), "--arm-endpoint", fake.base, *SCOPE, "--processes", "3"
    )
    assert code == 3 and out == ""
    first, hint = err.splitlines()
    assert first.startswith("aks-auditor: error: Azure authentication failed: ")
    assert hint.startswith("aks-auditor: hint: sign in (az login)")
    assert not (tmp_path / "e.json").exists() and fake.calls("graph") == []
    assert forked_workers(os.getpid()) == []  # no worker left behind
