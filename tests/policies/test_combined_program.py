"""The combined program (one engine call per finding) must give exactly what the step-by-step path gives."""

from __future__ import annotations

import dataclasses
from datetime import UTC

import pytest

from auditor.inventory import Estate
from auditor.policies.documents import Gap, iter_documents
from auditor.policies.evaluator import Evaluator, evaluate_policy
from auditor.policies.loader import ConfiguredPolicy, PolicySource, load_policy_dirs
from auditor.policies.model import PolicyTest
from auditor.policies.testing import DEFAULT_TEST_NOW
from auditor.resources import builtin_policies_dir

SOURCES = load_policy_dirs(builtin_policies_dir(), [])
CASES = [(source, case) for source in SOURCES for case in source.spec.tests]


@pytest.mark.parametrize(("source", "case"), CASES, ids=[f"{s.spec.id}:{c.name}" for s, c in CASES])
def test_combined_and_stepwise_agree(source: PolicySource, case: PolicyTest) -> None:
    params = {name: p.default for name, p in source.spec.parameters.items()} | case.params
    now = (case.now or DEFAULT_TEST_NOW).replace(tzinfo=(case.now or DEFAULT_TEST_NOW).tzinfo or UTC)
    evaluator = Evaluator([ConfiguredPolicy(source, params)], now)
    estate = Estate.model_validate({"collectedAt": now.isoformat(), "source": "t", **case.estate})
    compared = 0
    for view in iter_documents(estate):
        if isinstance(view, Gap):
            continue
        for policy in evaluator.by_kind.get(view.kind, []):
            assert policy.combined is not None, f"{source.spec.id}: the combined program did not compile"
            stepwise = dataclasses.replace(policy, combined=None)
            activation = evaluator.environments[view.kind].activation(view.document)
            fast = evaluate_policy(policy, view, activation)
            slow = evaluate_policy(stepwise, view, activation)
            assert fast == slow, (
                f"{view.id}: combined {fast.status}/{fast.message} != stepwise {slow.status}/{slow.message}"
            )
            compared += 1
    assert compared or all(status.value == "error" for status in case.expect.values())
