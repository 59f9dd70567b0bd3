"""Collect live in P processes: this one collects shard 0 of P, P-1 forked workers the others (each
signs in with its own credential, lists the scope and reads only its shard's subscriptions), and the
shards are joined in memory by the shard merge — the estate of one collection (auditor/shard.py,
auditor/collectors/shard_merge.py).

ARM read pacing is per subscription, so sharding by subscription keeps it exact. Resource Graph's quota
is per caller: every process shares one QuotaGate in shared memory, so a quota exhausted in one holds
them all. A worker sends its shard back as the snapshot's JSON bytes; one that fails with an error the
tool reports (authentication, a scope that cannot be listed) fails the collection with that error; one
that dies is a coverage gap ("its subscriptions were not read"), never a silently smaller estate.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

from azure.core.credentials import TokenCredential

from auditor import errors
from auditor.collectors.azure.collector import AzureCollector, Progress
from auditor.collectors.azure.graph import QuotaGate
from auditor.collectors.azure.settings import AzureSettings
from auditor.collectors.shard_merge import merge_shards
from auditor.errors import AuditorError, CollectionError
from auditor.inventory import Estate
from auditor.shard import Shard

#: Builds a worker's own credential (the CLI's: the tool builds credentials only there).
MakeCredential = Callable[[], AbstractContextManager[TokenCredential | None]]
_DONE, _FAILED = b"S", b"E"


def _worker(
    settings: AzureSettings, make_credential: MakeCredential, gate: QuotaGate, conn: Connection
) -> None:
    try:
        with make_credential() as credential:
            if credential is None:
                raise CollectionError("a live collection needs an Azure credential")
            estate = AzureCollector(credential, settings, quota=gate).collect()
        conn.send_bytes(_DONE + estate.model_dump_json(by_alias=True).encode())
    except AuditorError as error:
        problem = {"type": type(error).__name__, "message": error.message, "hint": error.hint}
        conn.send_bytes(_FAILED + json.dumps(problem).encode())
    finally:
        conn.close()


def _error(problem: dict[str, Any]) -> AuditorError:
    """The worker's error as the same kind of error here (its exit code and its one line)."""
    kind = getattr(errors, str(problem.get("type")), CollectionError)
    if not (isinstance(kind, type) and issubclass(kind, AuditorError)):
        kind = CollectionError
    return kind(str(problem.get("message")), hint=problem.get("hint"))


def collect_in_processes(
    settings: AzureSettings,
    processes: int,
    credential: TokenCredential,
    make_credential: MakeCredential,
    progress: Progress | None = None,
) -> Estate:
    """The estate of one collection, read by ``processes`` processes (see the module docstring)."""
    context = multiprocessing.get_context("fork")
    gate = QuotaGate.shared(context)
    for stream in (sys.stdout, sys.stderr):  # a worker must not write out what this process had buffered
        stream.flush()
    workers: list[tuple[int, Any, Connection]] = []
    for index in range(1, processes):
        receiver, sender = context.Pipe(duplex=False)
        shard = settings.model_copy(update={"shard": Shard(index=index, count=processes)})
        process = context.Process(
            target=_worker, args=(shard, make_credential, gate, sender), name=f"aks-auditor-collect-{index}"
        )
        process.start()
        sender.close()
        workers.append((index, process, receiver))
    try:
        own = AzureCollector(
            credential,
            settings.model_copy(update={"shard": Shard(index=0, count=processes)}),
            progress=progress,
            quota=gate,
        ).collect()
    except BaseException:
        for _, process, receiver in workers:
            process.terminate()
            process.join()
            receiver.close()
        raise
    shards: list[tuple[str, Estate]] = [(f"shard 0/{processes}", own)]
    lost: dict[int, str] = {}
    failures: list[AuditorError] = []
    for index, process, receiver in workers:
        estate, failure, reason = None, None, "no answer"
        try:
            payload = receiver.recv_bytes()
            if payload.startswith(_DONE):
                estate = Estate.model_validate_json(payload[1:])
            else:
                failure = _error(json.loads(payload[1:]))
        except (EOFError, OSError, ValueError) as error:  # ValueError: pydantic's, and JSON's
            reason = f"{type(error).__name__}: {error}".strip()[:200]
        finally:
            receiver.close()
            process.join()
        if failure is not None:
            failures.append(failure)
        elif estate is not None and process.exitcode == 0:
            shards.append((f"shard {index}/{processes}", estate))
        else:
            lost[index] = f"exited with {process.exitcode}" if process.exitcode else reason
    if failures:
        raise failures[0]
    return merge_shards(shards, max_spread=timedelta(days=1), lost=lost)
