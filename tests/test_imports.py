"""Commands that read no cloud and no database load neither's libraries: a CI gate over a snapshot starts
in ~0.4 s and ~55 MB, not ~1.1 s and ~125 MB (benchmarks/results/scale.md). Each command runs in a fresh
interpreter; what it imported is read from ``sys.modules`` as it exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

#: Loaded only by the commands that call Azure, a Fleet hub or a history store.
CLOUD = ("azure", "aiohttp", "kubernetes", "msal", "requests", "rich")
DATABASE = ("sqlalchemy", "alembic")

_PROBE = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted({m.split(".")[0] for m in sys.modules}))))
sys.argv = ["aks-auditor", *sys.argv[2:]]
from auditor.cli import main
main()
"""


def loaded(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code of ``aks-auditor ARGS`` and the top-level packages it imported."""
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.exists(), done.stderr
    return done.returncode, set(json.loads(out.read_text(encoding="utf-8")))


def test_the_probe_sees_what_a_command_loads(tmp_path: Path) -> None:
    """``history list`` opens the store: SQLAlchemy and Alembic are seen loaded (so their absence below
    means something), and it still loads no cloud client."""
    code, modules = loaded(tmp_path, "history", "list", "--history", str(tmp_path / "history.db"))
    assert code == 0
    assert set(DATABASE) <= modules
    assert modules.isdisjoint(CLOUD)


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("scan", "--help"),
        ("config", "show"),
        ("policies", "list"),
    ],
    ids=lambda args: " ".join(args),
)
def test_help_and_listings_load_no_cloud_or_database_library(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules = loaded(tmp_path, *args)
    assert code == 0
    assert modules.isdisjoint((*CLOUD, *DATABASE)), sorted(modules & {*CLOUD, *DATABASE})


def test_a_snapshot_scan_with_every_report_and_a_merge_load_no_cloud_or_database_library(
    tmp_path: Path,
) -> None:
    snapshot = tmp_path / "estate.json"
    snapshot.write_bytes((REPO / "auditor" / "demo" / "estate.json").read_bytes())
    formats = [arg for name in ("json", "sarif", "html", "junit", "markdown") for arg in ("--format", name)]
    code, modules = loaded(tmp_path, "scan", "--inventory", str(snapshot), *formats, "--output-dir", "all")
    assert code == 1  # the demo estate fails on purpose: the scan ran to its gate
    assert len(list((tmp_path / "all").iterdir())) == 5
    assert modules.isdisjoint((*CLOUD, *DATABASE)), sorted(modules & {*CLOUD, *DATABASE})
    for index in (0, 1):
        code, modules = loaded(
            tmp_path, "scan", "--inventory", str(snapshot), "--shard", f"{index}/2", "--format", "json",
            "--output-dir", f"shard{index}",
        )  # fmt: skip
        assert code == 0
        assert modules.isdisjoint((*CLOUD, *DATABASE))
    code, modules = loaded(
        tmp_path, "merge", "shard0/aks-auditor.json", "shard1/aks-auditor.json", "--output-dir", "merged"
    )
    assert code == 1
    assert (tmp_path / "merged" / "aks-auditor.html").exists()
    assert modules.isdisjoint((*CLOUD, *DATABASE)), sorted(modules & {*CLOUD, *DATABASE})
