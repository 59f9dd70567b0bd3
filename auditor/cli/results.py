"""``aks-auditor schema`` and ``aks-auditor convert``: the published documents and re-rendering."""

from __future__ import annotations

import json
from pathlib import Path

import click
from pydantic import BaseModel

from auditor.cli import echo
from auditor.cli.options import CONVERT_REPORTS
from auditor.config import ReportOptions
from auditor.config_file import ConfigFile
from auditor.findings import ScanResult
from auditor.inventory import Estate
from auditor.outputs import write_reports
from auditor.policies.model import PolicySpec
from auditor.release_calendar import ReleaseCalendar
from auditor.remediation.plan import RemediationPlan
from auditor.result_file import load_result

SCHEMAS: dict[str, type[BaseModel]] = {
    "inventory": Estate,
    "result": ScanResult,
    "plan": RemediationPlan,
    "policy": PolicySpec,
    "calendar": ReleaseCalendar,
    "config": ConfigFile,
}


@click.command()
@click.argument("kind", type=click.Choice(list(SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema of a snapshot, a scan result, a remediation plan, a policy file, a release
    calendar or the configuration file."""
    echo.out(json.dumps(SCHEMAS[kind].model_json_schema(by_alias=True), indent=2))


@click.command()
@click.argument("result_file", type=click.Path(path_type=Path, dir_okay=False))
@CONVERT_REPORTS
def convert(result_file: Path, reports: ReportOptions) -> None:
    """Re-render a saved result (JSON) in other formats; formats can never disagree."""
    result = load_result(result_file)
    for path in write_reports(result, reports.formats, reports.output_dir):
        echo.out(f"report: {path}")
