"""The wheel carries the built-in policies, the report templates and the demo estate."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO


def test_wheel_ships_policies_templates_and_demo(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("aks_auditor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    policies = {p.relative_to(REPO).as_posix() for p in (REPO / "policies").rglob("*.yaml")}
    templates = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "reports").rglob("*")
        if p.is_file() and not p.name.startswith("aks-auditor.")
    }
    assert {f"auditor/_data/{name}" for name in policies} <= names
    assert {f"auditor/_data/{name}" for name in templates} <= names
    assert {"auditor/demo/estate.json", "auditor/py.typed", "auditor/cli.py"} <= names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
