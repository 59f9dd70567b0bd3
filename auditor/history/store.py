"""The scan history store: record a scan in one transaction, list scans, trend a policy, give a baseline.

URLs: a file path or ``sqlite:///path`` (SQLite, the default for one machine), ``postgresql://…`` (teams;
through psycopg 3). The schema is migrated forward with Alembic on open; a store whose schema is newer than
this aks-auditor knows is refused (exit 2); a store that cannot be reached is a :class:`HistoryError`
(exit 3).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from auditor.errors import ConfigError
from auditor.findings import (
    Finding,
    HistoryInfo,
    HistoryPoint,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    Summary,
    ToolInfo,
)
from auditor.gcpause import collector_paused
from auditor.history import HistoryError
from auditor.history.schema import findings, scans
from auditor.inventory.estate import Scope

#: Recorded scans the trend of a new scan's reports goes back (this scan is one more point).
TREND_SCANS = 60


def database_url(text: str) -> str:
    """``history.db`` / ``sqlite:///…`` / ``postgresql://…`` -> a SQLAlchemy URL; ConfigError (exit 2)
    for anything else."""
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(
            f"--history {text}: not a database URL (expected a file, sqlite:/// or postgresql://)"
        ) from None
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite":
        return text
    raise ConfigError(
        f"--history {text}: unsupported database {url.get_backend_name()!r} (sqlite or postgresql)"
    )


def shown_url(text: str) -> str:
    """``text`` as --history takes it, fit to print: the password hidden (ConfigError for a bad URL)."""
    database_url(text)
    return make_url(text).render_as_string(hide_password=True) if "://" in text else text


def scope_key(scope: Scope) -> str:
    return ",".join(sorted(s.id.lower() for s in scope.subscriptions))


@dataclass(frozen=True)
class ScanRow:
    id: int
    started_at: datetime
    source: str
    scope_key: str
    complete: bool
    gaps: int
    total: int
    by_status: dict[str, int]
    failed_by_severity: dict[str, int]
    tool_version: str


@dataclass(frozen=True)
class TrendPoint:
    scan_id: int
    started_at: datetime
    policy_id: str
    counts: dict[str, int]


class HistoryStore:
    def __init__(self, url: str) -> None:
        self.url = database_url(url)
        self.shown = make_url(self.url).render_as_string(hide_password=True)
        try:
            self.engine: Engine = create_engine(self.url)
        except (NoSuchModuleError, ArgumentError) as error:
            raise ConfigError(f"--history {self.shown}: {error}") from None
        except ImportError:
            raise ConfigError(
                f"--history {self.shown}: PostgreSQL needs psycopg: pip install 'aks-auditor[postgres]'"
            ) from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            self._migrate()
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _connection(self, what: str) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except DBAPIError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise HistoryError(f"history {self.shown}: cannot {what}: {reason}") from None
        except SQLAlchemyError as error:
            raise HistoryError(f"history {self.shown}: cannot {what}: {error}") from None

    def _migrate(self) -> None:
        config = Config()
        config.set_main_option("script_location", str(files("auditor.history").joinpath("migrations")))
        script = ScriptDirectory.from_config(config)
        known = {rev.revision for rev in script.walk_revisions()}
        with self._connection("open the store") as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if current is not None and current not in known:
                raise ConfigError(
                    f"history {self.shown}: its schema (revision {current}) is newer than this aks-auditor "
                    f"knows ({script.get_current_head()}); upgrade aks-auditor to use it"
                )
            if current != script.get_current_head():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")

    # --- writing -------------------------------------------------------------------------------------

    @collector_paused()  # walks every finding: no full collection of them meanwhile
    def annotate(self, result: ScanResult, trend: int = TREND_SCANS) -> ScanResult:
        """``result`` with ``firstSeen`` on each failing finding — the start of its failing streak, carried
        from the latest recorded scan of the same scope and source while it kept failing — and
        ``history``: the failing counts of the last ``trend`` such scans, then this one's."""
        info = result.scan
        when = info.evaluated_at or info.started_at
        with self._connection("read the previous scan") as connection:
            recent = connection.execute(
                select(scans.c.id, scans.c.started_at, scans.c.failed_by_severity, scans.c.by_status)
                .where(scans.c.scope_key == scope_key(info.scope), scans.c.source == info.source)
                .order_by(scans.c.started_at.desc(), scans.c.id.desc())
                .limit(trend)
            ).all()
            previous = recent[0].id if recent else None
            streaks: dict[str, datetime] = {}
            if previous is not None:
                streaks = {
                    row.fingerprint: _utc(row.first_seen)
                    for row in connection.execute(
                        select(findings.c.fingerprint, findings.c.first_seen).where(
                            findings.c.scan_id == previous,
                            findings.c.status == Status.FAIL.value,
                            findings.c.first_seen.is_not(None),
                        )
                    )
                }
        marked = tuple(
            f.model_copy(update={"first_seen": streaks.get(f.fingerprint, when)})
            if f.status is Status.FAIL
            else f
            for f in result.findings
        )
        points = [
            HistoryPoint(
                scan_id=row.id,
                started_at=_utc(row.started_at),
                failed_by_severity={s: int(row.failed_by_severity.get(s.value, 0)) for s in Severity},
                errors=int(row.by_status.get(Status.ERROR.value, 0)),
            )
            for row in reversed(recent)
        ]
        points.append(
            HistoryPoint(
                scan_id=None,
                started_at=info.started_at,
                failed_by_severity=dict(result.summary.failed_by_severity),
                errors=result.summary.by_status[Status.ERROR],
            )
        )
        history = HistoryInfo(store=self.shown, trend=tuple(points))
        return result.model_copy(update={"findings": marked, "history": history})

    @collector_paused()  # walks every finding: no full collection of them meanwhile
    def record(self, result: ScanResult) -> int:
        """Append ``result`` as one scan in one transaction: a concurrent writer sees all of it or none."""
        info = result.scan
        when = info.evaluated_at or info.started_at
        with self._connection("record the scan") as connection:
            scan_id = connection.execute(
                insert(scans).returning(scans.c.id),
                {
                    "started_at": info.started_at,
                    "finished_at": info.finished_at,
                    "evaluated_at": info.evaluated_at,
                    "source": info.source,
                    "scope_key": scope_key(info.scope),
                    "scope": info.scope.model_dump(mode="json", by_alias=True),
                    "tool_version": result.tool.version,
                    "complete": int(result.complete),
                    "gaps": len(info.coverage.gaps),
                    "total": result.summary.total,
                    "by_status": {k.value: v for k, v in result.summary.by_status.items()},
                    "failed_by_severity": {k.value: v for k, v in result.summary.failed_by_severity.items()},
                },
            ).scalar_one()
            rows = [_row(scan_id, f, when) for f in result.findings]
            if rows:
                connection.execute(insert(findings), rows)
        return int(scan_id)

    # --- reading -------------------------------------------------------------------------------------

    def scans(self, since: datetime | None = None) -> list[ScanRow]:
        query = select(scans).order_by(scans.c.started_at, scans.c.id)
        if since is not None:
            query = query.where(scans.c.started_at >= since)
        with self._connection("read the scans") as connection:
            return [_scan_row(row) for row in connection.execute(query)]

    def scan(self, scan_id: int) -> tuple[ScanRow, list[Any]]:
        with self._connection(f"read scan {scan_id}") as connection:
            row = connection.execute(select(scans).where(scans.c.id == scan_id)).first()
            if row is None:
                raise ConfigError(f"history {self.shown}: no scan {scan_id}")
            items = list(
                connection.execute(
                    select(findings)
                    .where(findings.c.scan_id == scan_id, findings.c.status != Status.PASS.value)
                    .order_by(findings.c.policy_id, findings.c.resource_id)
                )
            )
        return _scan_row(row), items

    def trend(self, policy: str | None, since: datetime | None) -> list[TrendPoint]:
        query = (
            select(scans.c.id, scans.c.started_at, findings.c.policy_id, findings.c.status, func.count())
            .join(findings, findings.c.scan_id == scans.c.id)
            .group_by(scans.c.id, scans.c.started_at, findings.c.policy_id, findings.c.status)
            .order_by(scans.c.started_at, scans.c.id, findings.c.policy_id)
        )
        if policy:
            query = query.where(findings.c.policy_id == policy)
        if since is not None:
            query = query.where(scans.c.started_at >= since)
        points: dict[tuple[int, str], TrendPoint] = {}
        with self._connection("read the trend") as connection:
            for scan_id, started, policy_id, status, count in connection.execute(query):
                point = points.setdefault(
                    (scan_id, policy_id), TrendPoint(scan_id, _utc(started), policy_id, {})
                )
                point.counts[status] = int(count)
        return list(points.values())

    def first_seen(self, scan_id: int) -> dict[str, datetime]:
        with self._connection(f"read scan {scan_id}") as connection:
            return {
                row.fingerprint: _utc(row.first_seen)
                for row in connection.execute(
                    select(findings.c.fingerprint, findings.c.first_seen).where(
                        findings.c.scan_id == scan_id, findings.c.first_seen.is_not(None)
                    )
                )
            }

    @collector_paused()  # walks every finding: no full collection of them meanwhile
    def baseline(self, which: str, scope: Scope, source: str) -> tuple[ScanResult | None, str]:
        """``latest`` (of ``scope`` and ``source``) or a scan id, as a ScanResult for gates/baseline.py;
        None when the history has no such scan yet (``latest`` of a new store: every failure is new)."""
        with self._connection("read the baseline") as connection:
            query = select(scans)
            if which == "latest":
                query = query.where(scans.c.scope_key == scope_key(scope), scans.c.source == source)
                query = query.order_by(scans.c.started_at.desc(), scans.c.id.desc()).limit(1)
            elif which.isdigit():
                query = query.where(scans.c.id == int(which))
            else:
                raise ConfigError(f"--baseline history:{which}: expected history:latest or history:SCAN_ID")
            row = connection.execute(query).first()
            if row is None and which == "latest":
                return None, "history:latest"
            if row is None:
                raise ConfigError(f"--baseline history:{which}: the history {self.shown} has no scan {which}")
            items = list(connection.execute(select(findings).where(findings.c.scan_id == row.id)))
        return _as_result(_scan_row(row), row.scope, items), f"history:{row.id}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")  # a second writer waits for the first, never fails
    cursor.close()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _row(scan_id: int, finding: Finding, when: datetime) -> dict[str, Any]:
    failing = finding.status is Status.FAIL
    return {
        "scan_id": scan_id,
        "fingerprint": finding.fingerprint,
        "policy_id": finding.policy_id,
        "title": finding.title,
        "resource_kind": finding.resource_kind,
        "resource_id": finding.resource_id,
        "resource_name": finding.resource_name,
        "subscription_id": finding.subscription_id,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "message": finding.message,
        "evidence": finding.evidence,
        "first_seen": (finding.first_seen or when) if failing else None,
        "last_seen": when,
    }


def _scan_row(row: Any) -> ScanRow:
    return ScanRow(
        id=row.id,
        started_at=_utc(row.started_at),
        source=row.source,
        scope_key=row.scope_key,
        complete=bool(row.complete),
        gaps=row.gaps,
        total=row.total,
        by_status=dict(row.by_status),
        failed_by_severity=dict(row.failed_by_severity),
        tool_version=row.tool_version,
    )


def _as_result(scan: ScanRow, scope: Any, items: Sequence[Any]) -> ScanResult:
    found = tuple(
        Finding(
            policy_id=item.policy_id,
            title=item.title,
            severity=Severity(item.severity),
            status=Status(item.status),
            resource_kind=item.resource_kind,
            resource_id=item.resource_id,
            resource_name=item.resource_name,
            subscription_id=item.subscription_id,
            message=item.message,
            evidence=dict(item.evidence or {}),
            fingerprint=item.fingerprint,
        )
        for item in items
    )
    return ScanResult(
        tool=ToolInfo(version=scan.tool_version),
        scan=ScanInfo(
            started_at=scan.started_at,
            finished_at=scan.started_at,
            source=scan.source,
            scope=Scope.model_validate(scope),
        ),
        policies=(),
        findings=found,
        summary=Summary.of(found),
    )
