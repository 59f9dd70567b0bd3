"""The history tables (SQLAlchemy Core). Changing them means a new Alembic revision in migrations/.

``scans``: one row per recorded scan (time, source, scope, coverage, totals, tool version).
``findings``: one row per finding of a scan — fingerprint, policy, resource, status, severity, message,
and ``first_seen`` / ``last_seen`` of its current failing streak (carried from the previous scan of the
same scope while it keeps failing).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

scans = Table(
    "scans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=True),
    Column("source", String(200), nullable=False),
    #: sorted, comma-separated lower-case subscription ids: the scope a baseline must match
    Column("scope_key", Text, nullable=False),
    Column("scope", JSON, nullable=False),
    Column("tool_version", String(50), nullable=False),
    Column("complete", Integer, nullable=False),
    Column("gaps", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("by_status", JSON, nullable=False),
    Column("failed_by_severity", JSON, nullable=False),
    Index("ix_scans_scope_started", "scope_key", "started_at"),
)

findings = Table(
    "findings",
    metadata,
    #: a row id, not (scan, fingerprint): findings that could not be evaluated for two resource kinds of
    #: one container (a fleet whose runs and profiles were not read) share the container's fingerprint
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", Integer, ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("policy_id", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("resource_kind", String(64), nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("resource_name", Text, nullable=False),
    Column("subscription_id", String(64), nullable=True),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    #: start of the current failing streak (null unless failing)
    Column("first_seen", DateTime(timezone=True), nullable=True),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("ix_findings_policy", "policy_id", "scan_id"),
    Index("ix_findings_scan_fingerprint", "scan_id", "fingerprint"),
)
