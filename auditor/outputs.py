"""Write rendered reports to the output directory: render everything first, then write atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from auditor.atomic import write_atomic
from auditor.errors import OutputError
from auditor.findings import ScanResult
from auditor.reporters.interface import OutputFormat
from auditor.reporters.registry import renderer_for


def write_reports(result: ScanResult, formats: Iterable[OutputFormat], output_dir: Path) -> list[Path]:
    """Render every format before writing any file, so a rendering bug leaves no partial set behind."""
    rendered = []
    for fmt in dict.fromkeys(formats):
        renderer = renderer_for(fmt)
        rendered.append((output_dir / renderer.file_name(), renderer.render(result)))
    written = []
    for path, content in rendered:
        try:
            write_atomic(path, content)
        except OSError as error:
            raise OutputError(f"{path}: cannot write report: {error.strerror or error}") from None
        written.append(path)
    return written
