"""Reporter interface: pure functions of one ScanResult, no I/O inside a renderer.

The CLI writes what ``render`` returns (atomically) to ``<output-dir>/aks-auditor.<extension>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    #: text, UTF-8 bytes, or UTF-8 chunks (large outputs are streamed instead of held whole)
    render: Callable[[ScanResult], str | bytes | Iterable[bytes]]

    def file_name(self, stem: str = "aks-auditor") -> str:
        return f"{stem}.{self.extension}"
