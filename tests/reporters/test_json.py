"""JSON: the lossless format; ``convert`` reloads it, so the round trip must be exact."""

from __future__ import annotations

import json

from jsonschema import Draft202012Validator

from auditor.findings import ScanResult, Severity, Status
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.reporters.json_report import render_json as stream_json
from auditor.reporters.json_report import result_json_schema
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan
from benchmarks.generate_estate import build_estate


def render_json(result: ScanResult) -> bytes:
    return b"".join(stream_json(result))


def test_round_trips_exactly(result: ScanResult) -> None:
    text = render_json(result)
    assert isinstance(text, bytes) and text.endswith(b"}\n")
    assert text.isascii()
    assert ScanResult.model_validate_json(text) == result
    assert render_json(ScanResult.model_validate_json(text)) == text


def test_camel_case_on_the_wire(result: ScanResult) -> None:
    document = json.loads(render_json(result))
    assert document["kind"] == "ScanResult"
    assert document["schemaVersion"] == "2.4"
    assert document["scan"]["startedAt"] == "2024-06-03T08:00:00Z"
    assert document["scan"]["failOn"] == "high"
    first = document["findings"][0]
    assert {"policyId", "resourceId", "resourceKind", "subscriptionId", "fingerprint"} <= first.keys()
    assert document["summary"]["byStatus"]["waived"] == 1
    assert document["summary"]["failedBySeverity"]["critical"] == 2
    assert document["scan"]["coverage"]["gaps"][0]["target"] == "my-hub-2"


def test_output_validates_against_published_schema(result: ScanResult) -> None:
    schema = result_json_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    document = json.loads(render_json(result))
    assert not list(validator.iter_errors(document))
    document["findings"][0]["status"] = "maybe"
    assert list(validator.iter_errors(document)), "an unknown status must be refused by the schema"


def test_schema_names_statuses_and_severities() -> None:
    text = json.dumps(result_json_schema())
    assert all(f'"{status.value}"' in text for status in Status)
    assert all(f'"{severity.value}"' in text for severity in Severity)
    assert '"policyId"' in text


def test_ascii_only_and_still_exact(result: ScanResult) -> None:
    message = "Kubernetes 1.27 — out of support → upgrade… 😀"
    odd = result.findings[1].model_copy(update={"message": message})
    changed = result.model_copy(update={"findings": (odd, *result.findings[2:])})
    text = render_json(changed)
    assert text.isascii(), "one byte per character in memory: this text reaches hundreds of megabytes"
    assert b"\\u2014" in text
    assert ScanResult.model_validate_json(text) == changed
    assert json.loads(text)["findings"][0]["message"] == message


def test_streams_findings_in_chunks_and_handles_an_empty_result(result: ScanResult) -> None:
    many = result.model_copy(update={"findings": result.findings * 1_500})
    chunks = list(stream_json(many))
    assert len(chunks) > 3  # never one string holding the whole report
    assert ScanResult.model_validate_json(b"".join(chunks)) == many
    empty = result.model_copy(update={"findings": ()})
    assert ScanResult.model_validate_json(render_json(empty)) == empty
    assert json.loads(render_json(empty))["findings"] == []


def test_what_follows_the_findings_is_written_a_megabyte_at_a_time() -> None:
    """Cluster cards and horizons follow the findings (~20 MB at 10,000 clusters): written in pieces of
    the one serialized envelope, never copied whole again — and the document is still exact."""
    estate = build_estate(clusters=20, subscriptions=2)
    policies = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
    scanned = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None)
    assert scanned.clusters and scanned.horizon
    big = scanned.model_copy(update={"clusters": scanned.clusters * 200, "horizon": scanned.horizon * 200})
    chunks = list(stream_json(big))
    assert sum(len(chunk) == 1 << 20 for chunk in chunks) >= 2
    assert ScanResult.model_validate_json(b"".join(chunks)) == big
