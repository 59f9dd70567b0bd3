"""`scan --processes P`: the findings of P processes are those of one, in the same order (the demo and a
generated estate); a worker killed mid-scan is a coverage gap (exit 3) and its resources are missing,
never a silently smaller estate that passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.inventory.estate import resource_count
from auditor.inventory.snapshot import dump_model
from auditor.policies.parallel import MIN_RESOURCES_PER_PROCESS, available_cpus, default_processes
from benchmarks.generate_estate import build_estate
from tests.conftest import run_cli
from tests.processes import HAS_PROC, kill_a_worker

ROOT = Path(__file__).resolve().parents[2]


def scan(*args: str, out: Path) -> tuple[int, dict[str, Any]]:
    code, _, err = run_cli("scan", *args, "--format", "json", "--output-dir", str(out), "-q")
    assert err == "", err
    return code, json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("processes", ["2", "3"])
def test_the_demo_in_several_processes_is_the_demo_in_one(tmp_path: Path, processes: str) -> None:
    one = scan("--demo", "--processes", "1", out=tmp_path / "one")
    many = scan("--demo", "--processes", processes, out=tmp_path / "many")
    assert one[0] == many[0] == 1
    assert one[1]["findings"] == many[1]["findings"] and len(one[1]["findings"]) > 200
    assert one[1]["scan"]["coverage"] == many[1]["scan"]["coverage"]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("estate") / "estate.json"
    path.write_text(dump_model(build_estate(clusters=1_500, subscriptions=30)), encoding="utf-8")
    return path


def test_a_generated_estate_in_two_processes_is_the_same(snapshot: Path, tmp_path: Path) -> None:
    one = scan("--inventory", str(snapshot), "--processes", "1", out=tmp_path / "one")
    two = scan("--inventory", str(snapshot), "--processes", "2", out=tmp_path / "two")
    assert one[0] == two[0]
    assert one[1]["findings"] == two[1]["findings"] and len(one[1]["findings"]) > 30_000
    assert one[1]["summary"] == two[1]["summary"]


@pytest.mark.skipif(not HAS_PROC, reason="needs Linux /proc to find the worker")
def test_a_killed_worker_is_a_gap_never_a_smaller_pass(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "auditor", "scan", "--inventory", str(snapshot), "--processes", "2"]
    command += ["--format", "json", "--output-dir", str(out), "-q"]
    scanning = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = kill_a_worker(scanning)  # a forked worker, not a helper it ran
    _, err = scanning.communicate(timeout=120)
    assert killed is not None, "the worker was never seen"
    assert scanning.returncode == 3, err
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    [gap] = result["scan"]["coverage"]["gaps"]
    assert (gap["scope"], gap["target"]) == ("evaluation", "worker 2 of 2")
    assert gap["reason"] == "exited with -9: its resources have no findings"
    whole = scan("--inventory", str(snapshot), "--processes", "1", out=tmp_path / "whole")[1]["findings"]
    kept = result["findings"]
    assert 0 < len(kept) < len(whole)
    assert all(finding in whole for finding in kept[:500])


def test_the_default_is_one_process_for_a_small_estate() -> None:
    small = build_estate(clusters=10, subscriptions=2)
    assert default_processes(resource_count(small)) == 1
    assert default_processes(10 * MIN_RESOURCES_PER_PROCESS) == min(10, available_cpus())


@pytest.mark.parametrize(
    ("limit", "expected"),
    [("max 100000\n", 64), ("200000 100000\n", 2), ("150000 100000", 2), ("5000 100000", 1)],
)
def test_a_containers_cpu_limit_caps_the_processes(tmp_path: Path, limit: str, expected: int) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(limit, encoding="ascii")
    assert available_cpus(cpu_max) == min(expected, len(os.sched_getaffinity(0)))
    assert available_cpus(tmp_path / "absent") == len(os.sched_getaffinity(0))


def test_the_processes_come_from_the_config_file_too(tmp_path: Path) -> None:
    config = tmp_path / "aks-auditor.yaml"
    config.write_text("version: 1\ncollection:\n  processes: 3\n", encoding="utf-8")
    code, out, _ = run_cli("config", "show", "--json", "--config", str(config), "--demo")
    row = next(r for r in json.loads(out)["settings"] if r["key"] == "collection.processes")
    assert code == 0 and (row["value"], row["origin"]) == ("3", f"{config}: collection.processes")
    one = scan("--demo", "--processes", "1", out=tmp_path / "one")[1]
    three = scan("--demo", "--config", str(config), out=tmp_path / "three")[1]
    assert one["findings"] == three["findings"]
