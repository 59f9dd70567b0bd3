"""ScanConfig: everything a scan needs, validated once, frozen. The CLI builds it; the core reads it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.findings import Severity
from auditor.reporters.interface import OutputFormat

DEFAULT_FORMATS = (OutputFormat.HTML, OutputFormat.JSON, OutputFormat.SARIF)


class ScanConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    inventory: Path | None = None
    demo: bool = False
    policy_dirs: tuple[Path, ...] = ()
    sets: dict[str, str] = Field(default_factory=dict)
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    formats: tuple[OutputFormat, ...] = DEFAULT_FORMATS
    output_dir: Path = Path("reports")
    fail_on: Severity | None = Severity.HIGH
    quiet: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> ScanConfig:
        if self.demo == (self.inventory is not None):
            raise ValueError("choose exactly one source: --inventory FILE or --demo")
        overlap = self.enable & self.disable
        if overlap:
            raise ValueError(f"--enable and --disable name the same policy: {', '.join(sorted(overlap))}")
        return self
