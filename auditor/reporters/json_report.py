"""The ScanResult as JSON: the lossless format that ``aks-auditor convert`` re-renders into the others."""

from __future__ import annotations

from typing import Any

from auditor.findings import ScanResult


def render_json(result: ScanResult) -> str:
    """camelCase JSON that :meth:`ScanResult.model_validate_json` reads back unchanged."""
    return result.model_dump_json(by_alias=True, indent=2) + "\n"


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of the ScanResult document (published for consumers of the JSON report)."""
    return ScanResult.model_json_schema(by_alias=True)
