"""A real, throwaway PostgreSQL server (not a fake: Debian's ``postgresql`` binaries), for the history
tests and benchmarks/history.py: initdb + pg_ctl in a temp dir on a loopback port, as ``nobody`` when run
as root (initdb refuses root), stopped and removed afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MISSING = "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package"


def postgres_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (on PATH, else Debian's newest), or None."""
    found = shutil.which("pg_ctl")
    bindir = Path(found).resolve().parent if found else None
    if bindir is None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        bindir = Path(candidates[-1]).parent if candidates else None
    return bindir if bindir is not None and (bindir / "initdb").exists() else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_postgres(bindir: Path, *, durable: bool = False) -> Iterator[str]:
    """The server's URL (``postgresql://postgres@127.0.0.1:PORT``, trust auth) while it runs.
    ``durable=False`` turns fsync off: tests need no crash safety; a benchmark of commits does."""
    data = Path(tempfile.mkdtemp(prefix="aks-auditor-pg-"))
    user = "nobody" if os.geteuid() == 0 else None
    if user is not None:
        shutil.chown(data, user)
    env = {"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}

    def run(*args: str, check: bool = True) -> None:
        subprocess.run(args, check=check, user=user, env=env, capture_output=True, cwd=data)

    port = _free_port()
    try:
        run(str(bindir / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1" + ("" if durable else " -c fsync=off")
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data / "db"),
            "-o",
            options,
            "-l",
            str(data / "log"),
            "-w",
            "start",
        )
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop", check=False)
        shutil.rmtree(data, ignore_errors=True)
