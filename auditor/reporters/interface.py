"""Reporter interface: pure functions of one ScanResult, no I/O inside a renderer.

The CLI writes what ``render`` returns (atomically) to ``<output-dir>/aks-auditor.<extension>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from auditor.findings import ScanResult


class OutputFormat(StrEnum):
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"
    JUNIT = "junit"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class Renderer:
    format: OutputFormat
    extension: str
    render: Callable[[ScanResult], str | bytes]  # bytes: already UTF-8 (large JSON)

    def file_name(self, stem: str = "aks-auditor") -> str:
        return f"{stem}.{self.extension}"
