"""The ScanResult as JSON: the lossless format that ``aks-auditor convert`` re-renders into the others."""

from __future__ import annotations

from typing import Any

from auditor.findings import ScanResult


def render_json(result: ScanResult) -> str:
    """camelCase JSON that :meth:`ScanResult.model_validate_json` reads back unchanged.

    ASCII-only (other characters as ``\\uXXXX`` escapes): one character beyond Latin-1 anywhere makes
    Python store the whole string at two bytes per character, and at 200,000 findings this text is
    ~200 million characters. Indented, so a small result reads well; ``model_dump_json`` is Rust-fast.
    """
    return result.model_dump_json(by_alias=True, indent=2, ensure_ascii=True) + "\n"


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of the ScanResult document (published for consumers of the JSON report)."""
    return ScanResult.model_json_schema(by_alias=True)
