"""HTML: parsed with the stdlib parser: self-contained, escaped, coverage prominent, failing first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from auditor.findings import ScanResult, Status
from auditor.reporters.html import group_findings, render_html

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


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector


@pytest.fixture
def page(result: ScanResult) -> Collector:
    return parse(render_html(result))


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
    clean_page = parse(render_html(clean))
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
    assert aks002.endswith("medium 1 0 1 0 1")


def test_untrusted_values_are_escaped(make_result: MakeResult) -> None:
    html = render_html(make_result(hostile=True))
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parse(html)
    scripts = page.all("script")
    assert len(scripts) == 1, "only the report's own inline script"
    assert "alert(" not in scripts[0].content
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
