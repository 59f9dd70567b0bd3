"""The command line: parse options -> frozen config -> core -> render. One error boundary (``main``)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from auditor import __version__
from auditor.atomic import write_atomic
from auditor.cli_live import (
    collect_hubs,
    collect_live,
    hub_config,
    hub_sources,
    live_config,
    with_hub_options,
    with_live_options,
)
from auditor.config import DEFAULT_FORMATS, CollectConfig, LiveOptions, ScanConfig
from auditor.demo import load_demo_estate
from auditor.errors import (
    EXIT_INCOMPLETE,
    EXIT_OK,
    AuditorError,
    ConfigError,
    OutputError,
    PolicyError,
    config_error,
)
from auditor.findings import RESULT_SCHEMA_VERSION, ScanResult, Severity
from auditor.gates.threshold import exit_code
from auditor.gates.waivers import load_waivers
from auditor.inventory import Estate
from auditor.inventory.snapshot import dump_model, load_document, load_estate
from auditor.outputs import write_reports
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import ConfiguredPolicy, PolicySource, Selection, configure, load_policy_dirs
from auditor.policies.testing import run_policy_tests
from auditor.reporters.console import render_console
from auditor.reporters.interface import OutputFormat
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan

FAIL_ON_CHOICES = [*(s.value for s in Severity), "none"]
EXIT_CODES_HELP = """Exit codes: 0 clean; 1 failing findings at or above --fail-on; 2 usage, config, policy or
input error; 3 incomplete scan (anything not collected or not evaluated) — 3 wins over 1."""


class AuditorGroup(click.Group):
    """Maps every AuditorError to its exit code with one line on stderr: the only error boundary."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            click.echo("aks-auditor: interrupted; no report was left half-written", err=True)
            sys.exit(130)
        except AuditorError as error:
            click.echo(f"aks-auditor: error: {error.message}", err=True)
            if error.hint:
                click.echo(f"aks-auditor: hint: {error.hint}", err=True)
            sys.exit(error.exit_code)


def _policy_sources(policy_dirs: Sequence[Path]) -> list[PolicySource]:
    return load_policy_dirs(builtin_policies_dir(), list(policy_dirs))


def _parse_sets(values: Sequence[str]) -> dict[str, str]:
    sets: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise ConfigError(f"--set {item}: expected POLICY_ID.parameter=value")
        sets[key.strip()] = value.strip()
    return sets


def _configured(config: ScanConfig) -> list[ConfiguredPolicy]:
    selection = Selection(sets=config.sets, enable=config.enable, disable=config.disable)
    return configure(_policy_sources(config.policy_dirs), selection)


@click.group(cls=AuditorGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="aks-auditor")
def cli() -> None:
    """Policy-as-code compliance auditor for AKS and Azure Kubernetes Fleet Manager estates."""


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--inventory", type=click.Path(path_type=Path, dir_okay=False), help="Estate snapshot (JSON) to scan."
)
@click.option("--demo", is_flag=True, help="Scan the embedded demo estate.")
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Extra policy directory (repeatable); a policy with a built-in's id replaces it.",
)
@click.option(
    "--set", "sets", multiple=True, metavar="ID.PARAM=VALUE", help="Set a policy parameter (repeatable)."
)
@click.option(
    "--enable", multiple=True, metavar="ID", help="Enable a policy that is off by default (repeatable)."
)
@click.option("--disable", multiple=True, metavar="ID", help="Disable a policy (repeatable).")
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice([f.value for f in OutputFormat]),
    help=f"Report format (repeatable). Default: {', '.join(f.value for f in DEFAULT_FORMATS)}.",
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Where reports are written.",
)
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default="high",
    show_default=True,
    help="Exit 1 when a failing finding has this severity or higher ('none': never).",
)
@click.option(
    "--waivers",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML file of accepted risks: matching failures become 'waived' until they expire.",
)
@with_hub_options
@with_live_options
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def scan(
    inventory: Path | None,
    demo: bool,
    policy_dirs: tuple[Path, ...],
    sets: tuple[str, ...],
    enable: tuple[str, ...],
    disable: tuple[str, ...],
    formats: tuple[str, ...],
    output_dir: Path,
    fail_on: str,
    waivers: Path | None,
    quiet: bool,
    **live: Any,
) -> None:
    """Evaluate the policies over an estate and write reports.

    The estate is a snapshot (--inventory), the demo (--demo) or, with neither, read live from Azure.
    """
    started = datetime.now(UTC)
    is_live = inventory is None and not demo
    live_options = live_config(live) if is_live else LiveOptions(allow_partial=live["allow_partial"])
    try:
        config = ScanConfig(
            inventory=inventory,
            demo=demo,
            live=live_options,
            hubs=hub_config(live),
            waivers=waivers,
            policy_dirs=policy_dirs,
            sets=_parse_sets(sets),
            enable=frozenset(enable),
            disable=frozenset(disable),
            formats=tuple(OutputFormat(f) for f in formats) or DEFAULT_FORMATS,
            output_dir=output_dir,
            fail_on=None if fail_on == "none" else Severity(fail_on),
            quiet=quiet,
        )
    except ValidationError as error:
        raise config_error(error) from None
    # Everything the user gave is validated before any estate is read or any API is called.
    policies = _configured(config)
    accepted = load_waivers(config.waivers) if config.waivers else ()
    hubs = hub_sources(config.hubs)
    estate = collect_hubs(_load_source(config), hubs, config.quiet)
    result = run_scan(estate, policies, started_at=started, fail_on=config.fail_on, waivers=accepted)
    gc.freeze()  # the result lives until exit: keep the collector from rescanning it while rendering
    written = write_reports(result, config.formats, config.output_dir)
    if not config.quiet:
        click.echo(render_console(result), nl=False)
        for path in written:
            click.echo(f"report: {path}")
    sys.exit(exit_code(result, config.fail_on, allow_partial=config.live.allow_partial))


def _load_source(config: ScanConfig) -> Estate:
    if config.demo:
        return load_demo_estate()
    if config.inventory is not None:
        return load_estate(config.inventory)
    return collect_live(config.live, config.quiet, config.hubs)


@cli.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Where to write the estate snapshot (JSON, the file --inventory reads).",
)
@with_hub_options
@with_live_options
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def collect(output: Path, quiet: bool, **live: Any) -> None:
    """Read the estate live from Azure (and Fleet hubs) and write it as a snapshot (gaps: exit 3)."""
    config = CollectConfig(live=live_config(live), hubs=hub_config(live), output=output, quiet=quiet)
    hubs = hub_sources(config.hubs)
    estate = collect_hubs(collect_live(config.live, config.quiet, config.hubs), hubs, config.quiet)
    try:
        write_atomic(config.output, dump_model(estate))
    except OSError as error:
        raise OutputError(f"{config.output}: cannot write snapshot: {error.strerror or error}") from None
    gaps = estate.coverage.gaps
    if not config.quiet:
        click.echo(
            f"collected {len(estate.clusters)} clusters, {len(estate.fleets)} fleets from "
            f"{len(estate.scope.subscriptions)} subscriptions; {len(gaps)} coverage gaps -> {config.output}"
        )
        for gap in gaps:
            click.echo(f"gap: {gap.scope} {gap.target}: {gap.operation}: {gap.reason}", err=True)
    sys.exit(EXIT_INCOMPLETE if gaps and not config.live.allow_partial else EXIT_OK)


@cli.group()
def policies() -> None:
    """List, show and validate policies."""


@policies.command("list")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def policies_list(policy_dirs: tuple[Path, ...]) -> None:
    """List built-in (and extra) policies."""
    for source in _policy_sources(policy_dirs):
        spec = source.spec
        state = "on " if spec.enabled else "off"
        kinds = ",".join(kind.value for kind in spec.resource)
        click.echo(f"{spec.id:<10} {spec.severity.value:<8} {state} {kinds:<30} {spec.title}")


@policies.command("show")
@click.argument("policy_id")
@click.option("--policies", "policy_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False))
def policies_show(policy_id: str, policy_dirs: tuple[Path, ...]) -> None:
    """Show one policy: metadata, parameters and expressions."""
    for source in _policy_sources(policy_dirs):
        if source.spec.id == policy_id:
            spec = source.spec
            document = spec.model_dump(mode="json", by_alias=True, exclude={"tests"}, exclude_none=True)
            document["source"] = str(source.path)
            document["testCases"] = len(spec.tests)
            click.echo(json.dumps(document, indent=2))
            return
    raise ConfigError(f"no such policy {policy_id!r} (see `aks-auditor policies list`)")


@policies.command("validate")
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
def policies_validate(directories: tuple[Path, ...]) -> None:
    """Validate policy files (structure, expressions, parameters) and run their test cases."""
    sources = load_policy_dirs(None, list(directories))
    configured = configure(sources, Selection(enable=frozenset(s.spec.id for s in sources)))
    Evaluator(configured, datetime.now(UTC))  # compiles every expression for every resource kind
    failures = []
    for source in sources:
        if not source.spec.tests:
            failures.append(f"{source.path}: {source.spec.id}: tests: no test cases (each policy needs some)")
        for case in run_policy_tests(source):
            failures.extend(
                f"{source.path}: {case.policy_id}: tests[{case.case}]: {p}" for p in case.problems
            )
    if failures:
        raise PolicyError(failures[0] + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""))
    cases = sum(len(s.spec.tests) for s in sources)
    click.echo(f"{len(sources)} policies valid, {cases} test cases passed")


@cli.command()
@click.argument("kind", type=click.Choice(["inventory", "result"]))
def schema(kind: str) -> None:
    """Print the JSON Schema of the inventory snapshot or of the scan result."""
    model = Estate if kind == "inventory" else ScanResult
    click.echo(json.dumps(model.model_json_schema(by_alias=True), indent=2))


@cli.command()
@click.argument("result_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format", "formats", multiple=True, required=True, type=click.Choice([f.value for f in OutputFormat])
)
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
)
def convert(result_file: Path, formats: tuple[str, ...], output_dir: Path) -> None:
    """Re-render a saved result (JSON) in other formats; formats can never disagree."""
    result = load_document(result_file, ScanResult, "ScanResult", RESULT_SCHEMA_VERSION)
    for path in write_reports(result, [OutputFormat(f) for f in formats], output_dir):
        click.echo(f"report: {path}")


def main() -> None:
    cli(prog_name="aks-auditor")
