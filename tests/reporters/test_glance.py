"""The HTML report's "at a glance": the score, per subscription, the worst clusters — exact on a small
result, and agreeing with the JSON result on the demo; the Content-Security-Policy allows only the
report's own style and script."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from auditor.findings import Finding, Severity, Status
from auditor.reporters.glance import SEVERITY_WEIGHT, anchor, glance
from tests.conftest import run_cli
from tests.reporters.conftest import HOSTILE, SUB_DEV, SUB_PROD, build_result, finding
from tests.reporters.test_html import Collector, html_text, parse, scripts


def cluster(sub: str, name: str) -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{name}"
    )


def pool(sub: str, name: str, pool_name: str) -> str:
    return f"{cluster(sub, name)}/agentPools/{pool_name}"


def small() -> list[Finding]:
    a, b, c = cluster(SUB_PROD, "a"), cluster(SUB_PROD, "b"), cluster(SUB_DEV, "c")
    return [
        finding("AKS-001", Status.FAIL, a, "a", "cluster", "old"),  # high 5
        finding("AKS-002", Status.FAIL, pool(SUB_PROD, "a", "p1"), "p1", "nodePool", "old"),  # medium 2
        finding("AKS-002", Status.FAIL, pool(SUB_PROD, "a", "p2"), "p2", "nodePool", "old"),  # medium 2
        finding("AKS-003", Status.PASS, a, "a", "cluster", "ok"),
        finding("AKS-001", Status.FAIL, b, "b", "cluster", "old", severity=Severity.CRITICAL),  # 10
        finding("AKS-003", Status.WAIVED, b, "b", "cluster", "accepted"),
        finding("AKS-001", Status.PASS, c, "c", "cluster", "ok"),
        finding("AKS-003", Status.ERROR, c, "c", "cluster", "unreadable"),
        finding("AKS-004", Status.SKIPPED, c, "c", "cluster", "n/a"),
    ]


def test_score_worst_clusters_and_subscriptions_exactly() -> None:
    view = glance(build_result(findings=small()))
    # 2 pass of 7 evaluated (pass 2 + fail 4 + waived 1); the error and the skip are left out
    assert (view.score.passed, view.score.evaluated, view.score.errors, view.score.skipped) == (2, 7, 1, 1)
    assert view.score.text == "28.6 %"
    # b: one critical (10) outweighs a: a high and two mediums on its pools (9); c fails nothing
    assert [(c.name, c.weight) for c in view.worst] == [("b", 10), ("a", 9)]
    assert (view.clusters_failing, view.clusters_total) == (2, 3)
    # a policy failing on two pools is one line of the cluster's top failures
    assert [(s.value, p) for s, p, _ in view.worst[1].top] == [("high", "AKS-001"), ("medium", "AKS-002")]
    assert [(r.label, r.score.text, r.score.errors) for r in view.subscriptions] == [
        (f"Contoso Prod ({SUB_PROD})", "16.7 %", 0),
        (f"Contoso Dev ({SUB_DEV})", "100 %", 1),
    ]
    assert view.worst[0].anchor == anchor(cluster(SUB_PROD, "b").upper() + "/")


def test_nothing_evaluated_is_not_a_perfect_score() -> None:
    view = glance(
        build_result(findings=[finding("AKS-001", Status.ERROR, cluster(SUB_DEV, "c"), "c", "cluster", "x")])
    )
    assert (view.score.percent, view.score.text) == (None, "n/a")
    assert view.worst == []


def demo_reports(folder: Path, *extra: str) -> tuple[dict[str, Any], Collector]:
    """Scan the demo (exit 1: it fails on purpose) into ``folder``: its JSON result and parsed HTML."""
    args = ("--demo", "-q", "--format", "json", "--format", "html", "--output-dir", str(folder), *extra)
    code, _, err = run_cli("scan", *args)
    assert code == 1, err
    result = json.loads((folder / "aks-auditor.json").read_text(encoding="utf-8"))
    return result, parse((folder / "aks-auditor.html").read_text(encoding="utf-8"))


def _rows(page: Collector, table_id: str) -> list[list[str]]:
    """The body rows of a table, cell texts."""
    html_rows, inside = [], False
    rows: list[list[str]] = []
    for element in page.elements:
        if element.tag == "table":
            inside = element.attrs.get("id") == table_id
        elif inside and element.tag == "tr":
            html_rows.append(element)
            rows.append([])
        elif inside and element.tag in ("td", "th") and rows:
            rows[-1].append(element.content)
    return rows[1:]  # the header row


def test_the_demo_report_agrees_with_its_json_result(tmp_path: Path) -> None:
    result, page = demo_reports(tmp_path)
    findings = result["findings"]
    severities = [s.value for s in Severity.__members__.values()]

    # per subscription: failing by severity and the score, recomputed from the JSON
    expected = {}
    for sub in {f["subscriptionId"] for f in findings}:
        mine = [f for f in findings if f["subscriptionId"] == sub]
        by_status = Counter(f["status"] for f in mine)
        failing = Counter(f["severity"] for f in mine if f["status"] == "fail")
        evaluated = by_status["pass"] + by_status["fail"] + by_status["waived"]
        expected[sub] = ([failing[s] for s in severities], round(100 * by_status["pass"] / evaluated, 1))
    rows = _rows(page, "by-subscription")
    assert len(rows) == len(expected) == 3
    for row in rows:
        sub = re.search(r"\(([0-9a-f-]{36})\)", row[0]).group(1)  # type: ignore[union-attr]
        counts, score = expected[sub]
        assert [int(cell) for cell in row[3:8]] == counts, row
        assert float(row[2].rstrip(" %")) == score, row

    # the worst clusters, in order of weighted failing severity (pools count for their cluster)
    weights: Counter[str] = Counter()
    for f in findings:
        if f["status"] == "fail" and f["resourceKind"] in ("cluster", "nodePool"):
            cluster_id = f["resourceId"].split("/agentPools/")[0].lower()
            weights[cluster_id] += SEVERITY_WEIGHT[Severity(f["severity"])]
    worst = _rows(page, "worst-clusters")
    shown = [
        int(sum(SEVERITY_WEIGHT[Severity(s)] * int(n) for s, n in zip(severities, row[3:8], strict=True)))
        for row in worst
    ]
    assert shown == sorted(shown, reverse=True)
    assert shown == sorted((w for w in weights.values() if w), reverse=True)[: len(worst)]
    ids = {e.attrs.get("id") for e in page.elements}
    links = [
        e.attrs["href"]
        for e in page.elements
        if e.tag == "a" and (e.attrs.get("href") or "").startswith("#r-")
    ]
    listed = sum(f["status"] != "pass" for f in findings)  # every finding's row of the table links too
    assert len(_rows(page, "finding-table")) == listed
    assert len(links) == len(worst) + 12 + listed and all(link[1:] in ids for link in links)  # + the matrix

    # the policy table shows the severities the failures carry (escalations included)
    for policy in result["policies"]:
        failing = Counter(
            f["severity"] for f in findings if f["policyId"] == policy["id"] and f["status"] == "fail"
        )
        row = next(r for r in _rows(page, "policy-table") if r[0] == policy["id"])
        assert row[-1] == " ".join(f"{failing[s]} {s}" for s in severities if failing[s]), row


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def test_the_content_security_policy_allows_only_the_reports_own_style_and_script() -> None:
    html = html_text(build_result(hostile=True))
    page = parse(html)
    [meta] = [e for e in page.all("meta") if e.attrs.get("http-equiv") == "Content-Security-Policy"]
    policy = dict(part.strip().split(" ", 1) for part in (meta.attrs["content"] or "").split(";"))
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    assert html.count("<script") == 2  # the script and its data block (not executed: no hash needed)
    assert policy == {
        "default-src": "'none'",
        "style-src": _hash(style),
        "script-src": _hash(script),
        "img-src": "data:",
        "base-uri": "'none'",
        "form-action": "'none'",
    }
    assert html.index("Content-Security-Policy") < html.index("<style>")
    # nothing else could be allowed by a hash: no inline handlers, no style attributes, one script
    assert not [(e.tag, a) for e in page.elements for a in e.attrs if a.startswith("on") or a == "style"]
    scripts(page)
    worst = _rows(page, "worst-clusters")
    assert any(row[0] == f"aks-dev{HOSTILE}" for row in worst)  # shown as text, not markup


def test_the_waivers_section_lists_applied_expired_and_stale(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - {policy: AKS-009, resource: '*/managedclusters/aks-test-*', reason: test images, "
        "expires: 2099-01-31, approvedBy: security}\n"
        "  - {policy: AKS-008, reason: <b>old</b> exception, expires: 2020-01-31}\n"
        "  - {policy: AKS-006, resource: '*/nothing-*', reason: unused, expires: 2099-02-28}\n",
        encoding="utf-8",
    )
    result, page = demo_reports(tmp_path / "r", "--waivers", str(waivers))
    waived = [f for f in result["findings"] if f["status"] == "waived"]
    assert waived and {f["policyId"] for f in waived} == {"AKS-009"}
    rows = _rows(page, "waiver-table")
    assert [row[0] for row in rows] == ["applied", "expired", "stale"]
    applied, expired, stale = rows
    assert applied[2:5] == ["test images", "security", "2099-01-31"] and applied[6:] == [
        str(len(waived)),
        "AKS-009",
    ]
    assert expired[1] == "AKS-008 *" and expired[2] == "<b>old</b> exception" and expired[6] == "0"
    assert stale[1].startswith("AKS-006 */nothing-*") and stale[4] == "2099-02-28"
    assert any(e.attrs.get("href") == "#waivers" for e in page.all("a"))


def test_no_waiver_file_no_waivers_section() -> None:
    page = parse(html_text(build_result()))
    assert page.by_id("waivers") is None and not any(e.attrs.get("href") == "#waivers" for e in page.all("a"))


def test_report_tags_show_per_cluster_and_survive_convert(tmp_path: Path) -> None:
    out = tmp_path / "r"
    result, page = demo_reports(out, "--report-tags", "env", "--report-tags", "Owner,env")
    tags = result["reportTags"]
    assert tags["names"] == ["env", "Owner"]  # as written, once each; matched case-insensitively
    clusters = {f["resourceId"].lower() for f in result["findings"] if f["resourceKind"] == "cluster"}
    assert set(tags["resources"]) >= clusters and all("Owner" in v for v in tags["resources"].values())
    for row in _rows(page, "worst-clusters"):
        (cluster_id,) = [c for c in clusters if c.endswith("/" + row[0].lower())]
        assert row[3:5] == [tags["resources"][cluster_id]["env"], tags["resources"][cluster_id]["Owner"]]
    pools = [e.content for e in page.all("p", "rid") if "/agentpools/" in e.content.lower()]
    assert pools and all(" · env=" in text for text in pools)  # a pool shows its cluster's tags
    converted = tmp_path / "c"
    assert (
        run_cli("convert", str(out / "aks-auditor.json"), "--format", "html", "--output-dir", str(converted))[
            0
        ]
        == 0
    )
    assert _rows(
        parse((converted / "aks-auditor.html").read_text(encoding="utf-8")), "worst-clusters"
    ) == _rows(page, "worst-clusters")
    code, _, err = run_cli("scan", "--demo", "--report-tags", "env,,owner", "--output-dir", str(out))
    assert (code, err) == (
        2,
        "aks-auditor: error: --report-tags env,,owner: expected tag names separated by commas\n",
    )


def test_the_matrix_cells_agree_with_the_json_result(tmp_path: Path) -> None:
    result, page = demo_reports(tmp_path)
    order = ["fail", "error", "waived", "skipped", "pass"]
    ranks = {s.value: -s.rank for s in Severity}
    worst: dict[tuple[str, str], tuple[int, int, str, str]] = {}
    for f in result["findings"]:
        if f["resourceKind"] not in ("cluster", "nodePool"):
            continue
        name = f["resourceId"].split("/agentPools/")[0].rsplit("/", 1)[-1]
        key = (name, f["policyId"])
        candidate = (order.index(f["status"]), ranks[f["severity"]], f["status"], f["severity"])
        worst[key] = min(worst.get(key, candidate), candidate)
    letters = {"critical": "C", "high": "H", "medium": "M", "low": "L", "info": "I"}
    codes = {"pass": "✓", "error": "E", "waived": "W", "skipped": "-"}
    header = next(r for r in page.all("tr") if r.content.startswith("Cluster Subscription Region Version"))
    policies = header.content.split()[6:]  # after "Failing policies"
    rows = _rows(page, "estate-matrix")
    assert len(rows) == 12 and policies == sorted(policies) and "AKS-001" in policies
    for row in rows:
        cells = row[5:]
        for policy, cell in zip(policies, cells, strict=True):
            found = worst.get((row[0], policy))
            expected = "" if found is None else letters[found[3]] if found[2] == "fail" else codes[found[2]]
            assert cell == expected, (row[0], policy)
        assert int(row[4]) == sum(1 for policy in policies if (worst.get((row[0], policy)) or (9,))[0] == 0)
