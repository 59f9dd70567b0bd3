"""A real PostgreSQL server for the history tests, started by the suite (tests/fakes/postgres.py). Skipped
with the reason only when no server binary exists and AKS_AUDITOR_REQUIRE_POSTGRES is unset (.ci/run sets
it)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import psycopg
import pytest

from tests.fakes.postgres import MISSING, postgres_bindir, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    bindir = postgres_bindir()
    if bindir is None:
        if os.environ.get("AKS_AUDITOR_REQUIRE_POSTGRES"):
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    with running_postgres(bindir) as url:
        yield url


_NUMBERS = count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store per test: a SQLite file, or a new database on the suite's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    server: str = request.getfixturevalue("postgres_server")
    name = f"history_{os.getpid()}_{next(_NUMBERS)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


MakeUrl = Callable[[], str]
