"""Registry: every --format has a renderer, and the reporters stay clear of collectors and the SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from auditor.findings import ScanResult
from auditor.reporters.interface import OutputFormat
from auditor.reporters.registry import ALL_FORMATS, renderer_for


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_renders(fmt: OutputFormat, result: ScanResult) -> None:
    renderer = renderer_for(fmt)
    assert renderer.format is fmt
    rendered = renderer.render(result)
    if not isinstance(rendered, str | bytes):
        rendered = b"".join(rendered)
    text = rendered.decode("utf-8") if isinstance(rendered, bytes) else rendered
    assert text.endswith("\n")
    assert "aks-auditor" in text or "aks-prod-weu" in text


def test_file_names_are_distinct() -> None:
    assert set(ALL_FORMATS) == set(OutputFormat)
    names = {fmt: renderer_for(fmt).file_name() for fmt in ALL_FORMATS}
    assert names[OutputFormat.SARIF] == "aks-auditor.sarif"
    assert names[OutputFormat.JUNIT] == "aks-auditor.junit.xml"
    assert names[OutputFormat.MARKDOWN] == "aks-auditor.md"
    assert len(set(names.values())) == len(names)


def test_importing_reporters_pulls_in_no_collectors_policies_or_sdk() -> None:
    code = (
        "import json, sys\n"
        "import auditor.reporters.registry, auditor.reporters.console\n"
        "bad = ('auditor.collectors', 'auditor.policies', 'auditor.remediation', 'azure', 'kubernetes')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in bad or m.startswith(bad))))\n"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) == []
