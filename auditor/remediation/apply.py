"""Apply (or dry-run) a plan against the live estate: re-read, re-validate, write, poll, verify, journal.

Per step: the journal says it finished -> skipped; it was started -> its operation is polled with the
continuation token (or, without one, the resource is re-read) instead of being written again. Otherwise
the resource is read now and the step's premise checked: it already has the new values -> ``already``;
it no longer has the values the plan expected -> ``dropped`` with the reason, never written; an
operation is running on it -> waited for. Then one write, guarded by the ETag just read: 412 -> read and
check again; 409 (another operation) -> wait and retry, a bounded number of times; ARM's own errors ->
``failed``, which blocks the steps that depend on it and nothing else. Steps of one cluster run one at a
time, ``parallel`` clusters at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceModifiedError

from auditor.inventory.aks import (
    MAINTENANCE_AUTO_UPGRADE,
    MAINTENANCE_DEFAULT,
    MAINTENANCE_NODE_OS,
    MaintenanceConfiguration,
)
from auditor.kube_versions import minor_gap, version_compare
from auditor.remediation.journal import FINISHED, Journal
from auditor.remediation.plan import Action, RemediationPlan, Step
from auditor.remediation.target import Observed, StepTarget
from auditor.schedule import UnknownSchedule, is_open, next_opening


class Outcome(StrEnum):
    WOULD_APPLY = "would apply"
    APPLIED = "applied"
    ALREADY = "already applied"
    DONE_EARLIER = "done earlier"
    DROPPED = "dropped"
    FAILED = "failed"
    BLOCKED = "blocked"
    NOT_VERIFIED = "not verified"
    UNREADABLE = "unreadable"
    DEFERRED = "deferred"


#: Outcomes that leave the plan's intent met for a step.
GOOD = frozenset({Outcome.WOULD_APPLY, Outcome.APPLIED, Outcome.ALREADY, Outcome.DONE_EARLIER})


@dataclass(frozen=True)
class StepResult:
    step: Step
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class Waits:
    """How long to wait for operations that are not ours (ours are polled at the server's pace)."""

    interval: float = 15.0  # seconds between reads while the resource is busy or on 409
    attempts: int = 40  # reads (or 409 retries) before giving up on a busy resource
    precondition_retries: int = 3  # 412s (someone else wrote between our read and our write)


#: Which maintenance configuration governs a step with --respect-maintenance-window (the legacy
#: ``default`` one stands in when the specific one does not exist). Other actions are not deferred.
WINDOW_OF = {
    Action.UPGRADE_CONTROL_PLANE: MAINTENANCE_AUTO_UPGRADE,
    Action.UPGRADE_NODE_POOL: MAINTENANCE_AUTO_UPGRADE,
    Action.UPGRADE_NODE_IMAGE: MAINTENANCE_NODE_OS,
}


class Applier:
    def __init__(
        self,
        plan: RemediationPlan,
        target: StepTarget,
        journal: Journal | None,
        *,
        apply: bool,
        parallel: int = 4,
        waits: Waits = Waits(),
        respect_windows: bool = False,
        allow_cost_changes: bool = False,
        report: Callable[[StepResult], None] = lambda _: None,
    ) -> None:
        self.plan = plan
        self.target = target
        self.journal = journal
        self.apply = apply
        self.parallel = parallel
        self.waits = waits
        self.report = report
        self.respect_windows = respect_windows
        self.allow_cost_changes = allow_cost_changes
        self._windows: dict[str, dict[str, MaintenanceConfiguration]] = {}
        self._results: dict[str, StepResult] = {}
        self._done = {step.id: threading.Event() for step in plan.steps}
        self._lock = threading.Lock()

    def run(self) -> list[StepResult]:
        groups: dict[str, list[Step]] = {}
        for step in self.plan.steps:
            groups.setdefault(step.cluster_id.lower(), []).append(step)
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="remediate") as pool:
            for future in [pool.submit(self._group, steps) for steps in groups.values()]:
                future.result()
        return [self._results[step.id] for step in self.plan.steps]

    def _group(self, steps: list[Step]) -> None:
        for step in steps:
            for dependency in step.depends_on:
                self._done[dependency].wait()
            try:
                result = self._step(step)
            except AzureError as error:
                result = StepResult(step, Outcome.UNREADABLE, _arm_error(error))
            with self._lock:
                self._results[step.id] = result
            if self.journal and self.apply and result.outcome is not Outcome.WOULD_APPLY:
                self.journal.append(_EVENTS[result.outcome], step.id, detail=result.detail)
            self.report(result)
            self._done[step.id].set()

    def _step(self, step: Step) -> StepResult:
        blockers = [d for d in step.depends_on if self._results[d].outcome not in GOOD]
        if blockers:
            first = self._results[blockers[0]].outcome
            outcome = Outcome.DEFERRED if first is Outcome.DEFERRED else Outcome.BLOCKED
            return StepResult(step, outcome, f"step {blockers[0]} {first.value}")
        record = self.journal.record(step.id) if self.journal else None
        if record and record.event in FINISHED:
            return StepResult(step, Outcome.DONE_EARLIER, record.detail or "")
        if self.respect_windows and not (record and record.event == "started"):
            closed = self._outside_window(step)
            if closed:
                return StepResult(step, Outcome.DEFERRED, closed)
        if not self.apply:
            return self._dry(step)
        if record and record.event == "started":
            resumed = self._resume(step, record.token)
            if resumed is not None:
                return resumed
        return self._write(step)

    def _outside_window(self, step: Step) -> str | None:
        """Why the step waits for its maintenance window, or None (open now, or no window governs it)."""
        name = WINDOW_OF.get(step.action)
        if name is None:
            return None
        key = step.cluster_id.lower()  # read once per cluster and run: its steps run in one thread
        if key not in self._windows:
            self._windows[key] = {config.name: config for config in self.target.windows(step.cluster_id)}
        configs = self._windows[key]
        config = configs.get(name) or configs.get(MAINTENANCE_DEFAULT)
        if config is None:
            return None
        now = datetime.now(UTC)
        try:
            if is_open(config, now):
                return None
            opens = next_opening(config, now)
        except UnknownSchedule as error:
            return f"cannot tell when {config.name} is open ({error})"
        when = f"; next opens {opens:%Y-%m-%d %H:%M} UTC" if opens else ""
        return f"outside {config.name}{when}"

    def _dry(self, step: Step) -> StepResult:
        if any(self._results[d].outcome is Outcome.WOULD_APPLY for d in step.depends_on):
            return StepResult(step, Outcome.WOULD_APPLY, "after the steps it depends on")
        seen = self.target.observe(step)
        verdict = judge(step, seen, allow_cost_changes=self.allow_cost_changes)
        if verdict is not None:
            return verdict
        busy = f" (now {seen.state}: it would wait)" if seen.busy else ""
        return StepResult(step, Outcome.WOULD_APPLY, step.reason + busy)

    def _resume(self, step: Step, token: str | None) -> StepResult | None:
        """A step a previous run started: poll its operation (or wait for the resource to settle)."""
        if token and step.action is not Action.ADD_MAINTENANCE_WINDOW:
            try:
                self._finish(self.target.write(step, Observed({}, "", None, None), token))
            except HttpResponseError as error:
                return StepResult(step, Outcome.FAILED, _arm_error(error))
            return self._verify(step)
        seen = self._settled(step)
        if isinstance(seen, StepResult):
            return seen
        verdict = judge(step, seen, allow_cost_changes=self.allow_cost_changes)
        if verdict is not None and verdict.outcome is Outcome.ALREADY:
            return StepResult(step, Outcome.APPLIED, "finished after a restart")
        return None  # the earlier write left no trace: write it now

    def _settled(self, step: Step) -> Observed | StepResult:
        seen = self.target.observe(step)
        for _ in range(self.waits.attempts):
            if not seen.busy:
                return seen
            time.sleep(self.waits.interval)
            seen = self.target.observe(step)
        return StepResult(step, Outcome.FAILED, f"still {seen.state} after {self.waits.attempts} reads")

    def _write(self, step: Step) -> StepResult:
        conflicts = preconditions = 0
        while True:
            seen = self._settled(step)
            if isinstance(seen, StepResult):
                return seen
            verdict = judge(step, seen, allow_cost_changes=self.allow_cost_changes)
            if verdict is not None:
                return verdict
            assert self.journal is not None
            self.journal.append("started", step.id)
            try:
                poller = self.target.write(step, seen)
                if poller is not None:
                    token = poller.continuation_token()
                    self.journal.append("started", step.id, token=token)
                    self._finish(poller)
            except ResourceModifiedError:
                preconditions += 1
                if preconditions > self.waits.precondition_retries:
                    return StepResult(step, Outcome.FAILED, "the resource kept changing under us (412)")
                continue  # read again, check again
            except HttpResponseError as error:
                if error.status_code == 409 and conflicts < self.waits.attempts:
                    conflicts += 1
                    time.sleep(self.waits.interval)
                    continue
                return StepResult(step, Outcome.FAILED, _arm_error(error))
            return self._verify(step)

    @staticmethod
    def _finish(poller: Any) -> None:
        poller.result()  # the SDK polls at the pace the server's Retry-After asks for

    def _verify(self, step: Step) -> StepResult:
        seen = self.target.observe(step)
        if _to_latest_image(step):  # "latest" has no value to compare with: the image must have moved
            if seen.values != step.from_:
                return StepResult(step, Outcome.APPLIED, f"{step.reason}: {_shown(seen.values)}")
        else:
            verdict = judge(step, seen, allow_cost_changes=self.allow_cost_changes)
            if verdict is not None and verdict.outcome is Outcome.ALREADY:
                return StepResult(step, Outcome.APPLIED, step.reason)
        return StepResult(
            step, Outcome.NOT_VERIFIED, f"after the write: {_shown(seen.values)} (wanted {_shown(step.to)})"
        )


_EVENTS = {
    Outcome.APPLIED: "verified",
    Outcome.ALREADY: "already",
    Outcome.DONE_EARLIER: "verified",
    Outcome.DROPPED: "dropped",
    Outcome.FAILED: "failed",
    Outcome.BLOCKED: "blocked",
    Outcome.NOT_VERIFIED: "failed",
    Outcome.UNREADABLE: "failed",
    Outcome.DEFERRED: "deferred",
}


def judge(step: Step, seen: Observed, *, allow_cost_changes: bool = False) -> StepResult | None:
    """``already`` when the resource has the step's new values, ``dropped`` when it no longer has the
    values the plan expected or the write would break a rule (a downgrade, a skipped minor, a pool above
    its control plane, a billed change not allowed now) — a plan file is input, never trusted —, None
    when the step should be written."""
    unsafe = _unsafe(step, seen, allow_cost_changes)
    if unsafe:
        return StepResult(step, Outcome.DROPPED, unsafe)
    if step.action is Action.START_FLEET_UPDATE_RUN:
        return _judge_fleet(step, seen)
    if step.action is Action.ADD_MAINTENANCE_WINDOW:
        if seen.body is None:
            return None
        if seen.values == step.to:
            return StepResult(step, Outcome.ALREADY, "the configuration exists as planned")
        return StepResult(
            step, Outcome.DROPPED, "a configuration of that name exists now; it is never overwritten"
        )
    if _to_latest_image(step):
        if seen.values != step.from_:  # changed since the plan, to what we cannot tell is the latest
            return StepResult(
                step, Outcome.DROPPED, f"now {_shown(seen.values)}; the plan expected {_shown(step.from_)}"
            )
        return None
    if seen.values == step.to:
        return StepResult(step, Outcome.ALREADY, f"{_shown(seen.values)} already")
    if seen.values != step.from_:
        return StepResult(
            step, Outcome.DROPPED, f"now {_shown(seen.values)}; the plan expected {_shown(step.from_)}"
        )
    return None


_VERSION_KEYS = {
    Action.UPGRADE_CONTROL_PLANE: "kubernetesVersion",
    Action.UPGRADE_NODE_POOL: "orchestratorVersion",
}


def _to_latest_image(step: Step) -> bool:
    """A node image step planned without knowing the latest version (``--deep`` not used)."""
    return step.action is Action.UPGRADE_NODE_IMAGE and step.to.get("nodeImageVersion") == "latest"


def _unsafe(step: Step, seen: Observed, allow_cost_changes: bool) -> str | None:
    """Why writing this step would break a rule whatever the plan says, or None."""
    if step.action is Action.SET_SKU_TIER and not allow_cost_changes:
        return "a tier change is billed: apply it with --allow-cost-changes"
    key = _VERSION_KEYS.get(step.action)
    targets: list[tuple[str, str]] = []
    if key is not None and isinstance(seen.values.get(key), str) and isinstance(step.to.get(key), str):
        targets = [(seen.values[key], step.to[key])]
    elif step.action is Action.START_FLEET_UPDATE_RUN and isinstance(step.to.get("kubernetesVersion"), str):
        members = seen.values.get("members") or {}
        targets = [(v, step.to["kubernetesVersion"]) for v in members.values() if isinstance(v, str)]
    for now, target in targets:
        try:
            if version_compare(target, now) < 0:
                return f"{target} would downgrade {now}"
            if minor_gap(now, target) > 1:
                return f"{now} -> {target} would skip a minor"
        except ValueError as error:
            return f"not a version to upgrade to: {error}"
    pool_target = step.to.get("orchestratorVersion") if step.action is Action.UPGRADE_NODE_POOL else None
    if isinstance(pool_target, str) and seen.plane:
        try:
            if version_compare(pool_target, seen.plane) > 0:
                return f"{pool_target} is above the control plane's {seen.plane}"
        except ValueError as error:
            return f"not a version to upgrade to: {error}"
    return None


def _judge_fleet(step: Step, seen: Observed) -> StepResult | None:
    state = str(seen.values.get("runState") or "")
    if state.lower() == "completed":
        return StepResult(step, Outcome.ALREADY, "the update run completed")
    if state:
        return None  # ours exists: it is started (or resumed) by the write
    if seen.values.get("members") != step.from_.get("members"):
        return StepResult(step, Outcome.DROPPED, "the fleet's members run other versions than planned")
    return None


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items()) or "nothing"


def _arm_error(error: AzureError) -> str:
    if isinstance(error, HttpResponseError):
        code = getattr(error.error, "code", None) if error.error else None
        message = getattr(error.error, "message", None) if error.error else None
        return f"HTTP {error.status_code} {code or ''}: {message or error.message}".replace(" :", ":")
    return str(error).splitlines()[0]
