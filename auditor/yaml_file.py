"""The one reader of the YAML files a user writes (policies, their tests, waivers, the config file,
kubeconfigs): a syntax error is one line with the file, line and column, in the caller's error type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from auditor.errors import AuditorError


def yaml_problem(error: yaml.YAMLError, *, excerpt: bool = True) -> str:
    """``not valid YAML at line L column C: problem`` (``excerpt=False``: without the problem text, for
    files that may hold a secret)."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"not valid YAML{where}" + (f": {problem}" if excerpt else "")


def parse_yaml(text: str, path: Path, error: type[AuditorError], *, excerpt: bool = True) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{path}: {yaml_problem(problem, excerpt=excerpt)}") from None


def read_yaml(path: Path, error: type[AuditorError], *, what: str = "file") -> Any:
    """``path`` parsed; a missing, unreadable or malformed file is ``error`` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a {what}") from None
    except (OSError, UnicodeDecodeError) as problem:
        raise error(f"{path}: cannot read: {problem}") from None
    return parse_yaml(text, path, error)
