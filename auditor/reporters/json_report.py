"""The ScanResult as JSON: the lossless format that ``aks-auditor convert`` re-renders into the others."""

from __future__ import annotations

from typing import Any

from auditor.findings import ScanResult


def render_json(result: ScanResult) -> bytes:
    """camelCase JSON (UTF-8 bytes) that :meth:`ScanResult.model_validate_json` reads back unchanged.

    Bytes straight from pydantic-core: at 200,000 findings this is ~200 MB, and a ``str`` would hold a
    second copy while it is decoded. ASCII-only (``\\uXXXX`` escapes), indented so a small result reads
    well.
    """
    return result.__pydantic_serializer__.to_json(result, by_alias=True, indent=2, ensure_ascii=True) + b"\n"


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of the ScanResult document (published for consumers of the JSON report)."""
    return ScanResult.model_json_schema(by_alias=True)
