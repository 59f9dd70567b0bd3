"""Finding the worker processes a command forked (Linux /proc), for the tests that kill one mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

HAS_PROC = Path("/proc/self/task").exists()


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()]
    except OSError:
        return []


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def forked_workers(pid: int) -> list[int]:
    """``pid``'s children that are forks of it (its own command line), not programs it ran."""
    own = cmdline(pid)
    return [child for child in children(pid) if cmdline(child) == own]


def kill_a_worker(running: subprocess.Popen[str], timeout: float = 60.0, settled: float = 0.1) -> int | None:
    """SIGKILL the first forked worker of ``running``; its pid (None: never seen).

    A child counts as a worker once it has kept ``running``'s command line for ``settled`` seconds: a
    program the command runs (``ldconfig`` for ctypes, say) has it too, between its fork and its exec."""
    deadline = time.monotonic() + timeout
    first_seen: dict[int, float] = {}
    while time.monotonic() < deadline and running.poll() is None:
        now = time.monotonic()
        for child in forked_workers(running.pid):
            if now - first_seen.setdefault(child, now) >= settled:
                os.kill(child, signal.SIGKILL)
                return child
        time.sleep(0.005)
    return None
