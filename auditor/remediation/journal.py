"""The append-only journal of applying a plan: one JSON object per line, fsynced before the write it
announces is sent, so a run killed at any point can be resumed without writing anything twice.

Events: ``plan`` (first line: which plan, by digest), ``started`` (with the SDK poller's continuation
token once ARM accepted the write), ``succeeded``, ``failed`` (the ARM error), ``verified``,
``dropped`` (the premise no longer held), ``already`` (the resource already had the new values),
``blocked`` (a step it depends on did not succeed), ``deferred``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.atomic import describe
from auditor.errors import InputError, OutputError

FINISHED = frozenset({"succeeded", "verified", "already"})


def plan_digest(plan_file: Path) -> str:
    return hashlib.sha256(plan_file.read_bytes()).hexdigest()


@dataclass
class StepRecord:
    """What the journal says of one step: its last event and the last continuation token seen."""

    event: str
    token: str | None = None
    detail: str | None = None


@dataclass
class Journal:
    path: Path
    digest: str
    records: dict[str, StepRecord] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, path: Path, plan_file: Path) -> Journal:
        """Read an existing journal of this plan (refusing one of another plan), or start a new one."""
        digest = plan_digest(plan_file)
        journal = cls(path, digest)
        if path.exists():
            journal._read()
        else:
            journal.append("plan", None, plan=str(plan_file), digest=digest)
        return journal

    def _read(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"{self.path}: cannot read the journal: {error}") from None
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):
                    continue  # the last line of a run killed mid-write: that event did not happen
                raise InputError(f"{self.path}:{number}: not a JSON journal line") from None
            if number == 1:
                if entry.get("event") != "plan" or entry.get("digest") != self.digest:
                    raise InputError(
                        f"{self.path}: this journal belongs to another plan (digest {entry.get('digest')}); "
                        "use --journal with a new file, or the plan it was written for"
                    )
                continue
            step = entry.get("step")
            if not isinstance(step, str) or not isinstance(entry.get("event"), str):
                raise InputError(f"{self.path}:{number}: expected a step id and an event")
            previous = self.records.get(step)
            token = entry.get("token") or (previous.token if previous else None)
            self.records[step] = StepRecord(entry["event"], token, entry.get("detail"))

    def append(self, event: str, step: str | None, **fields: Any) -> None:
        entry = {
            "at": datetime.now(UTC).isoformat(),
            "event": event,
            **({"step": step} if step else {}),
            **fields,
        }
        line = (json.dumps(entry, sort_keys=True) + "\n").encode("utf-8")
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(descriptor, line)
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
            except OSError as error:  # before a write is sent: nothing is changed without its record
                raise OutputError(f"{self.path}: cannot write the journal: {describe(error)}") from None
            if step:
                previous = self.records.get(step)
                token = fields.get("token") or (previous.token if previous else None)
                self.records[step] = StepRecord(event, token, fields.get("detail"))

    def record(self, step: str) -> StepRecord | None:
        with self._lock:
            return self.records.get(step)
