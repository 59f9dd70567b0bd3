"""Lint, types and layer contracts are part of the test suite, so CI fails when they drift."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    located = shutil.which(name)
    if located is None:
        pytest.fail(f"{name} is not installed; install the test extras: pip install -e '.[test]'")
    return located


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_and_format() -> None:
    lint = run(tool("ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(tool("ruff"), "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    result = run(tool("mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layer_contracts() -> None:
    result = run(tool("lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_only_the_cli_wires_the_credential() -> None:
    """azure.identity (DefaultAzureCredential and friends) is imported by auditor/cli/ alone: every other
    layer receives a constructed credential (import-linter cannot forbid a subpackage of azure)."""
    offenders = []
    users = []
    for path in sorted((REPO / "auditor").rglob("*.py")):
        modules = _imported_modules(path)
        if any(module == "azure.identity" or module.startswith("azure.identity.") for module in modules):
            relative = path.relative_to(REPO).as_posix()
            (users if relative.startswith("auditor/cli/") else offenders).append(relative)
    assert offenders == []
    assert users == ["auditor/cli/live.py"]  # the check looks where the credential really is built
