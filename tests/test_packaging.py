"""The wheel carries exactly the package's code and data: policies, report templates, the demo estate.

A report written into the working tree (the default output folder is ./aks-auditor-report/) must never
reach a wheel: customer data (subscription ids, cluster names) would ship inside the package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO


def _build_wheel(source: Path, out: Path) -> set[str]:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = out.glob("aks_auditor-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def _expected_data() -> set[str]:
    policies = {
        f"auditor/_data/{p.relative_to(REPO).as_posix()}" for p in (REPO / "policies").rglob("*.yaml")
    } | {"auditor/_data/policies/policy.schema.json"}
    templates = {
        p.relative_to(REPO).as_posix() for p in (REPO / "auditor" / "templates").rglob("*") if p.is_file()
    }
    calendars = {"auditor/release-calendar.json", "auditor/demo/release-calendar.json"}
    migrations = {"auditor/history/migrations/script.py.mako"}  # env.py and the revisions are .py
    return policies | templates | calendars | migrations | {"auditor/demo/estate.json", "auditor/py.typed"}


def test_wheel_holds_exactly_the_expected_data_files_and_no_report_output(tmp_path: Path) -> None:
    # A source tree where a user has just scanned with the defaults (and into the old template folder).
    source = tmp_path / "src"
    shutil.copytree(
        REPO, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".*_cache")
    )
    for folder in (source / "aks-auditor-report", source / "reports"):
        folder.mkdir(exist_ok=True)
        (folder / "aks-auditor.json").write_text('{"subscription": "customer-secret"}', encoding="utf-8")
    names = _build_wheel(source, tmp_path / "dist")

    data = {n for n in names if not n.endswith(".py") and ".dist-info/" not in n}
    assert data == _expected_data()
    assert {"auditor/cli/__init__.py", "auditor/reporters/html.py"} <= names
    assert {
        "auditor/history/migrations/env.py",
        "auditor/history/migrations/versions/0001_scans_and_findings.py",
    } <= names
    assert not any(
        "aks-auditor-report" in n or n.startswith(("reports/", "tests/", "benchmarks/")) for n in names
    )
    templates = {n for n in names if n.startswith("auditor/templates/")}
    assert {"auditor/templates/html/report.html.j2", "auditor/templates/markdown/report.md.j2"} <= templates
