"""Saved results: 2.0 carries escalation and waiver notes as typed fields; 1.x results are upgraded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auditor.findings import Severity, Status
from auditor.result_file import load_result

from .conftest import run_cli
from .policies.test_evaluator import assert_values_share_keys


def _scan_demo(out: Path) -> dict[str, Any]:
    assert run_cli("scan", "--demo", "--format", "json", "--output-dir", str(out))[0] == 1
    document: dict[str, Any] = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    return document


def _as_1_0(document: dict[str, Any]) -> dict[str, Any]:
    """The same result as aks-auditor 1.0 wrote it: the notes inside the evidence."""
    old = json.loads(json.dumps(document))
    old["schemaVersion"] = "1.0"
    for finding in old["findings"]:
        escalation = finding.pop("escalation", None)
        waiver = finding.pop("waiver", None)
        if escalation:
            finding["evidence"]["escalation"] = escalation["note"]
        if waiver:
            finding["evidence"]["waiver"] = waiver
    return old


def test_the_demo_result_has_typed_escalations_and_no_notes_in_the_evidence(tmp_path: Path) -> None:
    document = _scan_demo(tmp_path / "r")
    assert document["schemaVersion"] == "2.4"
    escalated = [f for f in document["findings"] if f.get("escalation")]
    assert escalated, "the demo has escalated findings"
    for finding in escalated:
        assert finding["status"] == "fail"
        assert Severity(finding["severity"]).rank > Severity(finding["escalation"]["from"]).rank
        assert finding["escalation"]["note"]
    assert not any("escalation" in f["evidence"] or "waiver" in f["evidence"] for f in document["findings"])


def test_a_1_0_result_is_read_with_its_notes_moved_to_the_typed_fields(tmp_path: Path) -> None:
    current = _scan_demo(tmp_path / "r")
    waived = next(f for f in current["findings"] if f["status"] == "fail")
    waived.update(
        status="waived",
        waiver={"reason": "accepted until the migration", "expires": "2027-01-31", "approvedBy": "secops"},
    )
    # a policy's own evidence named "waiver" on a finding that is not waived stays evidence
    passing = next(f for f in current["findings"] if f["status"] == "pass")
    passing["evidence"]["waiver"] = "policy-defined"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(_as_1_0(current)), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(current), encoding="utf-8")

    upgraded, direct = load_result(old), load_result(new)
    assert upgraded.schema_version == "2.4"
    assert upgraded.findings == direct.findings
    by_fingerprint = {f.fingerprint: f for f in upgraded.findings}
    note = by_fingerprint[waived["fingerprint"]].waiver
    assert note is not None and (note.reason, note.approved_by) == ("accepted until the migration", "secops")
    assert by_fingerprint[passing["fingerprint"]].evidence["waiver"] == "policy-defined"
    assert any(f.escalation is not None and f.status is Status.FAIL for f in upgraded.findings)


def test_convert_re_renders_a_1_0_result_like_its_2_0_twin(tmp_path: Path) -> None:
    current = _scan_demo(tmp_path / "r")
    for name, document in (("old", _as_1_0(current)), ("new", current)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        code, _, err = run_cli(
            "convert", str(path), "--format", "sarif", "--output-dir", str(tmp_path / name)
        )
        assert (code, err) == (0, "")
    sarif = [
        json.loads((tmp_path / n / "aks-auditor.sarif").read_text(encoding="utf-8")) for n in ("old", "new")
    ]
    assert sarif[0]["runs"][0]["results"] == sarif[1]["runs"][0]["results"]
    assert any("escalation" in r["properties"] for r in sarif[1]["runs"][0]["results"])


def test_a_newer_major_is_refused_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"kind": "ScanResult", "schemaVersion": "3.0"}), encoding="utf-8")
    code, out, err = run_cli("convert", str(path), "--format", "html", "--output-dir", str(tmp_path / "o"))
    assert (code, out) == (2, "")
    assert err == (
        f"aks-auditor: error: {path}: schemaVersion 3.0 is newer than this aks-auditor understands (2.4); "
        "upgrade aks-auditor to read it\n"
    )


def test_a_loaded_results_findings_share_what_repeats(tmp_path: Path) -> None:
    """``merge`` holds every shard's findings at once: loaded, they hold one object per repeated value
    (a policy's title, remediation and escalation; a resource's id; evidence strings) and one fields set,
    as the evaluator's own findings do — and every value is still the one in the file."""
    document = _scan_demo(tmp_path / "r")
    findings = load_result(tmp_path / "r" / "aks-auditor.json").findings
    assert [f.model_dump(mode="json", by_alias=True) for f in findings] == document["findings"]
    for field in ("title", "resource_id", "remediation", "escalation"):
        values = [(f.policy_id, getattr(f, field)) for f in findings if getattr(f, field) is not None]
        objects = {id(value) for _, value in values}
        distinct = {(policy, repr(value)) for policy, value in values}
        if field == "resource_id":
            distinct = {repr(value) for _, value in values}
        assert len(objects) == len(distinct) < len(values), field
    strings = [v for f in findings for v in f.evidence.values() if type(v) is str]
    assert len({id(s) for s in strings}) == len(set(strings)) < len(strings)
    assert all(f.__pydantic_fields_set__ is findings[0].__pydantic_fields_set__ for f in findings)
    maps = [f.evidence for f in findings]
    assert len({id(m) for m in maps}) == len({repr(m) for m in maps}) < len(maps)
    assert_values_share_keys(findings)
