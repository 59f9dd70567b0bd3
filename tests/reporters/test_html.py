"""HTML: parsed with the stdlib parser: self-contained, escaped, coverage prominent, failing first."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from auditor.findings import Finding, ScanResult, Severity, Status
from auditor.reporters.html import group_findings, render_html
from auditor.reporters.html_layout import MAX_DETAILED

MakeResult = Callable[..., ScanResult]
HOSTILE = "<script>alert(1)</script>"


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return " ".join(" ".join(self.text).split())


class Collector(HTMLParser):
    """Every element with its attributes and the text inside it (nested text counts for ancestors)."""

    VOID = frozenset({"meta", "link", "img", "input", "br", "hr", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for element in self.open:
            element.text.append(data)

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == element_id), None)

    def all(self, tag: str, css_class: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and (css_class is None or css_class in (e.attrs.get("class") or "").split())
        ]


def html_text(result: ScanResult, **kwargs: Any) -> str:
    """The whole page as text (render_html writes it as UTF-8 chunks)."""
    return b"".join(render_html(result, **kwargs)).decode("utf-8")


def scripts(page: Collector) -> tuple[Element, dict[str, Any]]:
    """The report's own script and its data block (parsed): there is exactly one of each, nothing else."""
    found = page.all("script")
    data = [e for e in found if e.attrs == {"type": "application/json", "id": "report-data"}]
    code = [e for e in found if not e.attrs]
    assert len(data) == 1 and len(code) == 1 and len(found) == 2, [e.attrs for e in found]
    text = "".join(data[0].text)
    assert "<" not in text and ">" not in text and "&" not in text  # nothing can end the element
    return code[0], json.loads(text)


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.fixture
def page(result: ScanResult) -> Collector:
    return parse(html_text(result))


def test_incomplete_banner_is_prominent(page: Collector, make_result: MakeResult, result: ScanResult) -> None:
    banner = page.by_id("incomplete")
    assert banner is not None
    assert banner.attrs["role"] == "alert"
    assert "Scan incomplete: 2 gaps, 2 findings could not be evaluated" in banner.content
    coverage = page.by_id("coverage")
    assert coverage is not None
    assert "AuthorizationFailed: no read access" in coverage.content
    assert "list memberclusters" in coverage.content
    clean = make_result(complete=True, findings=[f for f in result.findings if f.status is not Status.ERROR])
    clean_page = parse(html_text(clean))
    assert clean_page.by_id("incomplete") is None
    assert "Scan incomplete" not in "".join(clean_page.text)


def test_summary_numbers_and_header(page: Collector) -> None:
    counts = {status.value: page.by_id(f"count-{status.value}") for status in Status}
    assert {key: el.content.split()[0] for key, el in counts.items() if el} == {
        "fail": "6",
        "error": "2",
        "waived": "1",
        "skipped": "1",
        "pass": "3",
    }
    severity = page.by_id("failed-by-severity")
    assert severity is not None
    assert "critical high medium low info 2 2 0 1 1" in severity.content
    header = page.by_id("top")
    assert header is not None
    assert "2024-06-03 08:00:00 UTC" in header.content
    assert "Contoso Prod 11111111-1111-1111-1111-111111111111" in header.content
    assert "azure" in header.content


def test_policy_table_has_every_policy_with_counts(page: Collector, result: ScanResult) -> None:
    table = page.by_id("policies")
    assert table is not None
    rows = [row.content for row in page.all("tr") if row.content.startswith(("AKS-", "FLT-"))]
    assert [row.split()[0] for row in rows][:2] == ["FLT-002", "AKS-001"]
    assert {row.split()[0] for row in rows} == {policy.id for policy in result.policies}
    aks002 = next(row for row in rows if row.startswith("AKS-002"))
    # base severity medium; its one failure is escalated, and the row says so
    assert aks002.endswith("medium 1 0 1 0 1 1 critical")


def test_untrusted_values_are_escaped(make_result: MakeResult) -> None:
    html = html_text(make_result(hostile=True))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    script, data = scripts(page)
    assert "alert(" not in script.content
    assert f"aks-dev{HOSTILE}" in [row[0] for row in data["clusters"]]  # data, shown with textContent
    assert "aks-dev<script>alert(1)</script>" in "".join(page.text)
    assert "Contoso Dev<script>alert(1)</script>" in "".join(page.text)


def test_self_contained_no_external_references(page: Collector) -> None:
    assert not page.all("link")
    assert not page.all("img")
    assert not page.all("iframe")
    assert all("src" not in element.attrs for element in page.elements)
    hrefs = [
        (element.tag, element.attrs.get("href") or "") for element in page.elements if "href" in element.attrs
    ]
    assert hrefs, "the table of contents links to sections"
    for tag, href in hrefs:
        if href.startswith(("http://", "https://")):
            assert tag == "a"
            assert href == "https://learn.microsoft.com/azure/aks/supported-kubernetes-versions"
        else:
            assert href.startswith("#"), href
    style = "".join(element.content for element in page.all("style"))
    assert "@import" not in style
    assert "url(" not in style


def test_javascript_help_uri_is_not_a_link(page: Collector) -> None:
    assert all("javascript:" not in (element.attrs.get("href") or "") for element in page.elements)
    assert any(row.content.startswith("AKS-004 Production clusters") for row in page.all("tr"))


def test_failing_findings_first_and_every_one_shown(page: Collector, result: ScanResult) -> None:
    findings = page.all("article", "finding")
    text = " ".join(element.content for element in findings)
    for finding in result.findings:
        if finding.status in (Status.FAIL, Status.ERROR):
            assert finding.resource_name in "".join(page.text)
            assert " ".join(finding.message.split()) in text
    first_group = page.all("section", "group")[0]
    assert first_group.content.startswith("Cluster aks-prod-weu")
    assert "fail critical escalated from medium AKS-002 Node image is current" in first_group.content
    statuses = [element.attrs["data-status"] for element in findings]
    assert "pass" not in statuses, "passing checks are folded into a details list"
    assert "Waived: Dev pool, rebuilt weekly" in text
    assert "Remediation: Upgrade the control plane one minor at a time." in text
    assert "Automated action upgrade-control-plane to=1.29.4" in text


def test_grouping_cluster_then_pools_worst_first(result: ScanResult) -> None:
    groups = group_findings(result)
    assert [(group.label, group.name) for group in groups] == [
        ("Cluster", "aks-prod-weu"),
        ("Fleet hub", "my-hub"),
        ("Cluster", "aks-dev"),
        ("Fleet", "fleet-1"),
        ("Fleet hub", "my-hub-2"),
    ]
    prod = groups[0]
    assert [resource.name for resource in prod.resources] == ["aks-prod-weu", "system", "user1"]
    assert [view.finding.policy_id for view in prod.resources[2].passed] == ["AKS-002"]
    ranks = {status: index for index, status in enumerate(("fail", "error", "waived", "skipped"))}
    for group in groups:
        for resource in group.resources:
            keys = [(ranks[v.finding.status.value], -v.finding.severity.rank) for v in resource.findings]
            assert keys == sorted(keys)
    dev = groups[2].resources[0]
    assert [(v.finding.status.value, v.finding.policy_id) for v in dev.findings] == [
        ("fail", "AKS-001"),
        ("error", "AKS-003"),
        ("skipped", "AKS-004"),
    ]
    assert prod.resources[0].subscription == "Contoso Prod (11111111-1111-1111-1111-111111111111)"


def test_evidence_is_a_definition_list(page: Collector) -> None:
    evidence = page.all("dl", "evidence")
    contents = [element.content for element in evidence]
    assert 'supported ["1.28", "1.29", "1.30"]' in " ".join(contents)
    assert "daysBehind 120" in " ".join(contents)


# --- estate scale: passes counted, skips in one line, the most severe in full, the rest counted ---


def _cluster_id(index: int) -> str:
    return (
        "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-scale/providers/"
        f"Microsoft.ContainerService/managedClusters/aks-{index:04d}"
    )


def _resource_contents(page: Collector) -> dict[str, str]:
    """Listed resources by name, with all the text inside each."""
    return {element.content.split()[0]: element.content for element in page.all("div", "resource")}


def test_many_passes_are_counted_per_resource_never_listed(
    make_result: MakeResult, result: ScanResult
) -> None:
    template = next(f for f in result.findings if f.status is Status.PASS and f.resource_kind == "cluster")
    failing = next(f for f in result.findings if f.status is Status.FAIL and f.resource_kind == "cluster")
    findings = []
    expected: dict[str, int] = {}
    for index in range(1000):
        name, resource_id = f"aks-{index:04d}", _cluster_id(index)
        expected[name] = 15 + index % 11
        findings.extend(
            template.model_copy(
                update={"resource_id": resource_id, "resource_name": name, "message": f"pass-msg-{index}-{n}"}
            )
            for n in range(expected[name])
        )
        if index % 100 == 7:
            findings.append(failing.model_copy(update={"resource_id": resource_id, "resource_name": name}))
    assert sum(expected.values()) == 19_995
    html = html_text(make_result(findings=findings, complete=True))
    assert "pass-msg-" not in html, "no passing finding is rendered one by one"
    assert len(html.encode()) < 1_500_000
    page = parse(html)
    resources = _resource_contents(page)
    assert len(resources) == 1000
    for name, count in expected.items():
        assert f"pass {count} checks passed" in resources[name], name
    assert len([e for e in page.elements if e.attrs.get("data-status") == "pass"]) == 1000
    assert len(page.all("article", "finding")) == 10
    assert page.by_id("not-shown") is None, "nothing is left out, so no cap note"
    first = page.all("div", "resource")[0]
    assert first.content.startswith("aks-0007 ") and "fail" in first.content, "failing resources first"


def test_skipped_checks_are_one_line_each(page: Collector) -> None:
    skipped = page.all("ul", "skipped")
    assert [element.content for element in skipped] == [
        "skipped AKS-004 Not a production cluster (tag env=dev)."
    ]
    assert not [e for e in page.all("article") if e.attrs.get("data-status") == "skipped"]
    dev = _resource_contents(page)["aks-dev"]
    assert dev.index("AKS-003") < dev.index("skipped AKS-004"), "skips come after what needs action"


def _scaled_failures(result: ScanResult) -> list[Finding]:
    """30 critical + 60 high + 90 low failures, 5 critical waived and 10 high errors on 60 clusters."""
    failing = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "AKS-001")
    plan = [
        (Status.FAIL, Severity.CRITICAL, 30),
        (Status.FAIL, Severity.HIGH, 60),
        (Status.FAIL, Severity.LOW, 90),
        (Status.WAIVED, Severity.CRITICAL, 5),
        (Status.ERROR, Severity.HIGH, 10),
    ]
    findings = []
    for status, severity, count in plan:
        for n in range(count):
            index = len(findings) % 60
            findings.append(
                failing.model_copy(
                    update={
                        "status": status,
                        "severity": severity,
                        "resource_id": _cluster_id(index),
                        "resource_name": f"aks-{index:04d}",
                        "message": f"{status.value}-{severity.value}-{n}",
                        "evidence": {},
                        "remediation": None,
                    }
                )
            )
    return findings


def test_beyond_the_cap_the_most_severe_are_shown_and_the_rest_counted(
    make_result: MakeResult, result: ScanResult
) -> None:
    findings = _scaled_failures(result)
    html = html_text(make_result(findings=findings, complete=True), max_detailed=50)
    page = parse(html)
    articles = page.all("article", "finding")
    assert len(articles) == 50
    shown = sorted(
        (element.attrs["data-status"] or "", element.attrs["data-severity"] or "") for element in articles
    )
    assert shown == sorted([("fail", "critical")] * 30 + [("fail", "high")] * 20)
    highs = [f for f in findings if f.status is Status.FAIL and f.severity is Severity.HIGH]
    first_highs = sorted(highs, key=lambda f: f.resource_id.lower())[:20]
    shown_highs = {e.content.split()[-1] for e in articles if e.attrs["data-severity"] == "high"}
    assert shown_highs == {f.message for f in first_highs}, "ties broken by policy, then resource id"
    note = page.by_id("not-shown")
    assert note is not None
    assert note.attrs["role"] == "note"
    assert "shows the 50 most severe of 195 findings to act on" in note.content
    assert "the other 145 are counted per policy below" in note.content
    assert "The JSON report ( aks-auditor.json ) has every finding" in note.content
    [table] = page.all("table", "omitted")
    assert table.content.endswith(
        "fail error waived skipped AKS-001 Kubernetes version is supported high 130 10 5 0"
    )
    not_shown = sum(int(e.content.split()[0]) for e in page.all("p", "not-shown"))
    assert not_shown == 145, "every resource says how many of its own findings were left out"


def test_default_cap(make_result: MakeResult, result: ScanResult) -> None:
    failing = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "AKS-001")
    findings = [
        failing.model_copy(
            update={"resource_id": _cluster_id(n), "resource_name": f"aks-{n:04d}", "evidence": {}}
        )
        for n in range(MAX_DETAILED + 100)
    ]
    html = html_text(make_result(findings=findings, complete=True))
    assert html.count('<article class="finding') == MAX_DETAILED
    assert f"shows the {MAX_DETAILED:,} most severe of {MAX_DETAILED + 100:,} findings" in " ".join(
        html.split()
    )


def test_quiet_resources_are_not_listed_beyond_max_resources(
    make_result: MakeResult, result: ScanResult
) -> None:
    passing = next(f for f in result.findings if f.status is Status.PASS and f.resource_kind == "cluster")
    skipped = next(f for f in result.findings if f.status is Status.SKIPPED)
    failing = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "AKS-001")

    def at(template: Finding, index: int) -> Finding:
        return template.model_copy(
            update={"resource_id": _cluster_id(index), "resource_name": f"aks-{index:04d}"}
        )

    findings = [at(passing, n) for n in range(30)] + [at(skipped, n) for n in range(0, 30, 3)]
    findings += [at(failing, 3), at(failing, 4)]
    page = parse(html_text(make_result(findings=findings, complete=True), max_resources=10))
    assert sorted(_resource_contents(page)) == ["aks-0003", "aks-0004"]
    note = page.by_id("not-shown")
    assert note is not None
    assert "28 of 30 resources are not listed" in note.content
    assert "findings to act on" not in note.content, "every finding to act on is shown"
    assert any(
        row.content == "AKS-004 Production clusters use the Standard tier info 0 0 0 9"
        for row in page.all("tr")
    )
    assert "pass 1 check passed" in _resource_contents(page)["aks-0003"]
    assert "skipped AKS-004" in _resource_contents(page)["aks-0003"], "a listed resource keeps its skips"


def test_header_says_when_the_estate_was_collected(page: Collector, make_result: MakeResult) -> None:
    judged = page.by_id("judged-as-of")
    assert judged is not None
    assert judged.content.startswith("Estate collected / judged as of 2024-06-02 06:30:00 UTC")
    header = page.by_id("top")
    assert header is not None
    assert "Scanned 2024-06-03 08:00:00 UTC" in header.content
    base = make_result()
    live = base.model_copy(update={"scan": base.scan.model_copy(update={"evaluated_at": None})})
    assert parse(html_text(live)).by_id("judged-as-of") is None
