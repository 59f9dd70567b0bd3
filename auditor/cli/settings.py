"""Where an option's value comes from: the built-in default < ``aks-auditor.yaml`` < the environment
(``AKS_AUDITOR_<FLAG>``) < the command line. Click already ranks its own sources that way (default,
``default_map``, ``envvar``, command line); this module feeds it: one table maps each file key to its
flag and environment variable, and an eager ``--config`` option loads the file into the command's
``default_map`` before any other option is read.

Lists replace the layer below, except policy parameters (merged per ``ID.param``) and enable/disable
(merged per policy id, the upper layer winning), which is what a one-off ``--set`` or ``--disable`` on top
of a team's file is expected to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from auditor.config_file import CONFIG_FILE_NAME, ConfigFile, load_config_file, param_text

ENV_PREFIX = "AKS_AUDITOR_"
CONFIG_ENV = f"{ENV_PREFIX}CONFIG"
_META = "aks_auditor.config"


@dataclass(frozen=True)
class Key:
    """A configuration key: its path in the file and the flag it stands for."""

    path: str
    flag: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.flag.lstrip("-").upper().replace("-", "_")


KEYS: tuple[Key, ...] = tuple(
    Key(path, flag)
    for path, flag in (
        ("source.inventory", "--inventory"),
        ("source.demo", "--demo"),
        ("scope.subscriptions", "--subscription"),
        ("scope.managementGroups", "--management-group"),
        ("scope.excludeSubscriptions", "--exclude-subscription"),
        ("scope.tenant", "--tenant"),
        ("scope.cloud", "--cloud"),
        ("scope.armEndpoint", "--arm-endpoint"),
        ("scope.armAudience", "--arm-audience"),
        ("collection.deep", "--deep"),
        ("collection.workers", "--workers"),
        ("collection.processes", "--processes"),
        ("hubs.kubeconfig", "--hub-kubeconfig"),
        ("hubs.contexts", "--hub-context"),
        ("hubs.fleetHubs", "--fleet-hubs"),
        ("policies.directories", "--policies"),
        ("policies.enable", "--enable"),
        ("policies.disable", "--disable"),
        ("policies.parameters", "--set"),
        ("policies.releaseCalendar", "--release-calendar"),
        ("policies.calendarMaxAgeDays", "--calendar-max-age-days"),
        ("waivers.file", "--waivers"),
        ("waivers.maxDays", "--max-waiver-days"),
        ("outputs.dir", "--output-dir"),
        ("outputs.formats", "--format"),
        ("outputs.tags", "--report-tags"),
        ("gate.failOn", "--fail-on"),
        ("gate.newOnly", "--fail-on-new-only"),
        ("gate.allowPartial", "--allow-partial"),
        ("baseline.source", "--baseline"),
        ("baseline.anyScope", "--baseline-any-scope"),
        ("history.url", "--history"),
    )
)
_BY_FLAG = {key.flag: key for key in KEYS}


@dataclass(frozen=True)
class LoadedConfig:
    """The file a command read: its path, whether it was found rather than named, its values by key."""

    path: Path
    discovered: bool
    values: Mapping[str, Any]


def _local(base: Path, text: str | Path) -> str:
    path = Path(text).expanduser()
    return str(path if path.is_absolute() else base / path)


def file_values(config: ConfigFile, base: Path) -> dict[str, Any]:
    """The file's values by key path, as click would take them from the command line (paths made
    relative to ``base``, the file's folder)."""
    values: dict[str, Any] = {}
    sections = config.model_dump(by_alias=True, exclude_none=True, exclude={"version"})
    for section, keys in sections.items():
        for name, value in keys.items():
            values[f"{section}.{name}"] = value
    for key in ("source.inventory", "hubs.kubeconfig", "waivers.file", "outputs.dir"):
        if key in values:
            values[key] = _local(base, values[key])
    if "policies.directories" in values:
        values["policies.directories"] = [_local(base, p) for p in values["policies.directories"]]
    for key, keep in (
        ("baseline.source", ("history:",)),
        ("policies.releaseCalendar", ("http://", "https://")),
        ("history.url", ()),
    ):
        text = values.get(key)
        if text is not None and not text.startswith(keep) and "://" not in text:
            values[key] = _local(base, text)
    if "policies.parameters" in values:
        values["policies.parameters"] = [
            f"{policy}.{name}={param_text(value)}"
            for policy, params in values["policies.parameters"].items()
            for name, value in params.items()
        ]
    for key in ("scope.cloud", "hubs.fleetHubs", "gate.failOn"):
        if key in values:
            values[key] = str(values[key])
    if "outputs.formats" in values:
        values["outputs.formats"] = [str(f) for f in values["outputs.formats"]]
    return values


def _options(command: click.Command) -> Iterator[tuple[click.Option, Key]]:
    for param in command.params:
        if isinstance(param, click.Option):
            key = next((_BY_FLAG[flag] for flag in param.opts if flag in _BY_FLAG), None)
            if key is not None:
                yield param, key


def key_of(command: click.Command, name: str) -> Key | None:
    return next((key for option, key in _options(command) if option.name == name), None)


def _load(context: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    path, discovered = value, False
    if path is None and Path(CONFIG_FILE_NAME).is_file():
        path, discovered = Path(CONFIG_FILE_NAME), True
    if path is None:
        return None
    values = file_values(load_config_file(path), path.parent)
    defaults = {
        option.name: values[key.path]
        for option, key in _options(context.command)
        if option.name and key.path in values
    }
    context.default_map = {**(context.default_map or {}), **defaults}
    context.meta[_META] = LoadedConfig(path, discovered, values)
    return path


def configurable(command: click.Command) -> click.Command:
    """Give ``command`` the ``--config`` option and an ``AKS_AUDITOR_<FLAG>`` variable for each of its
    options that has a file key (an existing variable, like AZURE_RESOURCE_MANAGER_ENDPOINT, stays as a
    fallback)."""
    for option, key in _options(command):
        existing = [option.envvar] if isinstance(option.envvar, str) else list(option.envvar or ())
        option.envvar = [key.env, *(name for name in existing if name != key.env)]
    command.params.insert(
        0,
        click.Option(
            ["--config"],
            type=click.Path(path_type=Path, dir_okay=False),
            envvar=CONFIG_ENV,
            is_eager=True,
            expose_value=False,
            callback=_load,
            help=f"Settings file (default: ./{CONFIG_FILE_NAME} if present; env {CONFIG_ENV}). Each option "
            f"below with a file key also reads {ENV_PREFIX}<FLAG>, e.g. {ENV_PREFIX}FAIL_ON. Precedence: "
            "file < environment < flags; 'aks-auditor config show' prints where each value came from.",
        ),
    )
    return command


def loaded(context: click.Context) -> LoadedConfig | None:
    value = context.meta.get(_META)
    return value if isinstance(value, LoadedConfig) else None


#: Sources above the file: a value from one of them replaces (or, for merged keys, joins) the file's.
ABOVE_FILE = (ParameterSource.ENVIRONMENT, ParameterSource.COMMANDLINE, ParameterSource.PROMPT)
_RANK = {
    ParameterSource.DEFAULT: 0,
    ParameterSource.DEFAULT_MAP: 1,
    ParameterSource.ENVIRONMENT: 2,
    ParameterSource.COMMANDLINE: 3,
    ParameterSource.PROMPT: 3,
}


@dataclass(frozen=True)
class Given:
    """What an option group knows besides the values: the flags typed on the command line (in
    declaration order), each option's source, and the config file's layer."""

    flags: tuple[str, ...] = ()
    sources: Mapping[str, ParameterSource | None] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: The config file read, if any (error messages name it with the key path).
    file: Path | None = None

    def rank(self, name: str) -> int:
        source = self.sources.get(name)
        return _RANK.get(source, 0) if source is not None else 0

    def layers(self, name: str, value: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """``(file's, above the file's)`` values of a merged option."""
        lower = tuple(self.defaults.get(name) or ())
        upper = tuple(value or ()) if self.sources.get(name) in ABOVE_FILE else ()
        return lower, upper


def given_from(context: click.Context, names: list[str], flags: tuple[str, ...]) -> Given:
    config = loaded(context)
    return Given(
        flags=flags,
        sources={name: context.get_parameter_source(name) for name in names},
        defaults=dict(context.default_map or {}),
        file=config.path if config else None,
    )


def origin(context: click.Context, option: click.Option) -> str:
    """Where ``option``'s value in ``context`` came from: ``flag --x``, ``env NAME``, ``FILE: key`` or
    ``default``."""
    source = context.get_parameter_source(option.name) if option.name else None
    if source is ParameterSource.COMMANDLINE:
        return f"flag {option.opts[0]}"
    if source is ParameterSource.ENVIRONMENT:
        names = [option.envvar] if isinstance(option.envvar, str) else list(option.envvar or ())
        return "env " + next((name for name in names if name in os.environ), names[0] if names else "?")
    config = loaded(context)
    key = key_of(context.command, option.name or "")
    if source is ParameterSource.DEFAULT_MAP and config is not None and key is not None:
        return f"{config.path}: {key.path}"
    return "default"


def origins_named(context: click.Context, options: tuple[click.Option, ...], message: str) -> list[str]:
    """``--flag from ORIGIN`` for each option ``message`` names whose value was not typed as a flag."""
    named = []
    for option in options:
        if option.name and re.search(rf"{re.escape(option.opts[0])}(?![\w-])", message):
            where = origin(context, option)
            if not where.startswith(("flag ", "default")):
                named.append(f"{option.opts[0]} from {where}")
    return named


__all__ = ["KEYS", "ConfigFile", "Given", "Key", "LoadedConfig", "configurable", "file_values", "loaded"]
