"""Kubernetes version strings and AKS node image versions: parse, compare, step through minors, read an
image's build date. Shared by policies, the horizon, the version landscape and remediation; each raises
``ValueError`` naming the input it cannot read."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$")


@lru_cache(maxsize=4096)  # an estate repeats a few dozen versions hundreds of thousands of times
def parse_version(version: str) -> tuple[int, int, int | None]:
    """``1.29`` / ``1.29.3`` / ``v1.29.3`` -> (1, 29, 3); the patch is None for an alias such as ``1.29``."""
    match = _VERSION.match(version.strip())
    if not match:
        raise ValueError(f"not a Kubernetes version: {version!r} (expected MAJOR.MINOR[.PATCH])")
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch) if patch is not None else None


def minor_of(version: str) -> str:
    """``1.29.3`` -> ``1.29``."""
    major, minor, _ = parse_version(version)
    return f"{major}.{minor}"


def version_major(version: str) -> int:
    return parse_version(version)[0]


def version_minor(version: str) -> int:
    return parse_version(version)[1]


def version_compare(left: str, right: str) -> int:
    """-1, 0 or 1; a missing patch compares as 0 (``1.29`` == ``1.29.0``)."""
    a_major, a_minor, a_patch = parse_version(left)
    b_major, b_minor, b_patch = parse_version(right)
    a = (a_major, a_minor, a_patch or 0)
    b = (b_major, b_minor, b_patch or 0)
    return (a > b) - (a < b)


def same_major(left: str, right: str) -> bool:
    return version_major(left) == version_major(right)


def minor_gap(from_version: str, to_version: str) -> int:
    """How many minors ``to_version`` is above ``from_version`` (negative when below). Same major only."""
    a_major, a_minor, _ = parse_version(from_version)
    b_major, b_minor, _ = parse_version(to_version)
    if a_major != b_major:
        raise ValueError(f"minorGap needs one major version, got {from_version!r} and {to_version!r}")
    return b_minor - a_minor


def latest_version(versions: list[str]) -> str:
    """The highest of a list of versions (error when the list is empty)."""
    if not versions:
        raise ValueError("latestVersion of an empty list")
    best = versions[0]
    for version in versions[1:]:
        if version_compare(version, best) > 0:
            best = version
    return best


def minor_path(from_version: str, to_version: str) -> list[str]:
    """Every minor hop from ``from_version`` up to ``to_version``: 1.28 -> 1.31 gives 1.29, 1.30, 1.31."""
    gap = minor_gap(from_version, to_version)
    major, minor, _ = parse_version(from_version)
    return [f"{major}.{minor + step}" for step in range(1, gap + 1)]


# Linux images: <prefix>-YYYYMM.DD.<patch>, optionally followed by a security-patch date -YYYY.MM.DD
# (e.g. AKSUbuntu-2204gen2containerd-202410.27.0, ...-202501.12.0-2025.01.22). Old images end in
# -YYYY.MM.DD (AKSUbuntu-1604-2020.03.11). Windows: <prefix>-<build>.<rev>.YYMMDD
# (AKSWindows-2022-containerd-20348.2966.241114). https://learn.microsoft.com/azure/aks/node-image-upgrade
_LINUX_PATCH_DATE = re.compile(r"[-:](\d{4})\.(\d{2})\.(\d{2})$")
_LINUX_BUILD = re.compile(r"-(\d{4})(\d{2})\.(\d{2})\.\d+$")
_WINDOWS_BUILD = re.compile(r"^AKSWindows.*-\d+\.\d+\.(\d{2})(\d{2})(\d{2})$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def node_image_date(image: str) -> datetime:
    """Build date (UTC midnight) encoded in an AKS node image version string."""
    windows = _WINDOWS_BUILD.match(image)
    if windows:
        year, month, day = 2000 + int(windows.group(1)), int(windows.group(2)), int(windows.group(3))
    else:
        match = _LINUX_PATCH_DATE.search(image) or _LINUX_BUILD.search(image)
        if not match:
            raise ValueError(f"cannot read a build date from node image version {image!r}")
        year, month, day = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"node image version {image!r} encodes an impossible date") from None
