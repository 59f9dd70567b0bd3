"""Evaluate an estate in worker processes: each forked worker judges every P-th resource and sends its
findings back as compact rows (auditor/policies/finding_wire.py: far cheaper than pickling model trees or
validating JSON again, benchmarks/results/scale.md); the parent puts them back in resource order, so the
findings are exactly those of one process, in the same order.

This process judges one share itself; the other workers are forked (they share its estate and compiled
policies copy-on-write: nothing is sent to them). A worker that dies, or answers with something that
does not decode, is a coverage gap and its resources have no findings: the scan is incomplete
(exit 3), never silently smaller.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import struct
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from auditor.gcpause import collector_paused
from auditor.inventory import CoverageGap, Estate
from auditor.policies.evaluator import Owns
from auditor.policies.finding_wire import pack, unpack
from auditor.policies.order import Judged, interleave

#: Below this many resources a second process costs more than it saves (fork, transfer, validation).
MIN_RESOURCES_PER_PROCESS = 2_000
_PAIR = struct.Struct("<II")  # a resource's position and its finding count

#: ``evaluate(estate, keep, owns)``: the findings of the resources (of those ``owns`` accepts) whose ordinal
#: ``keep`` accepts, with their positions and finding counts (Evaluator.evaluate_part).
Evaluate = Callable[[Estate, Callable[[int], bool], Owns | None], Judged]


#: cgroup v2's CPU limit of this container ("max 100000", or "200000 100000" for two CPUs).
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def available_cpus(cpu_max: Path = CPU_MAX) -> int:
    """The CPUs this process may use: its affinity, lowered to its container's CPU limit (a pod limited
    to 2 CPUs on a 32-core node gets 2, not 32 workers each holding a share of the findings)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 limit readable: the affinity is all there is
    return cpus


def default_processes(resources: int) -> int:
    """The CPUs available, capped so that each process has at least MIN_RESOURCES_PER_PROCESS resources."""
    return max(1, min(available_cpus(), resources // MIN_RESOURCES_PER_PROCESS))


def _worker(
    evaluate: Evaluate, estate: Estate, owns: Owns | None, index: int, processes: int, conn: Connection
) -> None:
    with collector_paused():
        judged = evaluate(estate, lambda ordinal: ordinal % processes == index, owns)
        pairs = zip(judged.positions, judged.counts, strict=True)
        conn.send_bytes(b"".join(_PAIR.pack(position, count) for position, count in pairs))
        conn.send_bytes(pack(judged.findings))
    conn.close()


def _receive(conn: Connection) -> Judged:
    pairs = list(_PAIR.iter_unpack(conn.recv_bytes()))
    findings = unpack(conn.recv_bytes())
    if sum(count for _, count in pairs) != len(findings):
        raise ValueError(f"{len(findings)} findings for counts adding up to {sum(c for _, c in pairs)}")
    return Judged(findings, [position for position, _ in pairs], [count for _, count in pairs])


def evaluate_in_processes(
    evaluate: Evaluate, estate: Estate, processes: int, owns: Owns | None = None
) -> tuple[Judged, tuple[CoverageGap, ...]]:
    """The findings of ``evaluate`` over the estate (the resources ``owns`` accepts), split round-robin
    over ``processes``: this process judges share 0 while ``processes - 1`` forked workers judge the
    others; gaps name the workers that did not answer."""
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # a worker must not write out what this process had buffered
        stream.flush()
    workers: list[tuple[Any, Connection]] = []
    for index in range(1, processes):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker,
            args=(evaluate, estate, owns, index, processes, sender),
            name=f"aks-auditor-eval-{index}",
        )
        process.start()
        sender.close()
        workers.append((process, receiver))
    with collector_paused():
        answers = [evaluate(estate, lambda ordinal: ordinal % processes == 0, owns)]
        gaps: list[CoverageGap] = []
        for index, (process, receiver) in enumerate(workers, start=1):
            answer: Judged | None = None
            problem = "no answer"
            try:
                answer = _receive(receiver)
            except (EOFError, OSError, ValueError, struct.error) as error:  # ValidationError too
                problem = f"{type(error).__name__}: {error}".strip()[:200]
            finally:
                receiver.close()
                process.join()
            if process.exitcode != 0:
                answer, problem = None, f"exited with {process.exitcode}"
            if answer is None:
                gaps.append(_gap(index, processes, problem))
            else:
                answers.append(answer)
        return interleave(answers), tuple(gaps)


def _gap(index: int, processes: int, reason: str) -> CoverageGap:
    return CoverageGap(
        scope="evaluation",
        target=f"worker {index + 1} of {processes}",
        operation="evaluate every policy on its resources",
        reason=f"{reason}: its resources have no findings",
    )
