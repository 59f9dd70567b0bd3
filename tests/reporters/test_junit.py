"""JUnit: parses, one suite per policy, per-suite counts match the findings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from auditor.findings import Finding, ScanResult, Status
from auditor.reporters.junit import render_junit

MakeResult = Callable[..., ScanResult]


def parse(result: ScanResult) -> ET.Element:
    return ET.fromstring(b"".join(render_junit(result)))


def suites(root: ET.Element) -> dict[str, ET.Element]:
    """Suites keyed by the policy id property (asserting every suite has one)."""
    keyed: dict[str, ET.Element] = {}
    for suite in root:
        prop = suite.find("properties/property[@name='policy.id']")
        assert prop is not None
        keyed[prop.get("value", "")] = suite
    return keyed


def test_one_suite_per_policy_with_correct_counts(result: ScanResult) -> None:
    root = parse(result)
    assert root.tag == "testsuites"
    by_policy = suites(root)
    assert list(by_policy) == [policy.id for policy in result.policies]
    for policy_id, suite in by_policy.items():
        mine = [finding for finding in result.findings if finding.policy_id == policy_id]
        cases = suite.findall("testcase")
        assert len(cases) == len(mine) == int(suite.get("tests", "-1"))
        assert int(suite.get("failures", "-1")) == sum(f.status is Status.FAIL for f in mine)
        assert int(suite.get("failures", "-1")) == sum(case.find("failure") is not None for case in cases)
        assert int(suite.get("errors", "-1")) == sum(case.find("error") is not None for case in cases)
        assert int(suite.get("errors", "-1")) == sum(f.status is Status.ERROR for f in mine)
        assert int(suite.get("skipped", "-1")) == sum(case.find("skipped") is not None for case in cases)
        assert int(suite.get("skipped", "-1")) == sum(
            f.status in (Status.SKIPPED, Status.WAIVED) for f in mine
        )
        assert {case.get("classname") for case in cases} <= {policy_id}
    assert root.get("tests") == str(len(result.findings))
    assert root.get("failures") == "6"
    assert root.get("errors") == "2"
    assert root.get("skipped") == "2"


def test_failure_error_and_skipped_elements(result: ScanResult) -> None:
    by_policy = suites(parse(result))
    pool_cases = {
        case.get("name", "").split(" ")[0]: case for case in by_policy["AKS-002"].findall("testcase")
    }
    failure = pool_cases["system"].find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert "escalated from medium" in (failure.text or "")
    assert "remediation: Run a node image upgrade on the pool." in (failure.text or "")
    waived = pool_cases["np1"].find("skipped")
    assert waived is not None
    assert waived.get("message") == "waived: Dev pool, rebuilt weekly"
    assert list(pool_cases["user1"]) == []
    dev_error = [case.find("error") for case in by_policy["AKS-003"].findall("testcase")]
    assert [e.get("message") for e in dev_error if e is not None] == [
        "Planned maintenance window configured: cannot judge: maintenance configurations not collected."
    ]
    assert by_policy["AKS-001"].find("properties/property[@name='policy.helpUri']") is not None
    assert by_policy["AKS-004"].find("properties/property[@name='policy.helpUri']") is None


def test_hostile_values_survive_as_text(make_result: MakeResult, result: ScanResult) -> None:
    root = parse(make_result(hostile=True))
    names = [case.get("name", "") for case in root.iter("testcase")]
    assert any(name.startswith("aks-dev<script>alert(1)</script> (") for name in names)
    original = result.findings[1]
    broken: Finding = original.model_copy(update={"message": "bad \x00 byte \x1b[31m and \ud800 surrogate"})
    root = parse(make_result(findings=[broken]))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "bad \ufffd byte \ufffd[31m and \ufffd surrogate"


def test_non_ascii_becomes_character_references(make_result: MakeResult, result: ScanResult) -> None:
    message = "Kubernetes 1.27 — out of support → upgrade… 😀 é"
    odd: Finding = result.findings[1].model_copy(update={"message": message, "resource_name": "aks-dév"})
    text = b"".join(render_junit(make_result(findings=[odd]))).decode("utf-8")
    assert text.isascii(), "one byte per character in memory, whatever the findings say"
    assert "&#8212;" in text
    root = ET.fromstring(text.encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == message
    assert (failure.text or "").startswith(message + "\nseverity: high")
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name", "").startswith("aks-dév (")


def test_failures_first_within_a_suite(make_result: MakeResult, result: ScanResult) -> None:
    template = next(f for f in result.findings if f.policy_id == "AKS-001")
    order = (Status.PASS, Status.SKIPPED, Status.FAIL, Status.WAIVED, Status.ERROR, Status.PASS, Status.FAIL)
    findings = [
        template.model_copy(update={"status": status, "resource_name": f"r{n}"})
        for n, status in enumerate(order)
    ]
    suite = suites(parse(make_result(findings=findings)))["AKS-001"]
    cases = [
        (case.get("name", "").split()[0], [child.tag for child in case]) for case in suite.findall("testcase")
    ]
    assert cases == [
        ("r2", ["failure"]),
        ("r6", ["failure"]),
        ("r4", ["error"]),
        ("r3", ["skipped"]),
        ("r1", ["skipped"]),
        ("r0", []),
        ("r5", []),
    ]


def test_estate_scale_document_is_well_formed(make_result: MakeResult, result: ScanResult) -> None:
    findings = [
        finding.model_copy(
            update={
                "resource_id": f"{finding.resource_id}-{n}",
                "resource_name": f'{finding.resource_name} "{n}" & <{n}>\r\n\t',
            }
        )
        for n in range(400)
        for finding in result.findings
    ]
    root = parse(make_result(findings=findings))
    assert root.get("tests") == str(len(findings)) == str(sum(1 for _ in root.iter("testcase")))
    names = {case.get("name", "") for case in root.iter("testcase")}
    assert 'system "399" & <399>\r\n\t (' in "".join(sorted(names))


def test_suites_written_in_chunks_are_the_text_of_the_whole_tree(
    make_result: MakeResult, result: ScanResult
) -> None:
    """Suites of more cases than one chunk (1,000) are written piece by piece; the document is still, to
    the byte, what ElementTree writes for the whole tree indented — chunk boundaries leave no trace."""
    findings = [
        finding.model_copy(update={"resource_id": f"{finding.resource_id}-{n}", "message": f"m\u00e9 {n}"})
        for n in range(1_001)
        for finding in result.findings
    ]
    text = b"".join(render_junit(make_result(findings=findings)))
    root = ET.fromstring(text)
    assert max(len(suite.findall("testcase")) for suite in root) >= 2_001
    assert [child.tag for child in root[0]][:2] == ["properties", "testcase"]
    assert sum(1 for _ in root.iter("properties")) == len(root)
    for suite in root:
        assert suite.get("tests") == str(len(suite.findall("testcase")))
        assert len({case.get("name") for case in suite.findall("testcase")}) == len(suite.findall("testcase"))
    ET.indent(root, space="  ")
    whole = ET.tostring(root, encoding="us-ascii", xml_declaration=False)
    assert text == b"<?xml version='1.0' encoding='utf-8'?>\n" + whole + b"\n"


def test_a_policy_missing_from_the_result_gets_a_suite_and_escalation_comes_from_the_finding(
    result: ScanResult,
) -> None:
    escalated = result.findings[2]
    assert escalated.escalation is not None
    orphan = escalated.model_copy(update={"policy_id": "CUSTOM-001", "title": "Custom check"})
    plain = escalated.model_copy(update={"policy_id": "CUSTOM-002", "title": "Other", "escalation": None})
    root = parse(result.model_copy(update={"findings": (*result.findings, orphan, plain)}))
    by_policy = suites(root)
    assert by_policy["CUSTOM-001"].get("name") == "CUSTOM-001 Custom check"
    texts = {
        policy_id: (by_policy[policy_id].findtext("testcase/failure") or "")
        for policy_id in ("CUSTOM-001", "CUSTOM-002")
    }
    note = escalated.escalation.note
    assert f"severity: critical (escalated from medium: {note})\n" in texts["CUSTOM-001"]
    assert "severity: critical\n" in texts["CUSTOM-002"]
    assert "escalated" not in texts["CUSTOM-002"]
