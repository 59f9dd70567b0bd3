"""Findings between processes (auditor/policies/finding_wire.py): exactly the evaluator's, held as compactly
as the evaluator held them, and anything that is not such a message refused with a ValueError."""

from __future__ import annotations

import marshal
from datetime import date

import pytest

from auditor.findings import Finding, Status, WaiverNote
from auditor.policies.finding_wire import pack, unpack

from .test_evaluator import (
    assert_as_validated,
    assert_equal_evidence_is_one_map,
    assert_values_share_keys,
    every_kind_of_finding,
)


def test_the_findings_arrive_exactly_as_sent() -> None:
    sent = every_kind_of_finding()
    message = pack(sent)
    assert message[:1] == b"M"  # the compact rows, not the JSON fallback
    arrived = unpack(message)
    assert arrived == list(sent)
    assert [f.model_dump_json() for f in arrived] == [f.model_dump_json() for f in sent]
    assert_as_validated(arrived)


def test_what_the_findings_share_arrives_once() -> None:
    """A policy's title, remediation and escalation are one object in every finding of it, and equal
    evidence strings one string, as in the evaluator's own findings (JSON validated again held each
    separately: 2,466 against ~1,060 B a finding)."""
    arrived = unpack(pack(every_kind_of_finding()))
    for field in ("title", "remediation", "escalation"):
        values = [getattr(f, field) for f in arrived if getattr(f, field) is not None]
        assert len(values) > 50
        assert len({id(value) for value in values}) == len({repr(value) for value in values}), field
    strings = [v for f in arrived for v in f.evidence.values() if type(v) is str]
    assert len(strings) > 1_000
    assert len({id(s) for s in strings}) == len(set(strings))
    assert all(f.__pydantic_fields_set__ is arrived[0].__pydantic_fields_set__ for f in arrived)
    assert_equal_evidence_is_one_map(arrived)  # the evaluator's shared maps, sent once
    assert_values_share_keys(arrived)


def test_evidence_the_rows_cannot_carry_travels_as_validated_json() -> None:
    """Never produced by the evaluator (its evidence is JSON data), but never lost either."""
    first = every_kind_of_finding()[0]
    odd = Finding.trusted(first.__dict__ | {"evidence": {"status": Status.FAIL, "when": [1, 2.5, None]}})
    message = pack([odd, first])
    assert message[:1] == b"J"
    assert unpack(message) == [odd, first]


def test_a_finding_with_a_waiver_is_not_sent() -> None:
    """Waivers, baselines and history apply in the scanning process, after the findings arrive."""
    waived = every_kind_of_finding()[0].model_copy(
        update={"waiver": WaiverNote(reason="r", expires=date(2027, 1, 1))}
    )
    with pytest.raises(ValueError, match="before waivers and baselines apply"):
        pack([waived])


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"X" + marshal.dumps(("[]", "[]", [])),
        b"M",
        b"M" + marshal.dumps(("[]", "[]", [("AKS-001", "too short")])),
        b"M"
        + marshal.dumps(
            (
                "[]",
                "[]",
                [("p", "t", "bad", "fail", "cluster", "i", "n") + (None,) * 3 + ("m", {}, "f", None, None)],
            )
        ),
        b"M"
        + marshal.dumps(
            (
                "[]",
                "[]",
                [("p", "t", "high", "fail", "cluster", "i", "n") + (None,) * 3 + ("m", {}, "f", 0, None)],
            )
        ),
        b"M" + marshal.dumps(('[{"nope": 1}]', "[]", [])),
        b"J" + b'[{"policyId": "AKS-001"}]',
    ],
    ids=[
        "empty",
        "foreign",
        "truncated",
        "short-row",
        "bad-severity",
        "missing-remediation",
        "bad-remediation",
        "bad-json",
    ],
)
def test_what_is_not_a_findings_message_is_a_value_error(message: bytes) -> None:
    with pytest.raises(ValueError):
        unpack(message)
