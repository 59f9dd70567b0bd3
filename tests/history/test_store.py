"""The scan history store against SQLite and a real PostgreSQL server: record, list, trend, firstSeen,
history baselines, concurrent writers, schema guard, unreachable stores — through the CLI where it counts."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from auditor.errors import ConfigError
from auditor.findings import ScanResult, Severity, Status
from auditor.history.store import HistoryStore, database_url
from auditor.inventory import Estate
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan
from tests.reporters.test_glance import _rows
from tests.reporters.test_html import html_text, parse

from ..conftest import compliant_catalog, compliant_cluster, estate_document, run_cli

POLICIES = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
SUB = "00000000-0000-0000-0000-00000000000a"


def stale(name: str) -> dict[str, Any]:
    cluster = compliant_cluster(name) | {"currentKubernetesVersion": "1.34.1", "kubernetesVersion": "1.34.1"}
    cluster["nodePools"][0]["currentOrchestratorVersion"] = "1.34.1"
    return cluster  # fails AKS-004 (medium) only


def scan(day: int, *clusters: dict[str, Any]) -> ScanResult:
    collected = datetime(2026, 6, day, 12, tzinfo=UTC)
    document = estate_document(
        clusters=list(clusters),
        catalogs=[compliant_catalog()],
        scope={"subscriptions": [{"id": SUB}]},
        collectedAt=collected.isoformat(),
    )
    return run_scan(Estate.model_validate(document), POLICIES, started_at=collected, fail_on=Severity.HIGH)


def first_seen(result: ScanResult, name: str) -> datetime | None:
    (found,) = [f for f in result.findings if f.resource_name == name and f.status is Status.FAIL]
    return found.first_seen


def test_record_list_trend_and_the_failing_streak(history_url: str) -> None:
    store = HistoryStore(history_url)
    try:
        one = store.annotate(scan(1, stale("a"), compliant_cluster("b")))
        assert first_seen(one, "a") == datetime(2026, 6, 1, 12, tzinfo=UTC)
        store.record(one)
        two = store.annotate(scan(3, stale("a"), stale("b")))
        assert first_seen(two, "a") == datetime(2026, 6, 1, 12, tzinfo=UTC)  # still failing since day 1
        assert first_seen(two, "b") == datetime(2026, 6, 3, 12, tzinfo=UTC)  # passed before: a new streak
        store.record(two)
        three = store.annotate(scan(5, compliant_cluster("a"), stale("b")))
        store.record(three)
        four = store.annotate(scan(7, stale("a"), stale("b")))
        assert first_seen(four, "a") == datetime(2026, 6, 7, 12, tzinfo=UTC)  # it passed on day 5
        scans = store.scans()
        assert [s.by_status["fail"] for s in scans] == [1, 2, 1]
        assert [s.started_at.day for s in store.scans(since=datetime(2026, 6, 2, tzinfo=UTC))] == [3, 5]
        trend = [(p.scan_id, p.counts) for p in store.trend("AKS-004", None)]
        assert trend == [(1, {"fail": 1, "pass": 1}), (2, {"fail": 2}), (3, {"fail": 1, "pass": 1})]
        baseline, label = store.baseline("latest", four.scan.scope, four.scan.source)
        assert label == "history:3" and baseline is not None
        assert {f.resource_name for f in baseline.findings if f.status is Status.FAIL} == {"b"}
    finally:
        store.close()


def test_findings_sharing_a_fingerprint_are_all_recorded(history_url: str) -> None:
    """Error findings of one policy for two resource kinds of one container (FLEET-003 on a fleet whose
    update runs and auto-upgrade profiles were both unread) share the container's fingerprint."""
    result = scan(1, stale("a"))
    twin = result.findings[0].model_copy(
        update={"resource_kind": "autoUpgradeProfile", "status": Status.ERROR}
    )
    doubled = result.model_copy(update={"findings": (*result.findings, twin)})
    store = HistoryStore(history_url)
    try:
        scan_id = store.record(doubled)
        with store.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT count(*) FROM findings WHERE scan_id = :scan AND fingerprint = :fp"),
                {"scan": scan_id, "fp": twin.fingerprint},
            ).scalar_one()
    finally:
        store.close()
    assert rows == 2


def test_the_store_has_real_tables_not_a_json_blob(history_url: str) -> None:
    store = HistoryStore(history_url)
    store.record(scan(1, stale("a")))
    columns = {
        table: {c["name"] for c in inspect(store.engine).get_columns(table)}
        for table in ("scans", "findings")
    }
    assert {"started_at", "source", "scope_key", "complete", "gaps", "total", "tool_version"} <= columns[
        "scans"
    ]
    assert {
        "fingerprint",
        "policy_id",
        "resource_id",
        "status",
        "severity",
        "first_seen",
        "last_seen",
    } <= columns["findings"]
    with store.engine.connect() as connection:
        statuses = connection.execute(text("SELECT status, count(*) FROM findings GROUP BY status")).all()
    store.close()
    assert dict(statuses)["fail"] == 1


def test_concurrent_writers_each_commit_a_whole_scan(history_url: str) -> None:
    results = [scan(1, *(stale(f"c{n}-{i}") for i in range(40))) for n in range(4)]
    HistoryStore(history_url).close()  # migrated once, as the first scheduled job would
    errors: list[BaseException] = []

    def write(result: ScanResult) -> None:
        store = HistoryStore(history_url)
        try:
            store.record(result)
        except BaseException as error:
            errors.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=write, args=(result,)) for result in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = HistoryStore(history_url)
    try:
        with store.engine.connect() as connection:
            per_scan = connection.execute(
                text("SELECT scan_id, count(*) FROM findings GROUP BY scan_id ORDER BY scan_id")
            ).all()
    finally:
        store.close()
    assert [count for _, count in per_scan] == [len(r.findings) for r in results]


def test_a_store_with_a_newer_schema_is_refused(history_url: str) -> None:
    HistoryStore(history_url).close()
    engine = create_engine(database_url(history_url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(ConfigError) as refused:
        HistoryStore(history_url)
    assert refused.value.message.endswith(
        ": its schema (revision 9999) is newer than this aks-auditor knows (0001); upgrade aks-auditor to use it"
    )


def write_estate_file(path: Path, *clusters: dict[str, Any], day: int = 1) -> Path:
    document = estate_document(
        clusters=list(clusters),
        catalogs=[compliant_catalog()],
        scope={"subscriptions": [{"id": SUB}]},
        collectedAt=datetime(2026, 6, day, 12, tzinfo=UTC).isoformat(),
    )
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_scheduled_gate_through_the_cli(history_url: str, tmp_path: Path) -> None:
    """Day 1 records the accepted state; day 2 fails only on what is new, and shows how long the old
    failure has lasted; the history commands read it back."""
    gate = (
        "--history",
        history_url,
        "--baseline",
        "history:latest",
        "--fail-on-new-only",
        "--fail-on",
        "low",
    )
    first = write_estate_file(tmp_path / "d1.json", stale("a"))
    code, out, err = run_cli("scan", "--inventory", str(first), "--output-dir", str(tmp_path / "r1"), *gate)
    assert err == ""
    assert code == 1  # no earlier scan: every failure is new
    assert "Baseline: 1 new, 0 unchanged, 0 fixed since history:latest (no earlier scan)" in out
    assert "history: scan 1 recorded in " in out
    second = write_estate_file(tmp_path / "d2.json", stale("a"), compliant_cluster("b"), day=9)
    code, out, err = run_cli(
        "scan", "--inventory", str(second), "--output-dir", str(tmp_path / "r2"), *gate, "--format", "json"
    )
    assert (code, err) == (0, "")
    assert "Baseline: 0 new, 1 unchanged, 0 fixed since history:1 (scanned " in out
    assert "(failing for 8 days)" in out
    report = json.loads((tmp_path / "r2" / "aks-auditor.json").read_text(encoding="utf-8"))
    (failing,) = [f for f in report["findings"] if f["status"] == "fail"]
    assert failing["firstSeen"] == "2026-06-01T12:00:00Z" and failing["baselineState"] == "unchanged"
    code, out, _ = run_cli("history", "list", "--history", history_url)
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["1", "2"]
    code, out, _ = run_cli("history", "show", "2", "--history", history_url)
    assert code == 0 and "(failing for 8 days, since 2026-06-01)" in out
    code, out, _ = run_cli("history", "trend", "--policy", "AKS-004", "--history", history_url)
    assert code == 0 and [line.split()[-3:] for line in out.splitlines()[1:]] == [
        ["1", "0", "0"],
        ["1", "0", "1"],
    ]


def test_an_unreachable_store_is_exit_3_with_the_reports_written(tmp_path: Path) -> None:
    inventory = write_estate_file(tmp_path / "e.json", stale("a"))
    out = tmp_path / "r"
    code, stdout, err = run_cli(
        "scan", "--inventory", str(inventory), "--output-dir", str(out), "--fail-on", "none",
        "--history", "postgresql://nobody@127.0.0.1:1/history",
    )  # fmt: skip
    assert code == 3
    assert err.startswith(
        "aks-auditor: error: history postgresql+psycopg://nobody@127.0.0.1:1/history: cannot "
    )
    assert len(err.splitlines()) == 1
    assert (out / "aks-auditor.json").is_file() and "report:" in stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--history", "mysql://db/history"), "--history mysql://db/history: unsupported database 'mysql' (sqlite or postgresql)"),
        (("--baseline", "history:latest"), "--baseline history:latest reads the history: give --history URL"),
    ],
)  # fmt: skip
def test_bad_history_options_are_one_line_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    inventory = write_estate_file(tmp_path / "e.json", stale("a"))
    code, out, err = run_cli(
        "scan", "--inventory", str(inventory), "--output-dir", str(tmp_path / "r"), *args
    )
    assert (code, out, err) == (2, "", f"aks-auditor: error: {message}\n")
    assert not (tmp_path / "r").exists()


def test_since_spans() -> None:
    from auditor.cli.history import parse_since

    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert parse_since("30d", now) == now - timedelta(days=30)
    assert parse_since("2w", now) == now - timedelta(weeks=2)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)


def test_reports_carry_the_trend_of_the_same_scope(history_url: str, tmp_path: Path) -> None:
    """annotate gives the result its history: the recorded scans of the same scope and source, oldest
    first, then this one; the HTML report draws it and lists the same numbers."""
    store = HistoryStore(history_url)
    try:
        store.record(store.annotate(scan(1, stale("a"))))
        store.record(store.annotate(scan(2, stale("a"), stale("b"))))
        other = scan(2, stale("c")).model_copy(
            update={"scan": scan(2).scan.model_copy(update={"source": "demo"})}
        )
        store.record(other)  # another source: not in this scope's trend
        three = store.annotate(scan(3, compliant_cluster("a"), stale("b")))
    finally:
        store.close()
    assert three.history is not None
    assert [(p.scan_id, p.started_at.day, p.failed_by_severity[Severity.MEDIUM]) for p in three.history.trend] == [
        (1, 1, 1), (2, 2, 2), (None, 3, 1),
    ]  # fmt: skip
    assert all(p.failed_by_severity[Severity.HIGH] == 0 and p.errors == 0 for p in three.history.trend)
    page = parse(html_text(three))
    assert [row[:2] for row in _rows(page, "trend-table")] == [
        ["1", "2026-06-01 12:00"], ["2", "2026-06-02 12:00"], ["this scan", "2026-06-03 12:00"],
    ]  # fmt: skip
    lines = [e.attrs["class"] for e in page.all("polyline")]
    assert lines == ["line sev-line-medium"]  # only severities that ever failed are drawn
    assert page.by_id("trend") is not None and "password" not in three.history.store
    assert parse(html_text(scan(3, stale("a")))).by_id("trend") is None  # no store, no trend
