"""The ScanResult as JSON: the lossless format that ``aks-auditor convert`` re-renders into the others."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.findings import Finding, ScanResult

_MARKER = b'\n  "findings": []'
_CHUNK = 2_000
_TAIL_PIECE = 1 << 20


def render_json(result: ScanResult) -> Iterator[bytes]:
    """camelCase JSON (UTF-8 chunks) that :meth:`ScanResult.model_validate_json` reads back unchanged.

    Streamed: the result without findings, then the findings 2,000 at a time, so a 200 MB report is never
    held in memory whole. The envelope is indented; each finding is one compact line. ASCII-only
    (``\\uXXXX`` escapes).
    """
    shell = result.model_copy(update={"findings": ()})
    envelope = shell.__pydantic_serializer__.to_json(shell, by_alias=True, indent=2, ensure_ascii=True)
    at = envelope.find(_MARKER)
    if at < 0:  # the field order changed: fall back to one piece
        yield (
            result.__pydantic_serializer__.to_json(result, by_alias=True, indent=2, ensure_ascii=True) + b"\n"
        )
        return
    yield envelope[:at] + b'\n  "findings": ['
    findings, serialize = result.findings, Finding.__pydantic_serializer__.to_json
    for index in range(0, len(findings), _CHUNK):
        lines = (serialize(f, by_alias=True, ensure_ascii=True) for f in findings[index : index + _CHUNK])
        yield (b"\n    " if index == 0 else b",\n    ") + b",\n    ".join(lines)
    yield b"\n  ]" if findings else b"]"
    # The rest (cluster cards and horizons: ~20 MB at 10,000 clusters) a megabyte at a time, not copied
    # whole again.
    for start in range(at + len(_MARKER), len(envelope), _TAIL_PIECE):
        yield envelope[start : start + _TAIL_PIECE]
    yield b"\n"


def result_json_schema() -> dict[str, Any]:
    """The JSON Schema of the ScanResult document (published for consumers of the JSON report)."""
    return ScanResult.model_json_schema(by_alias=True)
