"""Compile a configured policy for one resource kind: every expression, template and the fast path.

Besides one program per field (used for precise error reasons), each policy gets a *combined* program:
one CEL expression that evaluates ``when``, ``requires``, ``check``, ``evidence`` and ``escalate`` in a
single call with the ``let`` bindings computed once. The evaluator runs it first and falls back to the
per-field programs only when it yields an error, so the common case costs one engine call per finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auditor.errors import PolicyError
from auditor.findings import Escalation, PolicyRef, Remediation, Severity
from auditor.policies.engine import Environment, ExpressionError, LetError, Program, cel_literal
from auditor.policies.fields import unknown_field
from auditor.policies.loader import ConfiguredPolicy
from auditor.policies.model import PolicySpec, ResourceKind
from auditor.policies.template import Template, TemplateError


@dataclass(frozen=True)
class _Requirement:
    program: Program
    reason: Template


@dataclass(frozen=True)
class CompiledEscalation:
    program: Program
    severity: Severity
    note: str
    #: What a finding it raises carries: one object for all of them.
    finding: Escalation


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy compiled for one resource kind."""

    spec: PolicySpec
    params: dict[str, Any]
    ref: PolicyRef
    when: Program | None
    requires: tuple[_Requirement, ...]
    check: Program
    evidence: tuple[tuple[str, Program], ...]
    escalate: tuple[CompiledEscalation, ...]
    message: Template
    pass_message: Template | None
    skip_message: Template | None
    remediation: Remediation | None
    combined: Program | None


def policy_ref(configured: ConfiguredPolicy) -> PolicyRef:
    spec = configured.spec
    return PolicyRef(
        id=spec.id,
        name=spec.name,
        title=spec.title,
        severity=spec.severity,
        resource=tuple(spec.resource),
        description=spec.description,
        rationale=spec.rationale,
        help_uri=spec.help_uri,
        tags=spec.tags,
        parameters=configured.params,
        source=str(configured.source.path),
    )


def caret(source: str, line: int | None, column: int | None) -> str | None:
    """The expression line with a caret under the column, for the hint below an error line."""
    lines = source.splitlines()
    if line is None or column is None or not 1 <= line <= len(lines):
        return None
    text = lines[line - 1]
    return f"{text}\n{' ' * (column - 1)}^"


def compile_policy(configured: ConfiguredPolicy, env: Environment, kind: ResourceKind) -> CompiledPolicy:
    spec, path = configured.spec, configured.source.path
    roots = frozenset({*env.variables, "params", "evidence", "now"})

    suffix = f" (resource kind {kind.value})" if len(spec.resource) > 1 else ""
    lets = tuple(spec.let.items())

    def known_fields(field: str, source: str) -> None:
        unknown = unknown_field(source, tuple(spec.resource), frozenset(env.variables))
        if unknown is not None:
            message, line, column = unknown
            raise PolicyError(
                f"{path}: {spec.id}: {field}: line {line}, column {column}: {message}",
                hint=caret(source, line, column),
            )

    for name, source in lets:
        known_fields(f"let.{name}", source)
    try:
        env.compile_lets(configured.params, lets)
    except LetError as error:
        raise PolicyError(f"{path}: {spec.id}: let.{lets[error.index][0]}: {error.error}{suffix}") from None

    def expr(field: str, source: str) -> Program:
        known_fields(field, source)
        try:
            return env.compile(source, configured.params, lets)
        except ExpressionError as error:
            raise PolicyError(
                f"{path}: {spec.id}: {field}: {error}{suffix}", hint=caret(source, error.line, error.column)
            ) from None

    def template(field: str, source: str) -> Template:
        try:
            return Template(source, roots)
        except TemplateError as error:
            raise PolicyError(f"{path}: {spec.id}: {field}: {error}") from None

    remediation = None
    if spec.remediation is not None:
        remediation = Remediation(
            action=spec.remediation.action,
            args={**spec.remediation.args, **configured.remediation_args},
            guidance=spec.remediation.guidance,
        )
    return CompiledPolicy(
        spec=spec,
        params=configured.params,
        ref=policy_ref(configured),
        when=expr("when", spec.when) if spec.when else None,
        requires=tuple(
            _Requirement(expr(f"requires[{i}].expr", r.expr), template(f"requires[{i}].reason", r.reason))
            for i, r in enumerate(spec.requires)
        ),
        check=expr("check", spec.check),
        evidence=tuple((name, expr(f"evidence.{name}", source)) for name, source in spec.evidence.items()),
        escalate=tuple(
            CompiledEscalation(
                expr(f"escalate[{i}].when", e.when),
                e.severity,
                e.note,
                Escalation(from_=spec.severity, note=e.note),
            )
            for i, e in enumerate(spec.escalate)
        ),
        message=template("message", spec.message),
        pass_message=template("passMessage", spec.pass_message) if spec.pass_message else None,
        skip_message=template("skipMessage", spec.skip_message) if spec.skip_message else None,
        remediation=remediation,
        combined=_combined(spec, env, configured.params, lets),
    )


def combined_source(spec: PolicySpec) -> str:
    """The whole policy as one expression: ``{s: status, i: requirement, e: evidence, x: escalations}``."""
    evidence = ", ".join(f"{cel_literal(name)}: ({source})" for name, source in spec.evidence.items())
    escalations = " + ".join(f"(({e.when}) ? [{i}] : [])" for i, e in enumerate(spec.escalate)) or "[]"
    source = (
        f"cel.bind(__ok, ({spec.check}), dyn({{'s': __ok ? 'pass' : 'fail', 'e': {{{evidence}}}, "
        f"'x': __ok ? [] : {escalations}}}))"
    )
    for index in reversed(range(len(spec.requires))):
        source = f"!({spec.requires[index].expr}) ? dyn({{'s': 'requires', 'i': {index}}}) : ({source})"
    if spec.when:
        source = f"!({spec.when}) ? dyn({{'s': 'skipped'}}) : ({source})"
    return source


def _combined(
    spec: PolicySpec, env: Environment, params: dict[str, Any], lets: tuple[tuple[str, str], ...]
) -> Program | None:
    try:
        return env.compile(combined_source(spec), params, lets)
    except ExpressionError:
        return None  # the per-field programs compiled, so evaluation still works, only slower
