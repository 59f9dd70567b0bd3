"""Write rendered reports to the output directory: render everything first, then write atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from auditor.atomic import stage
from auditor.errors import OutputError
from auditor.findings import ScanResult
from auditor.reporters.interface import OutputFormat
from auditor.reporters.registry import renderer_for


def write_reports(result: ScanResult, formats: Iterable[OutputFormat], output_dir: Path) -> list[Path]:
    """Render and stage each format (one rendered report in memory at a time), then publish them all.

    A rendering bug, a full disk or Ctrl-C before the last rename leaves no new report behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for fmt in dict.fromkeys(formats):
            renderer = renderer_for(fmt)
            path = output_dir / renderer.file_name()
            try:
                staged.append((stage(path, renderer.render(result)), path))
            except OSError as error:
                raise OutputError(f"{path}: cannot write report: {error.strerror or error}") from None
        for temp, path in staged:
            temp.replace(path)
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return [path for _, path in staged]
