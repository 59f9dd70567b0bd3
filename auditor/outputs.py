"""Write rendered reports to the output directory as one set: all of them are published, or none is."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from auditor.atomic import (
    Content,
    check_target,
    describe,
    ensure_directory,
    publish,
    stage,
    staged_set,
    write_atomic,
)
from auditor.errors import OutputError
from auditor.findings import ScanResult
from auditor.reporters.interface import OutputFormat
from auditor.reporters.registry import renderer_for


def write_reports(
    result: ScanResult,
    formats: Iterable[OutputFormat],
    output_dir: Path,
    extra: Sequence[tuple[str, Content]] = (),
) -> list[Path]:
    """Render and stage each format (one rendered report in memory at a time), then publish them all.

    ``extra``: more files of the same set, by name (the remediation plan), published with the reports.

    The output directory and every target are checked before anything is rendered; a rendering bug, a
    full disk, a rename failing midway or Ctrl-C leaves the previous reports as they were and no
    temporary file behind. Every failure is an OutputError naming the path and the reason.
    """
    renderers = [renderer_for(fmt) for fmt in dict.fromkeys(formats)]
    contents: list[tuple[Path, Content | None]] = [
        *((output_dir / renderer.file_name(), None) for renderer in renderers),
        *((output_dir / name, content) for name, content in extra),
    ]
    paths = [path for path, _ in contents]
    try:
        ensure_directory(output_dir)
    except OSError as error:
        raise OutputError(
            f"{error.filename or output_dir}: cannot write reports: {describe(error)}"
        ) from None
    for path in paths:
        try:
            check_target(path)
        except OSError as error:
            raise OutputError(f"{path}: cannot write report: {describe(error)}") from None
    with staged_set() as staged:
        rendered = (renderer.render(result) for renderer in renderers)
        for path, content in contents:
            try:
                stage(path, next(rendered) if content is None else content, staged)
            except OSError as error:
                raise OutputError(f"{path}: cannot write report: {describe(error)}") from None
        try:
            publish(staged)
        except OSError as error:
            raise OutputError(f"{error.filename}: cannot write report: {describe(error)}") from None
    return paths


def check_snapshot_target(path: Path) -> None:
    """Fail before collecting, not after: the snapshot's folder must be writable and ``path`` replaceable."""
    try:
        ensure_directory(path.parent)
        check_target(path)
    except OSError as error:
        raise OutputError(f"{path}: cannot write snapshot: {describe(error)}") from None


def write_output(path: Path, content: bytes | str, what: str) -> None:
    """Write one file atomically (a snapshot, a JUnit file); an OutputError (exit 4) names the path,
    ``what`` it is and the reason."""
    try:
        write_atomic(path, content)
    except OSError as error:
        raise OutputError(f"{path}: cannot write {what}: {describe(error)}") from None
