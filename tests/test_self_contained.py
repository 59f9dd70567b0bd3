"""The suite needs nothing beside the repository: the contract data it reads is vendored and pinned by
sha256 in tests/data/contracts/README.md, and the guard in tests/conftest.py fails any test that reads a
folder next to the repository."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from .conftest import CONTRACTS, GUARD, REPO, SiblingReadGuard, raise_for_sibling_reads

#: A README table row naming a vendored file: | `path relative to CONTRACTS` | sha256 | ...
ROW = re.compile(r"^\| `(?P<path>[^`]+)` \| (?P<sha256>[0-9a-f]{64}) \|", re.MULTILINE)


def listed() -> dict[str, str]:
    rows = [m.groupdict() for m in ROW.finditer((CONTRACTS / "README.md").read_text(encoding="utf-8"))]
    table = {row["path"]: row["sha256"] for row in rows}
    assert len(table) == len(rows), "a file is listed twice"
    return table


def test_contracts_live_inside_the_repository() -> None:
    assert CONTRACTS.is_relative_to(REPO)
    assert (CONTRACTS / "README.md").is_file()


def test_every_vendored_file_is_listed_with_its_sha256() -> None:
    table = listed()
    on_disk = {
        p.relative_to(CONTRACTS).as_posix()
        for p in CONTRACTS.rglob("*")
        if p.is_file() and p.name != "README.md"
    }
    assert sorted(on_disk - table.keys()) == [], "vendored but not listed in tests/data/contracts/README.md"
    assert sorted(table.keys() - on_disk) == [], "listed in tests/data/contracts/README.md but missing"
    changed = {
        path: actual
        for path, expected in table.items()
        if (actual := hashlib.sha256((CONTRACTS / path).read_bytes()).hexdigest()) != expected
    }
    assert changed == {}, "vendored files must stay byte-for-byte copies; the README pins their sha256"


def test_no_test_names_a_folder_beside_the_repository() -> None:
    """The same patterns CI greps tests/ for (written so that this file does not match them)."""
    beside = re.compile(r"\.\./shared|parent ?/ ?\"shared\"")
    hits = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted((REPO / "tests").rglob("*"))
        if path.is_file() and path.suffix in {".py", ".md", ".yaml", ".json", ".toml"}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if beside.search(line)
    ]
    assert hits == []


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """<work>/repo (the repository) with folders beside it, made before the guard is."""
    work = tmp_path / "work"
    repo = work / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "data.json").write_text("{}", encoding="utf-8")
    beside = work / "contracts-beside"
    beside.mkdir()
    (beside / "schema.json").write_text("{}", encoding="utf-8")
    (work / "venv").mkdir()
    (repo / "tests" / "link").symlink_to(beside, target_is_directory=True)
    return {"work": work, "repo": repo, "beside": beside, "venv": work / "venv", "outside": tmp_path}


def opened(guard: SiblingReadGuard, *paths: str | bytes | Path | int, event: str = "open") -> list[str]:
    for path in paths:
        guard.audit(event, (path, "r", 0))
    return guard.take()


def test_the_guard_reports_reads_beside_the_repository(layout: dict[str, Path]) -> None:
    repo, beside = layout["repo"], layout["beside"]
    guard = SiblingReadGuard(repo, allowed=[layout["venv"]])
    schema = str(beside / "schema.json")

    assert opened(guard, beside / "schema.json") == [schema]
    assert opened(guard, os.fsencode(schema)) == [schema]
    assert opened(guard, os.path.join(repo, "..", beside.name, "schema.json")) == [schema]
    assert opened(guard, repo / "tests" / "link" / "schema.json") == [schema]  # a symlink out of the repo
    assert opened(guard, beside, event="os.scandir") == [str(beside)]  # a glob lists the folder first
    assert opened(guard, beside / "missing.json") == [str(beside / "missing.json")]  # opening fails later
    assert opened(guard, schema, schema) == [schema]  # reported once


def test_the_guard_ignores_the_repository_and_everything_else(layout: dict[str, Path]) -> None:
    work, repo = layout["work"], layout["repo"]
    guard = SiblingReadGuard(repo, allowed=[layout["venv"], work])  # work holds the repo: not allowed
    (work / "made-later.pem").write_text("", encoding="utf-8")

    assert opened(guard, repo / "tests" / "data.json", repo, work, 3) == []
    assert opened(guard, layout["venv"] / "lib" / "site.py") == []  # an allowed root beside the repo
    assert opened(guard, work / "made-later.pem") == []  # not beside the repo when the guard was made
    assert opened(guard, layout["outside"] / "elsewhere.json", "/etc/hosts") == []
    assert opened(guard, layout["beside"] / "schema.json", event="compile") == []
    assert opened(guard, layout["beside"] / "schema.json") != []  # still watching


def test_the_installed_guard_sees_real_opens_and_fails_the_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end through sys.addaudithook, without touching the disk beside the repository: a name that
    does not exist there is declared a sibling, and opening it is reported although the open fails."""
    probe = "aks-auditor-self-contained-probe"
    assert probe not in GUARD.siblings
    monkeypatch.setattr(GUARD, "siblings", GUARD.siblings | {probe})
    path = REPO.parent / probe / "contracts.json"

    with pytest.raises(FileNotFoundError):
        path.open(encoding="utf-8")
    with pytest.raises(
        pytest.fail.Exception, match=re.escape(f"the probe read outside the repository, beside it: {path}.")
    ):
        raise_for_sibling_reads("the probe")
    raise_for_sibling_reads("nothing else")  # the report was consumed: this test itself passes
