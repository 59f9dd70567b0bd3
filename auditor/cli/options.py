"""Command-line options, grouped: each group's options are validated into one typed, frozen model
(auditor/config.py) that the command receives as a single argument. Nothing but this module and the
command modules reads click's values."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from auditor.cli.option_group import OptionGroup
from auditor.cli.settings import Given
from auditor.collectors.azure.settings import AzureSettings, Cloud
from auditor.config import (
    DEFAULT_OUTPUT_DIR,
    FleetHubSource,
    GateOptions,
    HubConfig,
    LiveOptions,
    PolicyOptions,
    RemediateOptions,
    ReportOptions,
    SourceOptions,
)
from auditor.findings import Severity
from auditor.release_calendar import DEFAULT_MAX_AGE_DAYS
from auditor.remediation.plan import PlanOptions
from auditor.reporters.interface import OutputFormat
from auditor.shard import Shard

FAIL_ON_CHOICES = [*(s.value for s in Severity), "none"]
FORMAT_CHOICES = [f.value for f in OutputFormat]
EXIT_CODES_HELP = """Exit codes: 0 clean; 1 failing findings at or above --fail-on; 2 usage, config, policy or
input error; 3 incomplete scan (anything not collected or not evaluated) — 3 wins over 1; 4 a report or
snapshot could not be written."""


def _path(**kwargs: Any) -> click.Path:
    return click.Path(path_type=Path, **kwargs)


def _source(values: Mapping[str, Any], given: Given) -> SourceOptions:
    """A source from a higher layer replaces the other one from a lower layer (``--demo`` over a file's
    ``source.inventory``); both from the same layer is the usual one-source error."""
    inventory, demo = values["inventory"], values["demo"]
    if demo and inventory is not None and given.rank("demo") != given.rank("inventory"):
        if given.rank("demo") > given.rank("inventory"):
            inventory = None
        else:
            demo = False
    return SourceOptions(inventory=inventory, demo=demo)


SOURCE = OptionGroup(
    "source",
    (
        click.Option(["--inventory"], type=_path(dir_okay=False), help="Estate snapshot (JSON) to scan."),
        click.Option(["--demo"], is_flag=True, help="Scan the embedded demo estate."),
    ),
    lambda v, given: _source(v, given),
)

POLICIES = OptionGroup(
    "policies",
    (
        click.Option(
            ["--policies", "policy_dirs"],
            multiple=True,
            type=_path(file_okay=False),
            help="Extra policy directory (repeatable); a policy with a built-in's id replaces it.",
        ),
        click.Option(
            ["--set", "sets"],
            multiple=True,
            metavar="ID.PARAM=VALUE",
            help="Set a policy parameter (repeatable).",
        ),
        click.Option(
            ["--enable"],
            multiple=True,
            metavar="ID",
            help="Enable a policy that is off by default (repeatable).",
        ),
        click.Option(["--disable"], multiple=True, metavar="ID", help="Disable a policy (repeatable)."),
        click.Option(
            ["--release-calendar", "calendar"],
            metavar="FILE|URL",
            help="AKS release calendar for end-of-support dates (default: the one in the package; the "
            "demo has its own). A file from 'aks-auditor calendar update' or an endoflife.date API v1 URL.",
        ),
        click.Option(
            ["--calendar-max-age-days"],
            type=int,
            default=DEFAULT_MAX_AGE_DAYS,
            show_default=True,
            help="A release calendar older than this at scan time is a coverage note in every report.",
        ),
    ),
    lambda v, given: _policies(v, given),
)


def _policies(values: Mapping[str, Any], given: Given) -> PolicyOptions:
    """Parameters merge per ``ID.param`` and enable/disable per policy id across the file and the layers
    above it (the upper one wins); every other option replaces the file's value. Values that came from
    the file keep its name and key path for error messages."""
    file_enable, top_enable = given.layers("enable", values["enable"])
    file_disable, top_disable = given.layers("disable", values["disable"])
    file_sets, top_sets = given.layers("sets", values["sets"])
    origins: dict[str, str] = {}
    if given.file is not None:
        for item in file_sets:
            key = str(item).partition("=")[0].strip()
            origins[f"set:{key}"] = f"{given.file}: policies.parameters.{key}"
        origins.update({f"enable:{i}": f"{given.file}: policies.enable: {i}" for i in file_enable})
        origins.update({f"disable:{i}": f"{given.file}: policies.disable: {i}" for i in file_disable})
    for item in top_sets:  # a flag's --set of the same key is the flag's
        origins.pop(f"set:{str(item).partition('=')[0].strip()}", None)
    return PolicyOptions(
        policy_dirs=values["policy_dirs"],
        sets=[*file_sets, *top_sets],
        enable=frozenset((set(file_enable) - set(top_disable)) | set(top_enable)),
        disable=frozenset((set(file_disable) - set(top_enable)) | set(top_disable)),
        calendar=values["calendar"],
        calendar_max_age_days=values["calendar_max_age_days"],
        origins=origins,
    )


def _output_dir() -> click.Option:
    return click.Option(
        ["--output-dir"],
        type=_path(file_okay=False),
        default=DEFAULT_OUTPUT_DIR,
        show_default=True,
        help="Report folder.",
    )


def _formats(help_text: str) -> click.Option:
    return click.Option(
        ["--format", "formats"], multiple=True, type=click.Choice(FORMAT_CHOICES), help=help_text
    )


REPORTS = OptionGroup(
    "reports",
    (
        _formats("Report format (repeatable). Default: html, json, sarif."),
        _output_dir(),
        click.Option(
            ["--report-tags", "tags"],
            multiple=True,
            metavar="NAMES",
            help="Tag names to show per cluster and fleet in the reports, e.g. env,owner (repeatable).",
        ),
    ),
    lambda v, _: ReportOptions(
        formats=tuple(OutputFormat(f) for f in v["formats"]),
        output_dir=v["output_dir"],
        tags=v.get("tags", ()),
    ),
)

#: ``convert``: the formats are required (there is nothing to default to re-rendering).
CONVERT_REPORTS = OptionGroup(
    "reports",
    (
        click.Option(
            ["--format", "formats"], multiple=True, required=True, type=click.Choice(FORMAT_CHOICES)
        ),
        _output_dir(),
    ),
    REPORTS.build,
)


#: ``merge RESULT…``: where the merged result's reports go (the default formats as ``scan``'s).
MERGE_REPORTS = OptionGroup(
    "reports",
    (
        _formats("Results: report format of the merged result (repeatable). Default: html, json, sarif."),
        _output_dir(),
    ),
    REPORTS.build,
)


def _allow_partial() -> click.Option:
    return click.Option(["--allow-partial"], is_flag=True, help="Coverage gaps alone do not exit 3.")


GATE = OptionGroup(
    "gate",
    (
        click.Option(
            ["--fail-on"],
            type=click.Choice(FAIL_ON_CHOICES),
            default="high",
            show_default=True,
            help="Exit 1 when a failing finding has this severity or higher ('none': never).",
        ),
        click.Option(
            ["--waivers"],
            type=_path(dir_okay=False),
            help="YAML file of accepted risks: matching failures become 'waived' until they expire.",
        ),
        click.Option(
            ["--max-waiver-days"],
            type=int,
            metavar="N",
            help="Refuse waivers that expire more than N days after the scan.",
        ),
        _allow_partial(),
        click.Option(
            ["--baseline"],
            metavar="RESULT.json|history:latest|history:ID",
            help="An earlier JSON result, or a scan of --history: mark each failure new or unchanged, "
            "list what got fixed.",
        ),
        click.Option(
            ["--history"],
            metavar="URL",
            help="Append this scan to a history store: a file (SQLite), sqlite:///PATH or postgresql://...",
        ),
        click.Option(
            ["--fail-on-new-only"],
            is_flag=True,
            help="With --baseline: exit 1 only for new failures at or above --fail-on (gaps and errors "
            "still exit 3).",
        ),
        click.Option(
            ["--baseline-any-scope"],
            is_flag=True,
            help="Accept a baseline that covers subscriptions this scan does not.",
        ),
    ),
    lambda v, _: GateOptions(
        fail_on=None if v["fail_on"] == "none" else Severity(v["fail_on"]),
        waivers=v["waivers"],
        max_waiver_days=v["max_waiver_days"],
        allow_partial=v["allow_partial"],
        baseline=v["baseline"],
        history=v["history"],
        fail_on_new_only=v["fail_on_new_only"],
        baseline_any_scope=v["baseline_any_scope"],
    ),
)


def _remediate(values: Mapping[str, Any], given: Given) -> RemediateOptions:
    only = tuple(dict.fromkeys(i.strip() for item in values["only"] for i in item.split(",") if i.strip()))
    plan = PlanOptions(
        only=only,
        max_hops=values["max_hops"],
        allow_preview=values["allow_preview"],
        allow_cost_changes=values["allow_cost_changes"],
        direct=values["direct"],
        stagger=values["stagger"],
    )
    flags = tuple(flag for flag in given.flags if flag != "--remediate")
    return RemediateOptions(
        enabled=values["remediate"], plan=plan, apply=values["apply"], yes=values["yes"], given=flags
    )


REMEDIATE = OptionGroup(
    "remediate",
    (
        click.Option(
            ["--remediate"],
            is_flag=True,
            help="Also plan fixes for the failing findings: remediation-plan.json beside the reports "
            "(nothing is changed in Azure).",
        ),
        click.Option(
            ["--only"],
            multiple=True,
            metavar="IDS",
            help="Plan fixes only for these policies (comma-separated, repeatable).",
        ),
        click.Option(
            ["--max-hops"],
            type=click.IntRange(1, 10),
            default=1,
            show_default=True,
            help="Minors a control plane may move in one plan (one step per minor).",
        ),
        click.Option(["--allow-preview"], is_flag=True, help="Plan upgrades to preview versions too."),
        click.Option(
            ["--allow-cost-changes"], is_flag=True, help="Plan fixes that change billing (the Premium tier)."
        ),
        click.Option(
            ["--direct"],
            is_flag=True,
            help="Upgrade fleet members directly instead of through their fleet's update run.",
        ),
        click.Option(
            ["--stagger"],
            is_flag=True,
            help="Spread new maintenance windows so a subscription's clusters do not share one.",
        ),
        click.Option(
            ["--apply"],
            is_flag=True,
            help="Live: apply the plan right after the scan (as remediate --apply, with its exit code).",
        ),
        click.Option(["--yes"], is_flag=True, help="With --apply: do not ask for confirmation."),
    ),
    _remediate,
)

ALLOW_PARTIAL = OptionGroup("allow_partial", (_allow_partial(),), lambda v, _: bool(v["allow_partial"]))

HUBS = OptionGroup(
    "hubs",
    (
        click.Option(
            ["--hub-kubeconfig"],
            type=_path(dir_okay=False),
            help="Kubeconfig of Fleet hub cluster(s) to read through the Kubernetes API.",
        ),
        click.Option(
            ["--hub-context", "hub_contexts"],
            multiple=True,
            metavar="NAME",
            help="Context in --hub-kubeconfig, one per hub (repeatable). Default: its current context.",
        ),
        click.Option(
            ["--fleet-hubs"],
            type=click.Choice([s.value for s in FleetHubSource]),
            help="Live: also read the hub of each fleet found, with a kubeconfig from Fleet listCredentials "
            "(held in memory only; exec/kubelogin users get an Entra ID token from the same credential).",
        ),
    ),
    lambda v, _: HubConfig(
        kubeconfig=v["hub_kubeconfig"],
        contexts=v["hub_contexts"],
        fleet_hubs=FleetHubSource(v["fleet_hubs"]) if v["fleet_hubs"] else None,
    ),
)


def _live(values: Mapping[str, Any], given: Given) -> LiveOptions:
    azure = AzureSettings(
        subscriptions=values["subscriptions"],
        management_groups=values["management_groups"],
        exclude_subscriptions=values["exclude_subscriptions"],
        tenant=values["tenant"],
        cloud=Cloud(values["cloud"]),
        arm_endpoint=values["arm_endpoint"] or None,
        arm_audience=values["arm_audience"],
        deep=values["deep"],
        workers=values["workers"],
    )
    return LiveOptions(azure=azure, verbose=values["verbose"], given=given.flags)


LIVE = OptionGroup(
    "live",
    (
        click.Option(
            ["--subscription", "subscriptions"],
            multiple=True,
            metavar="ID",
            help="Live: subscription to read (repeatable). Default: every one the identity can read.",
        ),
        click.Option(
            ["--management-group", "management_groups"],
            multiple=True,
            metavar="ID",
            help="Live: read the subscriptions under a management group (repeatable).",
        ),
        click.Option(
            ["--exclude-subscription", "exclude_subscriptions"],
            multiple=True,
            metavar="ID",
            help="Live: leave a subscription out (repeatable).",
        ),
        click.Option(["--tenant"], metavar="ID", help="Live: Entra tenant to authenticate in."),
        click.Option(
            ["--cloud"],
            type=click.Choice([c.value for c in Cloud]),
            default=Cloud.AZURE.value,
            show_default=True,
            help="Live: Azure cloud (ARM endpoint, token audience, authority).",
        ),
        click.Option(
            ["--arm-endpoint"],
            metavar="URL",
            envvar="AZURE_RESOURCE_MANAGER_ENDPOINT",
            help="Live: ARM endpoint instead of the cloud's (env AZURE_RESOURCE_MANAGER_ENDPOINT).",
        ),
        click.Option(["--arm-audience"], metavar="URL", help="Live: token audience. Default: the cloud's."),
        click.Option(
            ["--deep"], is_flag=True, help="Live: also read upgrade profiles (one call per node pool)."
        ),
        click.Option(
            ["--workers"],
            type=click.IntRange(1, 128),
            metavar="N",
            default=64,
            show_default=True,
            help="Live: concurrent Azure calls (per-cluster reads on N connections, the rest on N threads).",
        ),
        click.Option(
            ["--verbose", "-v"], is_flag=True, help="Live: log each Azure call (method, path, status, ms)."
        ),
    ),
    _live,
)


class ShardParam(click.ParamType[Shard]):
    """``I/N``: shard I of N (0-based); a bad value is click's one usage line (exit 2)."""

    name = "I/N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Shard:
        if isinstance(value, Shard):
            return value
        try:
            return Shard.parse(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def _shard(help_text: str) -> OptionGroup[Shard | None]:
    option = click.Option(["--shard"], type=ShardParam(), help=help_text)
    return OptionGroup("shard", (option,), lambda v, _: v["shard"])


SHARD = _shard(
    "Collect only shard I of N (0-based, e.g. $JOB_COMPLETION_INDEX/4): the subscriptions whose stable "
    "hash picks I, with their fleets; `merge --inventory` joins the shards."
)
SCAN_SHARD = _shard(
    "Judge only shard I of N of the estate (--inventory of a whole snapshot, or --demo): the resources "
    "of the subscriptions whose stable hash picks I, each with the whole estate as context; `merge "
    "RESULT…` joins the shards' JSON results into one scan's."
)


def _processes(help_text: str) -> OptionGroup[int | None]:
    option = click.Option(["--processes"], type=click.IntRange(1, 64), metavar="P", help=help_text)
    return OptionGroup("processes", (option,), lambda v, _: v["processes"])


PROCESSES = _processes(
    "Evaluate in P processes (this one and P-1 forked workers, each every P-th resource; default: the "
    "CPUs available, a container's CPU limit included, at most one per 2,000 resources). Given, a live "
    "scan also collects in P processes (shard i of P each)."
)
COLLECT_PROCESSES = _processes(
    "Collect in P processes: this one reads shard 0 of P, P-1 forked workers (each signing in on its "
    "own) the others; joined in memory as `merge --inventory` would. Default: 1."
)

QUIET = OptionGroup(
    "quiet",
    (click.Option(["--quiet", "-q"], is_flag=True, help="Print nothing but errors."),),
    lambda v, _: bool(v["quiet"]),
)
