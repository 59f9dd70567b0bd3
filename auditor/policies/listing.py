"""What ``aks-auditor policies list|show|validate`` report about policy files (the CLI only prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.errors import ConfigError, PolicyError
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import PolicySource, Selection, configure, load_policy_dirs
from auditor.policies.testing import policy_cases, run_policy_tests
from auditor.resources import builtin_policies_dir


def available_policies(extra_dirs: Sequence[Path] = ()) -> list[PolicySource]:
    """The built-in policies, then the extra directories' (an extra one with a built-in's id replaces it)."""
    return load_policy_dirs(builtin_policies_dir(), list(extra_dirs))


def summary_line(source: PolicySource) -> str:
    """``AKS-001    high     on  cluster   Control plane runs …`` (one policy of ``policies list``)."""
    spec = source.spec
    state = "on " if spec.enabled else "off"
    kinds = ",".join(kind.value for kind in spec.resource)
    return f"{spec.id:<10} {spec.severity.value:<8} {state} {kinds:<30} {spec.title}"


def policy_document(sources: Sequence[PolicySource], policy_id: str) -> dict[str, Any]:
    """One policy as ``policies show`` prints it: metadata, parameters, expressions, source file."""
    for source in sources:
        if source.spec.id == policy_id:
            spec = source.spec
            document = spec.model_dump(mode="json", by_alias=True, exclude={"tests"}, exclude_none=True)
            document["source"] = str(source.path)
            document["testCases"] = len(spec.tests)
            return document
    raise ConfigError(f"no such policy {policy_id!r} (see `aks-auditor policies list`)")


@dataclass(frozen=True)
class ValidationSummary:
    policies: int
    cases: int


def validate_policy_dirs(directories: Sequence[Path]) -> ValidationSummary:
    """Every layer of validation for the policies in ``directories`` (structure, every expression for
    every resource kind, parameters), then their own test cases; the first problem is a PolicyError
    naming file, policy, case and what differed (with how many more there are)."""
    sources = load_policy_dirs(None, list(directories))
    configured = configure(sources, Selection(enable=frozenset(s.spec.id for s in sources)))
    Evaluator(configured, datetime.now(UTC))  # compiles every expression for every resource kind
    failures = []
    for source in sources:
        if not policy_cases(source):
            failures.append(f"{source.path}: {source.spec.id}: tests: no test cases (each policy needs some)")
        for case in run_policy_tests(source):
            failures.extend(
                f"{source.path}: {case.policy_id}: tests[{case.case}]: {p}" for p in case.problems
            )
    if failures:
        raise PolicyError(failures[0] + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""))
    return ValidationSummary(len(sources), sum(len(policy_cases(s)) for s in sources))
