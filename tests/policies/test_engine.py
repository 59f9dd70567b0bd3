"""The engine adapter (auditor/policies/engine.py) around cel-expr-python's conversions of values."""

from __future__ import annotations

import gc
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from auditor.policies.engine import Environment, EvalFailure

NOW = datetime(2026, 12, 6, tzinfo=UTC)
DOCUMENT = {"a": None, "b": [None, 1, {"c": None}], "d": {"e": None, "f": "x"}}


def environment() -> Environment:
    return Environment(["cluster"], NOW)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("null", None),
        ("cluster.a", None),
        ("[null, 1, [null]]", [None, 1, [None]]),
        ('{"k": null, "m": {"n": null}}', {"k": None, "m": {"n": None}}),
        ("cluster", DOCUMENT),
        ("cluster.d", {"e": None, "f": "x"}),
    ],
)
def test_nulls_convert_without_taking_a_reference_from_none(source: str, expected: object) -> None:
    """cel-expr-python 0.1.3 hands over None without counting the reference for each null it converts:
    unanswered, every one takes one from None's count, and Python aborts when it reaches zero."""
    env = environment()
    program = env.compile(source)
    activation = env.activation({"cluster": DOCUMENT})
    assert program.evaluate(activation) == expected
    for _ in range(100):  # warm up whatever the engine caches
        program.evaluate(activation)
    gc.collect()
    before = sys.getrefcount(None)
    for _ in range(3000):
        program.evaluate(activation)
    gc.collect()
    assert abs(sys.getrefcount(None) - before) < 50  # 3,000 to 15,000 short without the answer


def test_a_null_where_a_boolean_is_expected_is_a_failure_naming_it() -> None:
    env = environment()
    outcome = env.compile("cluster.a").evaluate_bool(env.activation({"cluster": DOCUMENT}))
    assert isinstance(outcome, EvalFailure)
    assert outcome.reason.startswith("expected true or false, got null")
    assert outcome.reason.endswith(" None")


def test_many_nulls_converted_leave_the_interpreter_whole() -> None:
    """The symptom itself, in a fresh interpreter (few references to None there): before the answer it
    aborted ("Fatal Python error: none_dealloc", exit 134) within the loop."""
    code = (
        "from datetime import datetime, UTC\n"
        "from auditor.policies.engine import Environment\n"
        "env = Environment(['cluster'], datetime.now(UTC))\n"
        "program = env.compile('[cluster.a, null, {\"k\": null}]')\n"
        "activation = env.activation({'cluster': {'a': None}})\n"
        "for _ in range(100_000):\n"
        "    program.evaluate(activation)\n"
        "print('whole')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "whole"), done.stderr[-500:]
