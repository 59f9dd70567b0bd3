"""Time the scan history store on the results of a generated estate, against the file-based baseline.

    .venv/bin/python benchmarks/history.py [--clusters 10000] [--profile]

A scheduled job runs ``scan --history h.db --baseline history:latest``: open the store, read the latest
scan of the same scope back as the baseline, carry ``firstSeen`` (annotate), compare, record the scan (one
transaction, one row per finding). Without the store the same job keeps the previous JSON result: it
reads the previous file (``load_result``), compares, and writes the new JSON (the JSON renderer, as
``write_reports`` does). Both run twice (a first scan, then the next day's), on SQLite and on a throwaway
PostgreSQL server (initdb + pg_ctl on a loopback port, as ``nobody`` when run as root; skipped with the
reason when the server binaries are missing), then ``history list`` (scans()) and ``trend(None, None)``.

Only the history part is timed. The two ScanResults are produced first, in their own process (the estate
evaluated once; the second scan is the same result a day later with 2 % of the failures fixed and 1 % of
the passes failing), and saved as JSON in a temp dir; each measurement loads what it needs before its
clock and its peak-RSS mark start (the peak is reset with /proc/self/clear_refs after the load, so it is
the peak while the measured work ran, the loaded result(s) included; "inputs" is the RSS at that point).
Each measurement runs in its own process; the time its cyclic garbage collector took (gc.callbacks) is
shown as part of its wall time. --profile runs the store measurements under cProfile and
prints their top entries (slower; not for the table).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate_estate import build_estate

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> bool:
    """Start a new peak-RSS mark at the current RSS (Linux >= 4.0); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


# --- the inputs (not timed) ------------------------------------------------------------------------------


def prepare(clusters: int, work: Path) -> dict[str, Any]:
    from auditor.findings import Status, Summary
    from auditor.policies.loader import Selection, configure, load_policy_dirs
    from auditor.reporters.json_report import render_json
    from auditor.scan import run_scan

    begin = time.perf_counter()
    estate = build_estate(clusters=clusters)
    policies = configure(load_policy_dirs(Path("policies"), []), Selection(enable=frozenset({"FLEET-005"})))
    first = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None)
    evaluated = time.perf_counter() - begin
    day = timedelta(days=1)
    failing = passing = 0
    changed = []
    for finding in first.findings:
        if finding.status is Status.FAIL:
            failing += 1
            if failing % 50 == 0:  # fixed since
                finding = finding.model_copy(update={"status": Status.PASS})
        elif finding.status is Status.PASS:
            passing += 1
            if passing % 100 == 0:  # failing since
                finding = finding.model_copy(update={"status": Status.FAIL})
        changed.append(finding)
    found = tuple(changed)
    info = first.scan
    second = first.model_copy(
        update={
            "scan": info.model_copy(
                update={
                    "started_at": info.started_at + day,
                    "finished_at": info.finished_at + day,
                    "evaluated_at": info.evaluated_at + day if info.evaluated_at else None,
                }
            ),
            "findings": found,
            "summary": Summary.of(found),
        }
    )
    for name, result in (("scan1.json", first), ("scan2.json", second)):
        with open(work / name, "wb") as out:
            for chunk in render_json(result):
                out.write(chunk)
    return {
        "findings": [len(first.findings), len(second.findings)],
        "failing": [first.summary.by_status[Status.FAIL], second.summary.by_status[Status.FAIL]],
        "prepare_s": time.perf_counter() - begin,
        "evaluate_s": evaluated,
    }


# --- the measurements --------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def step(self, name: str, function: Callable[..., T], *args: Any) -> T:
        begin = time.perf_counter()
        value = function(*args)
        self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - begin
        return value


class CollectorTime:
    """Seconds spent in Python's cyclic garbage collector (gc.callbacks), and how many full collections."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._began
        self.full += info["generation"] == 2


@contextmanager
def _profiled(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(str(path))


def measure(mode: str, work: Path, url: str | None, profile: Path | None) -> dict[str, Any]:
    from sqlalchemy import func, select

    from auditor.gates.baseline import check_scope, compare
    from auditor.gcpause import collector_paused
    from auditor.history.schema import findings
    from auditor.history.store import HistoryStore
    from auditor.outputs import write_reports
    from auditor.reporters.interface import OutputFormat
    from auditor.reporters.registry import renderer_for
    from auditor.result_file import load_result

    run = 1 if mode.endswith("first") else 2
    result = load_result(work / f"scan{run}.json") if not mode.endswith("read") else None
    gc.collect()
    inputs = _current_rss_mb()
    reset = _reset_peak()
    clock = Clock()
    collector = CollectorTime()
    gc.callbacks.append(collector)
    extra: dict[str, Any] = {}
    json_name = renderer_for(OutputFormat.JSON).file_name()
    with _profiled(profile):
        if mode.startswith("ours") and result is not None:
            # as auditor/cli/scan.py: open, baseline history:latest, annotate, compare, (reports), record
            assert url is not None
            store = clock.step("open", HistoryStore, url)
            baseline, label = clock.step(
                "baseline()", store.baseline, "latest", result.scan.scope, result.scan.source
            )
            result = clock.step("annotate()", store.annotate, result)
            if baseline is not None:
                clock.step("compare()", check_scope, result, baseline, label)
            result = clock.step("compare()", compare, result, baseline, label)
            extra["scan_id"] = clock.step("record()", store.record, result)
            clock.step("close", store.close)
        elif mode == "ours-read":
            assert url is not None
            store = clock.step("open", HistoryStore, url)
            rows = clock.step("scans()", store.scans)
            points = clock.step("trend(None, None)", store.trend, None, None)
            clock.step("close", store.close)
            extra["scans"] = len(rows)
            extra["trend_points"] = len(points)
        elif mode.startswith("file") and result is not None:
            previous = work / "file-run1" / json_name
            baseline = None
            if run == 2:
                baseline = clock.step("load_result()", load_result, previous)
                clock.step("compare()", check_scope, result, baseline, str(previous))
                result = clock.step("compare()", compare, result, baseline, str(previous))
            with collector_paused():  # as the CLI does while it writes the reports
                clock.step("write JSON", write_reports, result, [OutputFormat.JSON], work / f"file-run{run}")
            extra["json_mb"] = (work / f"file-run{run}" / json_name).stat().st_size / 1e6
        else:
            raise SystemExit(f"unknown mode {mode}")
    peak = _rss_mb()
    gc.callbacks.remove(collector)
    if mode == "ours-read":  # not timed: finding rows per scan, and the store's size
        assert url is not None
        store = HistoryStore(url)
        with store.engine.connect() as connection:
            extra["rows_per_scan"] = [
                int(n)
                for _, n in connection.execute(
                    select(findings.c.scan_id, func.count())
                    .group_by(findings.c.scan_id)
                    .order_by(findings.c.scan_id)
                )
            ]
            if store.engine.dialect.name == "postgresql":
                extra["store_mb"] = (
                    connection.exec_driver_sql("select pg_database_size(current_database())").scalar_one()
                    / 1e6
                )
        store.close()
        if "://" not in url:
            extra["store_mb"] = Path(url).stat().st_size / 1e6
    return {
        "mode": mode,
        "steps": clock.steps,
        "total_s": sum(clock.steps.values()),
        "gc_s": collector.seconds,
        "gc_full": collector.full,
        "inputs_rss_mb": inputs,
        "peak_rss_mb": peak,  # the whole process's when the mark could not be reset
        "peak_reset": reset,
        **extra,
    }


# --- PostgreSQL: a throwaway server (the approach of tests/history/conftest.py) --------------------------


@contextmanager
def postgres_server() -> Iterator[tuple[str | None, str]]:
    """(URL of a new empty database, description) — or (None, why not) when there is no server. Default
    durability (fsync on), unlike the test suite's server: this measures commits."""
    import psycopg

    from tests.fakes.postgres import MISSING, postgres_bindir, running_postgres

    bindir = postgres_bindir()
    if bindir is None:
        yield None, MISSING
        return
    with running_postgres(bindir, durable=True) as server:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute('CREATE DATABASE "history"')
            version = connection.execute("show server_version").fetchone()
        yield f"{server}/history", f"PostgreSQL {version[0] if version else '?'} ({bindir}), default settings"


# --- the parent -------------------------------------------------------------------------------------------


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"measurement {args} failed (exit {done.returncode})")
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


def _measure(mode: str, work: Path, url: str | None, profile: bool) -> dict[str, Any]:
    args = ["--child", mode, "--work", str(work)]
    if url is not None:
        args += ["--url", url]
    if profile:
        args += ["--profile-to", str(work / f"{mode}-{'pg' if url and '://' in url else 'sqlite'}.prof")]
    return _child(args)


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _row(label: str, m: dict[str, Any]) -> str:
    steps = ", ".join(f"{k} {v:.2f}" for k, v in m["steps"].items())
    return (
        f"| {label} | {m['total_s']:.2f} | {m['gc_s']:.2f} ({m['gc_full']}) | {_mb(m['peak_rss_mb'])} "
        f"| {_mb(m['inputs_rss_mb'])} | {steps} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="cProfile the store measurements")
    parser.add_argument("--child")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--profile-to", type=Path)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(prepare(args.clusters, args.work)))
        return
    if args.child:
        print(json.dumps(measure(args.child, args.work, args.url, args.profile_to)))
        return

    work = Path(tempfile.mkdtemp(prefix="aks-auditor-bench-history-"))
    try:
        made = _child(["--child", "prepare", "--clusters", str(args.clusters), "--work", str(work)])
        results: dict[str, dict[str, Any]] = {}
        sqlite_url = str(work / "history.db")
        for mode in ("ours-first", "ours-second", "ours-read"):
            results[f"sqlite {mode}"] = _measure(mode, work, sqlite_url, args.profile)
        with postgres_server() as (pg_url, pg_note):
            if pg_url is not None:
                for mode in ("ours-first", "ours-second", "ours-read"):
                    results[f"pg {mode}"] = _measure(mode, work, pg_url, args.profile)
        for mode in ("file-first", "file-second"):
            results[mode] = _measure(mode, work, None, False)

        print(f"# History store benchmark: {args.clusters:,} clusters x 4 pools, all built-in policies\n")
        print(
            f"findings per scan: {made['findings'][0]:,} / {made['findings'][1]:,} "
            f"(failing {made['failing'][0]:,} / {made['failing'][1]:,}); inputs prepared in "
            f"{made['prepare_s']:.1f} s (evaluation {made['evaluate_s']:.1f} s), not timed below"
        )
        sq = results["sqlite ours-read"]
        print(f"finding rows per scan (SQLite): {', '.join(f'{n:,}' for n in sq['rows_per_scan'])}")
        if pg_url is None:
            print(f"PostgreSQL rows skipped: {pg_note}")
        else:
            pg = results["pg ours-read"]
            print(f"finding rows per scan (PostgreSQL): {', '.join(f'{n:,}' for n in pg['rows_per_scan'])}")
            print(f"server: {pg_note}")
        print()
        print(
            "| measurement | wall s | of it in gc s (full collections) | peak RSS MB | inputs MB | steps (s) |"
        )
        print("| --- | --- | --- | --- | --- | --- |")
        labels = {
            "sqlite ours-first": "ours, SQLite: 1st scan (open, baseline, annotate, compare, record)",
            "sqlite ours-second": "ours, SQLite: 2nd scan (same)",
            "pg ours-first": "ours, PostgreSQL: 1st scan",
            "pg ours-second": "ours, PostgreSQL: 2nd scan",
            "file-first": "baseline, files: 1st scan (write JSON)",
            "file-second": "baseline, files: 2nd scan (load previous, compare, write JSON)",
            "sqlite ours-read": "history list + trend, SQLite (2 scans)",
            "pg ours-read": "history list + trend, PostgreSQL (2 scans)",
        }
        for key, label in labels.items():
            if key in results:
                print(_row(label, results[key]))
        print()
        print(f"SQLite file after two scans: {sq['store_mb']:,.0f} MB")
        if pg_url is not None:
            print(f"PostgreSQL database after two scans: {results['pg ours-read']['store_mb']:,.0f} MB")
        print(f"JSON result files: {results['file-first']['json_mb']:,.0f} MB per scan")
        for key in ("sqlite ours-second", "pg ours-second"):
            if key in results:
                ours, theirs = results[key]["total_s"], results["file-second"]["total_s"]
                print(f"2nd scan, {key.split()[0]} / files: {ours / theirs:.2f}x the time")
        if args.profile:
            for prof in sorted(work.glob("*.prof")):
                out = io.StringIO()
                pstats.Stats(str(prof), stream=out).sort_stats("cumulative").print_stats(25)
                print(f"\n## cProfile {prof.stem} (cumulative, top 25)\n")
                print(out.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
