"""Atomic file output: write to a temporary sibling, fsync, rename. No half-written report survives."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

Content = str | bytes | Iterable[bytes]


def write_atomic(path: Path, content: Content) -> None:
    stage(path, content).replace(path)


def stage(path: Path, content: Content) -> Path:
    """Write ``content`` to a hidden temporary sibling of ``path`` and return it; rename it to publish.

    Staging several files before renaming any keeps a set of reports all-or-nothing while only one
    rendered report is held in memory at a time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    chunks = (
        [content.encode("utf-8")]
        if isinstance(content, str)
        else [content]
        if isinstance(content, bytes)
        else content
    )
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp creates 0600; a report is an ordinary file
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return Path(temp_name)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
