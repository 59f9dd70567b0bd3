"""Scan history in a real database (SQLAlchemy 2 Core, Alembic migrations): SQLite or PostgreSQL.

The store (``store.py``) loads SQLAlchemy and Alembic (~26 MB): commands open it with :func:`open_store`,
only when a history is asked for, and catch its error from here (tests/test_imports.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditor.errors import EXIT_INCOMPLETE, AuditorError

if TYPE_CHECKING:
    from auditor.history.store import HistoryStore


class HistoryError(AuditorError):
    """The store could not be reached or written: exit 3 (the reports are written before it is)."""

    exit_code = EXIT_INCOMPLETE


def open_store(url: str) -> HistoryStore:
    """The store at ``url`` (a file, ``sqlite:///…`` or ``postgresql://…``), migrated forward."""
    from auditor.history.store import HistoryStore

    return HistoryStore(url)
