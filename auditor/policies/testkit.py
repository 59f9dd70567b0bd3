"""``aks-auditor policies test``: run policies' test cases, explain mismatches, measure what they reach.

A case passes when every resource it names gets exactly the expected verdict. Coverage is per policy:
which outcomes its cases reach (pass, fail, error, skipped, and each escalation rule), against the
outcomes that apply to it: pass and fail always, ``error`` when it declares ``requires``, ``skipped``
when it has a ``when``, every ``escalate`` rule.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import ConfigError
from auditor.findings import Status
from auditor.policies.loader import PolicySource, load_policy_dirs, load_policy_file
from auditor.policies.testing import CaseResult, Mismatch, policy_cases, run_case


def load_targets(paths: Sequence[Path]) -> list[PolicySource]:
    """Policy files named directly, and every policy file under the directories named."""
    sources: dict[str, PolicySource] = {}
    for path in paths:
        if path.is_dir():
            found = load_policy_dirs(None, [path])
        elif path.is_file():
            found = [load_policy_file(path)]
        else:
            raise ConfigError(f"{path}: no such policy file or directory")
        for source in found:
            sources[source.spec.id] = source
    return sorted(sources.values(), key=lambda s: s.spec.id)


@dataclass(frozen=True)
class PolicyRun:
    source: PolicySource
    cases: tuple[CaseResult, ...]

    @property
    def reached(self) -> set[str]:
        outcomes = {
            f.status.value for case in self.cases for f in case.findings if f.policy_id == self.source.spec.id
        }
        escalations = {
            f"escalate[{index}]"
            for case in self.cases
            for f in case.findings
            for index, rule in enumerate(self.source.spec.escalate)
            if f.escalation is not None and f.escalation.note == rule.note
        }
        return outcomes | escalations

    @property
    def applicable(self) -> set[str]:
        spec = self.source.spec
        wanted = {Status.PASS.value, Status.FAIL.value}
        if spec.requires:
            wanted.add(Status.ERROR.value)
        if spec.when:
            wanted.add(Status.SKIPPED.value)
        wanted |= {f"escalate[{index}]" for index in range(len(spec.escalate))}
        return wanted

    @property
    def missing(self) -> list[str]:
        return sorted(self.applicable - self.reached)


def run_tests(sources: Iterable[PolicySource], name_filter: str | None = None) -> list[PolicyRun]:
    runs = []
    for source in sources:
        cases = [
            case
            for case in policy_cases(source)
            if not name_filter or name_filter.lower() in f"{source.spec.id} {case.name}".lower()
        ]
        if cases:
            runs.append(PolicyRun(source, tuple(run_case(source, case) for case in cases)))
    return runs


def case_lines(result: CaseResult) -> list[str]:
    """``PASS AKS-008 stale linux image``, and for a failure the diff, one resource at a time."""
    lines = [f"{'PASS' if result.ok else 'FAIL'} {result.policy_id} {result.case}"]
    for mismatch in result.mismatches:
        lines.extend(_diff(mismatch))
    return lines


def _diff(mismatch: Mismatch) -> list[str]:
    lines = [f"    {mismatch.key}:", f"      expected: {mismatch.expected.value}"]
    if mismatch.got is None:
        lines.append(f"      got:      {mismatch.found} findings (a case names a resource with one finding)")
        return lines
    got = mismatch.got
    lines.append(f"      got:      {got.status.value}")
    lines.append(f"      message:  {got.message}")
    if got.evidence:
        lines.append(f"      evidence: {json.dumps(got.evidence, sort_keys=True, default=str)}")
    return lines


def coverage_lines(runs: Iterable[PolicyRun]) -> list[str]:
    lines = []
    for run in runs:
        reached = ", ".join(sorted(run.reached & run.applicable)) or "nothing"
        missing = f"; missing: {', '.join(run.missing)}" if run.missing else ""
        lines.append(f"COVERAGE {run.source.spec.id}: {reached}{missing}")
    return lines


def junit(runs: Sequence[PolicyRun]) -> bytes:
    """One suite per policy, one case per test case (ElementTree; failures carry the diff)."""
    root = ET.Element("testsuites", {"name": "aks-auditor policies test"})
    for run in runs:
        failures = sum(not case.ok for case in run.cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": run.source.spec.id,
                "tests": str(len(run.cases)),
                "failures": str(failures),
                "errors": "0",
            },
        )
        for case in run.cases:
            element = ET.SubElement(suite, "testcase", {"classname": run.source.spec.id, "name": case.case})
            if not case.ok:
                failure = ET.SubElement(element, "failure", {"message": "; ".join(case.problems)})
                failure.text = "\n".join(case_lines(case)[1:])
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
