"""Locate the data folders (built-in policies, report templates) shipped with the package.

A wheel carries them under ``auditor/_data/``; a source checkout (editable install, tests) has them
at the repository root. Both layouts are supported so the same code runs from either.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder ``name`` ("policies" or "reports") for this installation."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"aks-auditor's {name}/ folder is missing from this installation")


def builtin_policies_dir() -> Path:
    return data_dir("policies")


def reports_dir() -> Path:
    return data_dir("reports")
