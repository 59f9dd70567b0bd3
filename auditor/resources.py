"""Locate the data shipped with the package: the built-in policies and the report templates.

The report templates live inside the package (``auditor/templates/``) and are loaded with
:class:`jinja2.PackageLoader` (importlib.resources), so they are found the same way from a wheel, an
editable install or a source tree. The built-in policies are kept at the top of the repository
(``policies/``, data reviewed like code); a wheel carries them as ``auditor/_data/policies``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import PackageLoader

_PACKAGE_DIR = Path(__file__).resolve().parent
_POLICY_DIRS = (_PACKAGE_DIR / "_data" / "policies", _PACKAGE_DIR.parent / "policies")


def builtin_policies_dir() -> Path:
    """The built-in policy folder of this installation (a wheel's, or the source checkout's)."""
    for candidate in _POLICY_DIRS:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("aks-auditor's built-in policies/ folder is missing from this installation")


def template_loader(kind: str) -> PackageLoader:
    """The jinja2 loader of one report's templates (``html`` or ``markdown``) inside the package."""
    return PackageLoader("auditor", f"templates/{kind}")
