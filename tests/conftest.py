"""Shared test helpers: paths to the repository's data, and a guard that fails any test reading beside it."""

from __future__ import annotations

import json
import os
import site
import sys
import tempfile
from collections.abc import Callable, Generator, Iterable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import cli

REPO = Path(__file__).resolve().parents[1]
#: Upstream contract files the fakes serve, copied into the repository (provenance: its README.md).
CONTRACTS = REPO / "tests" / "data" / "contracts"

CLUSTER_PREFIX = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"


def cluster_id(name: str) -> str:
    return CLUSTER_PREFIX + name


def estate_document(**fields: Any) -> dict[str, Any]:
    """A minimal valid Estate snapshot document with ``fields`` merged in."""
    document: dict[str, Any] = {
        "kind": "Estate",
        "schemaVersion": "1.0",
        "collectedAt": "2026-06-01T12:00:00Z",
        "source": "test",
    }
    document.update(fields)
    return document


def compliant_cluster(name: str = "good") -> dict[str, Any]:
    """A cluster that passes every enabled built-in policy against :func:`compliant_catalog` at the
    estate's 2026-06-01 (1.35 is in community support until 2027-03-31 in the packaged calendar)."""
    return {
        "id": cluster_id(name),
        "name": name,
        "location": "eastus",
        "skuTier": "Standard",
        "supportPlan": "KubernetesOfficial",
        "kubernetesVersion": "1.35.2",
        "currentKubernetesVersion": "1.35.2",
        "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
        "maintenanceConfigurations": [
            {
                "name": "aksManagedAutoUpgradeSchedule",
                "scheduleKind": "weekly",
                "dayOfWeek": "Sunday",
                "durationHours": 8,
            },
            {
                "name": "aksManagedNodeOSUpgradeSchedule",
                "scheduleKind": "weekly",
                "dayOfWeek": "Saturday",
                "durationHours": 6,
            },
        ],
        "nodePools": [
            {
                "name": "system",
                "mode": "System",
                "osType": "Linux",
                "currentOrchestratorVersion": "1.35.2",
                "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202605.25.0",
                "latestNodeImageVersion": "AKSUbuntu-2204gen2containerd-202605.25.0",
            }
        ],
    }


def compliant_catalog() -> dict[str, Any]:
    return {
        "location": "eastus",
        "versions": [
            {"version": "1.34", "supportPlans": ["KubernetesOfficial"], "patchVersions": {"1.34.5": []}},
            {"version": "1.35", "supportPlans": ["KubernetesOfficial"], "patchVersions": {"1.35.2": []}},
        ],
    }


@pytest.fixture
def write_estate(tmp_path: Path) -> Callable[..., Path]:
    def write(**fields: Any) -> Path:
        path = tmp_path / "estate.json"
        path.write_text(json.dumps(estate_document(**fields)), encoding="utf-8")
        return path

    return write


#: Variables the test machinery itself reads (the rest of AKS_AUDITOR_* are the tool's settings).
_TEST_VARIABLES = {"AKS_AUDITOR_REQUIRE_POSTGRES", "AKS_AUDITOR_SCREENSHOTS"}


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's AKS_AUDITOR_* settings (or AKS_AUDITOR_CONFIG) must not change what a test sees;
    tests that exercise the environment layer set their own."""
    for name in list(os.environ):
        if name.startswith("AKS_AUDITOR_") and name not in _TEST_VARIABLES:
            monkeypatch.delenv(name)


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``aks-auditor ARGS`` in-process: (exit code, stdout, stderr); exceptions are not swallowed."""
    result = CliRunner().invoke(cli, list(args), prog_name="aks-auditor", catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --- No test reads beside the repository -------------------------------------------------------------
# A plain clone has nothing next to it, so a test that opens a file in a folder beside the repository
# passes here and fails for everyone else. An audit hook sees every open (and directory listing) in this
# process, the fake servers' threads included; the hooks below fail the test, fixture or module that did
# it. Subprocesses (the CLI run as a program) are not watched.


class SiblingReadGuard:
    """Records paths read beside ``repo``: under an entry of its parent directory that existed when the
    guard was made, other than the repository itself.

    Entries that appear later (scratch files a run creates when the repository sits directly in the temp
    directory) are not siblings. Paths under an allowed root (the Python installation, the temp and pytest
    directories) are never reported, unless that root contains the repository: it would hide every sibling.
    """

    EVENTS = frozenset({"open", "os.listdir", "os.scandir"})

    def __init__(self, repo: Path, allowed: Iterable[str | Path] = ()) -> None:
        self.repo = repo.resolve()
        self.parent = self.repo.parent
        self.siblings = frozenset(os.listdir(self.parent)) - {self.repo.name}
        self._prefix = os.path.join(self.parent, "")
        self._allowed: list[Path] = []
        self._found: list[str] = []
        self.allow(*allowed)

    def allow(self, *roots: str | Path) -> None:
        for root in roots:
            path = Path(root).resolve()
            if not self.repo.is_relative_to(path):
                self._allowed.append(path)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook: cheap for every other event, and never raises (it runs inside every open)."""
        if event not in self.EVENTS or not args or not isinstance(args[0], str | bytes | os.PathLike):
            return
        path = os.fsdecode(args[0])
        if "\0" in path:
            return
        resolved = os.path.realpath(path)
        if resolved.startswith(self._prefix) and self._top(resolved) in self.siblings:
            self._found.append(resolved)

    def _top(self, resolved: str) -> str:
        """The entry of the parent directory that ``resolved`` (a path below it) lies in."""
        return resolved[len(self._prefix) :].split(os.sep, 1)[0]

    def take(self) -> list[str]:
        """The sibling paths read since the last call, minus allowed ones, each once, in order."""
        found, self._found = self._found, []
        allowed = tuple(self._allowed)
        return [p for p in dict.fromkeys(found) if not any(Path(p).is_relative_to(a) for a in allowed)]


def _python_and_system_dirs() -> list[str]:
    """Roots a test may read however the repository is placed (these matter when it sits in ``/``)."""
    python = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix, site.getusersitepackages()}
    system = ["/dev", "/etc", "/opt", "/proc", "/run", "/sys", "/usr", "/var"]
    return [*sorted(python), *site.getsitepackages(), tempfile.gettempdir(), *system]


GUARD = SiblingReadGuard(REPO, allowed=_python_and_system_dirs())
sys.addaudithook(GUARD.audit)


def raise_for_sibling_reads(what: str) -> None:
    """Fail the current phase if anything beside the repository was read since the last check."""
    found = GUARD.take()
    if found:
        pytest.fail(
            f"{what} read outside the repository, beside it: {', '.join(found)}. A plain clone has no such "
            "path: vendor the data under tests/data/ (see tests/data/contracts/README.md).",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _pytest_temp_is_not_a_sibling(tmp_path_factory: pytest.TempPathFactory) -> None:
    """pytest's temp root may be a sibling (repository kept directly in the temp directory): allow it,
    which also forgets pytest's own listing of it while making the base directory."""
    base = tmp_path_factory.getbasetemp()
    GUARD.allow(base, base.parent)


def _guarded(what: str) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        raise_for_sibling_reads(what)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(f"setup of {item.nodeid}"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(item.nodeid))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, Any, Any]:
    return (yield from _guarded(f"teardown of {item.nodeid}"))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, pytest.CollectReport, Any]:
    """A module that reads beside the repository at import time fails to collect."""
    report = yield
    found = GUARD.take()
    if found and report.passed:
        report.outcome = "failed"
        report.longrepr = f"collecting {collector.nodeid} read beside the repository: {', '.join(found)}"
    return report
