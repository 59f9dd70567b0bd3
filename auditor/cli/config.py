"""``aks-auditor config show``: the settings a scan would run with, and where each one came from."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from auditor.cli import echo
from auditor.cli.option_group import validated
from auditor.cli.options import EXIT_CODES_HELP
from auditor.cli.scan import SCAN_GROUPS, policies_and_waivers, scan
from auditor.cli.settings import KEYS, Key, loaded, origin
from auditor.config import PolicyOptions, ScanConfig

#: Keys whose value is merged across the layers: shown from the built options, not one source.
_MERGED = {"policies.parameters": "sets", "policies.enable": "enable", "policies.disable": "disable"}


def _shown(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "(none)"
    if isinstance(value, tuple | list | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return ", ".join(str(item) for item in items) or "(none)"
    return str(value)


def _merged_origin(context: click.Context, option: click.Option) -> str:
    config = loaded(context)
    parts = []
    key = next(k for k in KEYS if k.flag in option.opts)
    if config is not None and key.path in config.values:
        parts.append(f"{config.path}: {key.path}")
    above = origin(context, option)
    if above.startswith(("flag ", "env ")):
        parts.append(above)
    return " + ".join(parts) or "default"


def settings(context: click.Context, policies: PolicyOptions) -> list[dict[str, str]]:
    """One row per configuration key scan takes: key, flag, environment variable, value, origin."""
    options = {
        key.flag: option for option in context.command.params for key in KEYS if key.flag in option.opts
    }
    rows = []
    for key in KEYS:
        option = options.get(key.flag)
        if not isinstance(option, click.Option) or not option.name:
            continue
        if key.path in _MERGED:
            value: Any = getattr(policies, _MERGED[key.path])
            where = _merged_origin(context, option)
        else:
            value = context.params[option.name]
            where = origin(context, option)
        if key.path == "history.url" and value is not None:
            from auditor.history.store import shown_url  # SQLAlchemy's URL parser

            value = shown_url(value)
        rows.append(_row(key, _shown(value), where))
    return rows


def _row(key: Key, value: str, where: str) -> dict[str, str]:
    return {"key": key.path, "flag": key.flag, "env": key.env, "value": value, "origin": where}


@click.group()
def config() -> None:
    """The configuration file (aks-auditor.yaml): see what a scan would run with."""


@config.command(
    "show",
    epilog=EXIT_CODES_HELP,
    context_settings={"ignore_unknown_options": True},
)
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.argument("scan_args", nargs=-1, type=click.UNPROCESSED, metavar="[SCAN OPTIONS]...")
def show(as_json: bool, scan_args: tuple[str, ...]) -> None:
    """Print the effective scan settings and the origin of each: default, the config file and its key,
    an AKS_AUDITOR_* variable, or a flag. Takes scan's options, checked as scan checks them (exit 2):
    aks-auditor config show --config ci.yaml --fail-on low."""
    here = click.get_current_context()
    # parsed as scan parses them; a usage error reads "aks-auditor config show ..." (this command's name)
    with scan.make_context(here.info_name, list(scan_args), parent=here.parent) as context:
        models = {group.argument: group.from_context(context, context.params) for group in SCAN_GROUPS}
        checked = validated(ScanConfig, **models)
        policies_and_waivers(checked.policies, checked.gate, datetime.now(UTC))
        rows = settings(context, checked.policies)
        file = loaded(context)
    path: Path | None = file.path if file else None
    if as_json:
        echo.out(json.dumps({"config": str(path) if path else None, "settings": rows}, indent=2))
        return
    found = " (found in the working directory)" if file and file.discovered else ""
    echo.out(f"config file: {path}{found}" if path else "config file: none")
    width = max(len(row["key"]) for row in rows)
    value_width = min(40, max(len(row["value"]) for row in rows))
    for row in rows:
        echo.out(f"{row['key']:<{width}}  {row['value']:<{value_width}}  {row['origin']}")
