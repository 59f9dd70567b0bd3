"""Load policy files and validate them in layers before any evaluation or API call.

1. structure: YAML parses, the pydantic model accepts it (unknown keys refused), id equals file stem;
2. expressions: every expression compiles for every resource kind the policy targets, every message
   template is well formed;
3. parameters: defaults and ``--set`` values have the declared types.

Every error names the file, the policy id and the field (and the column inside an expression).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.errors import ConfigError, PolicyError, describe_validation_error
from auditor.policies.model import ParamType, PolicySpec
from auditor.yaml_file import read_yaml


@dataclass(frozen=True)
class PolicySource:
    spec: PolicySpec
    path: Path
    builtin: bool


def _where(path: Path, policy_id: str | None, field_name: str | None) -> str:
    parts = [str(path)]
    if policy_id:
        parts.append(policy_id)
    if field_name:
        parts.append(field_name)
    return ": ".join(parts)


def load_policy_file(path: Path, *, builtin: bool = False) -> PolicySource:
    """Layer 1 for one file."""
    raw = read_yaml(path, PolicyError, what="policy file")
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: expected a mapping with id, title, check, ... got {type(raw).__name__}")
    policy_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        spec = PolicySpec.model_validate(raw)
    except ValidationError as error:
        raise PolicyError(_where(path, policy_id, None) + ": " + describe_validation_error(error)) from None
    if spec.id != path.stem:
        raise PolicyError(f"{path}: {spec.id}: id: must equal the file name {path.stem!r}")
    for name, parameter in spec.parameters.items():
        problem = param_type_problem(parameter.type, parameter.default) or parameter.bounds_problem(
            parameter.default
        )
        if problem:
            raise PolicyError(_where(path, spec.id, f"parameters.{name}.default") + f": {problem}")
    return PolicySource(spec, path, builtin)


#: ``ID.tests.yaml`` beside a policy holds more test cases for it; it is not a policy file.
TESTS_SUFFIX = ".tests"


def policy_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise ConfigError(f"{directory}: policy directory not found")
    return sorted(
        p
        for p in directory.rglob("*")
        if p.suffix in (".yaml", ".yml") and p.is_file() and not p.stem.endswith(TESTS_SUFFIX)
    )


def load_policy_dirs(builtin_dir: Path | None, extra_dirs: Sequence[Path]) -> list[PolicySource]:
    """Built-ins first; a policy in an extra directory with a built-in's id replaces it."""
    by_id: dict[str, PolicySource] = {}
    for directory, builtin in [
        *([(builtin_dir, True)] if builtin_dir else []),
        *((d, False) for d in extra_dirs),
    ]:
        seen_here: dict[str, Path] = {}
        for path in policy_files(directory):
            source = load_policy_file(path, builtin=builtin)
            if source.spec.id in seen_here:
                raise PolicyError(
                    f"{path}: {source.spec.id}: id: already defined in {seen_here[source.spec.id]}"
                )
            seen_here[source.spec.id] = path
            by_id[source.spec.id] = source
    return sorted(by_id.values(), key=lambda s: s.spec.id)


def param_type_problem(kind: ParamType, value: Any) -> str | None:
    ok = {
        ParamType.INT: isinstance(value, int) and not isinstance(value, bool),
        ParamType.NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        ParamType.STRING: isinstance(value, str),
        ParamType.BOOL: isinstance(value, bool),
        ParamType.LIST: isinstance(value, list) and all(isinstance(v, str | int | float) for v in value),
    }[kind]
    return None if ok else f"expected {kind.value}, got {type(value).__name__} {value!r}"


def parse_param_value(kind: ParamType, text: str) -> Any:
    """A ``--set`` value as the declared type (lists are comma-separated)."""
    try:
        if kind is ParamType.INT:
            return int(text)
        if kind is ParamType.NUMBER:
            return float(text)
        if kind is ParamType.BOOL:
            return {"true": True, "false": False}[text.lower()]
        if kind is ParamType.LIST:
            return [item.strip() for item in text.split(",") if item.strip()]
    except (ValueError, KeyError):
        raise ValueError(f"expected {kind.value}, got {text!r}") from None
    return text


@dataclass(frozen=True)
class Selection:
    """Command-line changes to the policy set: ``--set ID.param=value``, ``--enable``, ``--disable``."""

    sets: Mapping[str, str] = field(default_factory=dict)
    enable: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    #: ``set:ID.param`` / ``enable:ID`` / ``disable:ID`` -> how an error names a value that did not come
    #: from a flag (``FILE: key.path``).
    origins: Mapping[str, str] = field(default_factory=dict)

    def where(self, kind: str, key: str, shown: str) -> str:
        return self.origins.get(f"{kind}:{key}", shown)


@dataclass(frozen=True)
class ConfiguredPolicy:
    source: PolicySource
    params: dict[str, Any]
    #: ``--set ID.remediation.KEY=VALUE``: the policy's remediation args with these replaced.
    remediation_args: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> PolicySpec:
        return self.source.spec


def configure(sources: Iterable[PolicySource], selection: Selection) -> list[ConfiguredPolicy]:
    """Apply enable/disable and parameter overrides; unknown ids or parameters are config errors."""
    sources = list(sources)
    known = {s.spec.id: s for s in sources}
    for flag, ids in (("--enable", selection.enable), ("--disable", selection.disable)):
        for policy_id in sorted(ids):
            if policy_id not in known:
                where = selection.where(flag.removeprefix("--"), policy_id, f"{flag} {policy_id}")
                raise ConfigError(f"{where}: no such policy (see `aks-auditor policies list`)")
    overrides: dict[str, dict[str, Any]] = {}
    remediation: dict[str, dict[str, Any]] = {}
    for key, text in selection.sets.items():
        where = selection.where("set", key, f"--set {key}={text}")
        policy_id, dot, param = key.partition(".")
        if not dot or not param:
            raise ConfigError(f"{where}: expected POLICY_ID.parameter=value")
        if policy_id not in known:
            raise ConfigError(f"{where}: no such policy {policy_id!r}")
        if param.startswith("remediation."):
            remediation.setdefault(policy_id, {})[param.removeprefix("remediation.")] = _remediation_arg(
                known[policy_id].spec, key, text, where
            )
            continue
        declared = known[policy_id].spec.parameters.get(param)
        if declared is None:
            names = ", ".join(sorted(known[policy_id].spec.parameters)) or "none"
            raise ConfigError(f"{where}: policy {policy_id} has no parameter {param!r} (parameters: {names})")
        try:
            value = parse_param_value(declared.type, text)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None
        problem = declared.bounds_problem(value)
        if problem:
            raise ConfigError(f"{where}: {problem}")
        overrides.setdefault(policy_id, {})[param] = value
    configured = []
    for source in sources:
        spec = source.spec
        enabled = (spec.enabled or spec.id in selection.enable) and spec.id not in selection.disable
        if not enabled:
            continue
        params = {name: p.default for name, p in spec.parameters.items()}
        params.update(overrides.get(spec.id, {}))
        configured.append(ConfiguredPolicy(source, params, remediation.get(spec.id, {})))
    return configured


def _remediation_arg(spec: PolicySpec, key: str, text: str, where: str) -> Any:
    """A ``--set ID.remediation.ARG=VALUE`` value, typed like the arg it replaces (YAML scalar rules)."""
    arg = key.split(".", 2)[2]
    args = spec.remediation.args if spec.remediation else {}
    if arg not in args:
        names = ", ".join(sorted(args)) or "none"
        raise ConfigError(f"{where}: policy {spec.id} has no remediation arg {arg!r} (args: {names})")
    value = yaml.safe_load(text) if text.strip() else text
    default = args[arg]
    if type(value) is not type(default) and not (
        isinstance(default, str) and isinstance(value, int | float | bool)
    ):
        raise ConfigError(f"{where}: expected a {type(default).__name__} like {default!r}")
    return str(value) if isinstance(default, str) else value
