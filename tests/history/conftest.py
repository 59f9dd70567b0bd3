"""A real PostgreSQL server for the history tests, started by the suite: initdb + pg_ctl in a temp dir on a
loopback port, as ``nobody`` when the suite runs as root (initdb refuses root). Skipped with the reason
only when no server binary exists and AKS_AUDITOR_REQUIRE_POSTGRES is unset (.ci/run sets it)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import psycopg
import pytest


def _bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").exists():
        reason = "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package"
        if os.environ.get("AKS_AUDITOR_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    data = Path(tempfile.mkdtemp(prefix="aks-auditor-pg-"))
    user = "nobody" if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(data, user)
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*args: str) -> None:
        subprocess.run(args, check=True, user=user, env=env, capture_output=True, cwd=data)

    port = _free_port()
    run(str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-o", options, "-l", str(data / "log"), "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
            user=user, env=env, capture_output=True, check=False, cwd=data,
        )  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)


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
