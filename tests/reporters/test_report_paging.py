"""The paged tables at a size where paging matters (300 generated clusters, ~4,700 findings listed): the
first page is plain HTML, every other row comes from the data block; in Chromium the pager walks every
row, the filters count over all of them (compared with the result), a cluster link drills down to that
cluster and a matrix cell to that cluster's findings of one policy, sorting sorts the whole table."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.findings import Finding, ScanResult, Status
from auditor.inventory.base import normalize_id
from auditor.policies.loader import Selection, configure, load_policy_dirs
from auditor.reporters.glance import anchor, cluster_of
from auditor.reporters.html import render_html
from auditor.reporters.matrix import matrix
from auditor.reporters.report_data import FINDINGS_PAGE, MATRIX_PAGE, cluster_profile, table_findings
from auditor.resources import builtin_policies_dir
from auditor.scan import run_scan
from benchmarks.generate_estate import build_estate
from tests.reporters.devtools import Page, browser
from tests.reporters.test_browser import CHROMIUM, FLAGS
from tests.reporters.test_html import html_text, parse, scripts

CLUSTERS = 300


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, Path]:
    generated = build_estate(clusters=CLUSTERS, subscriptions=12, regions=5)
    policies = configure(
        load_policy_dirs(builtin_policies_dir(), []), Selection(enable=frozenset({"FLEET-005"}))
    )
    result = run_scan(generated, policies, started_at=generated.collected_at, fail_on=None)
    path = tmp_path_factory.mktemp("paged") / "report.html"
    # fewer in full than the default, so that some clusters are only in the paged tables
    path.write_text(html_text(result, max_detailed=200, max_resources=100), encoding="utf-8")
    return result, path


def listed(result: ScanResult) -> list[Finding]:
    return [f for f in result.findings if f.status is not Status.PASS]


def test_the_first_page_is_plain_html_and_the_rest_is_data(estate: tuple[ScanResult, Path]) -> None:
    result, path = estate
    page = parse(path.read_text(encoding="utf-8"))
    grid = matrix(result)
    assert len(grid.rows) == CLUSTERS > MATRIX_PAGE
    rows = [e for e in page.elements if e.tag == "tr"]
    names = [row.content.split(" ")[0] for row in rows]
    worst = [row.name for row in grid.rows[:MATRIX_PAGE]]
    assert names[names.index(worst[0]) : names.index(worst[0]) + MATRIX_PAGE] == worst  # worst first
    _, data = scripts(page)
    assert [row[0] for row in data["clusters"]] == [row.name for row in grid.rows]  # every cluster
    assert len(data["findings"]) == len(listed(result)) > FINDINGS_PAGE
    assert len(data["messages"]) < len(data["findings"]) / 5  # templates, not one message per finding
    notes = " ".join(e.content for e in page.all("p", "paged-note"))
    assert f"The {MATRIX_PAGE} worst of {CLUSTERS} clusters" in notes
    assert f"The {FINDINGS_PAGE} worst are written here" in notes


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, estate: tuple[ScanResult, Path]) -> Iterator[Page]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs it: apt-get install -y chromium)")
    with browser(CHROMIUM, (*FLAGS, "--window-size=1400,1000"), tmp_path_factory.mktemp("profile")) as opened:
        opened.navigate(estate[1].as_uri())
        yield opened


#: Walk every page of a paged table from the first: each row's cells' text, then "Next page".
WALK = """
((id, pager) => {
  const buttons = () => document.querySelectorAll('#' + pager + ' button');  // previous, next
  for (let i = 0; i < 1000 && !buttons()[0].disabled; i += 1) { buttons()[0].click(); }
  const rows = [];
  for (let i = 0; i < 1000; i += 1) {
    document.querySelectorAll('#' + id + ' tbody tr').forEach(r => rows.push(Array.from(r.cells).map(c => c.textContent)));
    if (buttons()[1].disabled) { break; }
    buttons()[1].click();
  }
  return rows;
})"""


def walk(page: Page, table: str, pager: str) -> list[list[str]]:
    return list(page.evaluate(f"{WALK}({json.dumps(table)}, {json.dumps(pager)})"))


def view(page: Page, fragment: str, url: Path) -> None:
    page.navigate("about:blank")
    page.navigate(url.as_uri() + fragment)


def count(page: Page, output: str) -> str:
    return str(page.evaluate(f"document.getElementById({json.dumps(output)}).value"))


def test_the_pager_walks_every_row_worst_first(page: Page, estate: tuple[ScanResult, Path]) -> None:
    result, url = estate
    view(page, "#view?status=fail,error,waived,skipped", url)
    assert page.seen("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded") == []
    rows = walk(page, "estate-matrix", "matrix-pager")
    assert [row[0] for row in rows] == [row.name for row in matrix(result).rows]
    findings = walk(page, "finding-table", "table-pager")
    expected = table_findings(result)
    assert len(findings) == len(expected)
    # the whole row as the result has it: every message decoded from its template exactly
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in findings] == [
        (f"{f.resource_name} {f.resource_kind}", f.policy_id, f.severity.value, f.status.value, f.message)
        for f in expected
    ]
    assert page.evaluate("document.querySelector('#table-pager span').textContent").strip() == (
        f"rows {len(expected) // 100 * 100 + 1:,}–{len(expected):,} of {len(expected):,}"
    )


def test_filters_count_over_every_row(page: Page, estate: tuple[ScanResult, Path]) -> None:
    result, url = estate
    findings = listed(result)
    view(page, "#view?status=fail,error,waived,skipped&severity=high", url)
    high = sum(f.severity.value == "high" for f in findings)
    assert count(page, "table-count") == f"showing {high:,} of {len(findings):,} findings"
    assert count(page, "filter-count") == f"showing {high:,} of {len(findings):,} findings"
    subscription = findings[-1].subscription_id or ""
    view(page, f"#view?status=fail&subscription={subscription.lower()}&policy=AKS-008", url)
    mine = [f for f in findings if f.subscription_id == subscription]
    wanted = sum(f.status is Status.FAIL and f.policy_id == "AKS-008" for f in mine)
    assert count(page, "table-count") == f"showing {wanted:,} of {len(findings):,} findings" and wanted
    clusters = {cluster_of(f) for f in mine if f.status is Status.FAIL and f.policy_id == "AKS-008"}
    assert count(page, "matrix-count") == f"showing {len(clusters)} of {CLUSTERS} clusters"
    view(page, "#view?status=fail,error,waived,skipped&q=aks-00042", url)
    names = {s.id: s.name for s in result.scan.scope.subscriptions}

    def haystack(f: Finding) -> str:
        place = (
            f.subscription_name or names.get(f.subscription_id or "") or f.subscription_id or "",
            f.location,
        )
        return " ".join((f.resource_name, f.resource_kind, *(p or "" for p in place), f.policy_id, f.message))

    found = sum("aks-00042" in haystack(f).lower() for f in findings)
    assert found > sum("aks-00042" in f.resource_name for f in findings)  # messages are searched too
    assert count(page, "table-count") == f"showing {found:,} of {len(findings):,} findings" and found


def test_a_cluster_link_drills_down_to_its_findings_and_profile(
    page: Page, estate: tuple[ScanResult, Path]
) -> None:
    result, url = estate
    grid = matrix(result)
    quiet = next(row for row in grid.rows[MATRIX_PAGE:] if f'id="{row.anchor}"' not in url.read_text())
    view(page, "#view?status=fail,error,waived,skipped", url)
    href = page.evaluate(
        "Array.from(document.querySelectorAll('#estate-matrix tbody th a')).map(a => a.getAttribute('href'))"
    )
    assert all(h.startswith("#r-") or "cluster=r-" in h for h in href)  # listed in detail, or drill down
    view(page, f"#view?status=fail,error,waived,skipped&cluster={quiet.anchor}", url)
    mine = [f for f in listed(result) if (cluster_of(f) or "").lower() == quiet.id.lower()]
    assert count(page, "table-count") == f"showing {len(mine)} of {len(listed(result)):,} findings"
    assert count(page, "matrix-count") == f"showing 1 of {CLUSTERS} clusters"
    assert page.evaluate("document.getElementById('filter-cluster').hidden") is False
    card = next(c for c in result.clusters if normalize_id(c.resource_id) == normalize_id(quiet.id))
    horizon = next(h for h in result.horizon if normalize_id(h.resource_id) == normalize_id(quiet.id))
    assert page.evaluate("document.getElementById('filter-cluster-name').textContent") == quiet.name
    assert page.evaluate("document.getElementById('filter-cluster-profile').textContent") == cluster_profile(
        card, horizon
    )
    # a cell: that cluster's findings of that policy (with the ticked statuses)
    policy = next(p for p, cell in quiet.cells.items() if cell.status is Status.FAIL)
    column = [p.id for p in grid.policies].index(policy)
    page.evaluate(
        f"document.querySelector('#estate-matrix tbody tr').cells[{5 + column}].querySelector('a').click()"
    )
    assert f"policy={policy}" in page.evaluate("location.hash")
    of_policy = sum(f.policy_id == policy for f in mine)
    assert (
        count(page, "table-count") == f"showing {of_policy} of {len(listed(result)):,} findings" and of_policy
    )
    page.evaluate("document.getElementById('filter-cluster-clear').click()")
    assert "cluster=" not in page.evaluate("location.hash")
    assert count(page, "matrix-count").endswith(f" of {CLUSTERS} clusters")
    assert page.evaluate("document.getElementById('filter-cluster').hidden") is True


def test_sorting_a_paged_table_sorts_every_row(page: Page, estate: tuple[ScanResult, Path]) -> None:
    result, url = estate
    view(page, "#view?status=fail,error,waived,skipped", url)
    page.evaluate("document.querySelectorAll('#estate-matrix thead th button')[2].click()")  # region
    regions = [row[2] for row in walk(page, "estate-matrix", "matrix-pager")]
    assert regions == sorted(regions) and len(regions) == CLUSTERS
    assert Counter(regions) == Counter(row.region for row in matrix(result).rows)
    page.evaluate("document.querySelectorAll('#finding-table thead th button')[4].click()")  # severity
    severities = [row[4] for row in walk(page, "finding-table", "table-pager")]
    order = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=order.index)
    assert page.evaluate(
        "document.querySelectorAll('#finding-table thead th')[4].getAttribute('aria-sort')"
    ) == ("ascending")


def test_each_message_template_names_its_own_resource(estate: tuple[ScanResult, Path]) -> None:
    """A regression guard on the data: the same template serves many clusters, decoded per resource."""
    result, path = estate
    _, data = scripts(parse(path.read_text(encoding="utf-8")))
    uses = Counter(row[4] for row in data["findings"])
    template, used = uses.most_common(1)[0]
    assert used > CLUSTERS / 2 and "\x01" in data["messages"][template]
    assert {anchor(c.resource_id) for c in result.clusters} == {row[1] for row in data["clusters"]}


TRICKY = [  # (resource name, message): names inside names, our own tokens, bidi controls, short parts
    ("pool1-prod", "Cluster pool1-prod runs 1.27 (pool1-prod, again pool1-prod)."),
    ("pool1-prod/pool1", "Node pool pool1 of cluster pool1-prod: pool1pool1 pool1-prod."),
    ("pool1-prod/pool1", "A message with our token \x01 and \x00 in it, about pool1."),
    ("ab/cd", "Short parts ab and cd are not templated: abcd."),
    ("evil\u202eexe", "Named evil\u202eexe \u2066here\u2069 </script><!-- & done"),
]


def test_tricky_messages_decode_exactly_in_the_browser(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs it: apt-get install -y chromium)")
    from auditor.reporters.common import visible_controls
    from tests.reporters.conftest import build_result, finding

    base = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/"
    items = [
        finding("AKS-001", Status.FAIL, base + name.replace("/", "/agentPools/"), name,
                "nodePool" if "/" in name else "cluster", message)
        for name, message in TRICKY
    ]  # fmt: skip
    result = build_result(findings=items, complete=True)
    path = tmp_path / "tricky.html"
    path.write_text(html_text(result), encoding="utf-8")
    with browser(CHROMIUM, FLAGS, tmp_path / "profile") as opened:
        opened.navigate(path.as_uri())
        rows = walk(opened, "finding-table", "table-pager")
        assert opened.evaluate("typeof window.pwned") == "undefined"
    shown = sorted((row[0], row[6]) for row in rows)
    kinds = {"nodePool" if "/" in name else "cluster" for name, _ in TRICKY}
    assert kinds == {"nodePool", "cluster"}
    assert shown == sorted(
        (f"{visible_controls(name)} {'nodePool' if '/' in name else 'cluster'}", visible_controls(message))
        for name, message in TRICKY
    )


def test_a_subscription_with_nothing_to_list_shows_nothing(tmp_path: Path) -> None:
    """Its findings all pass, so the table's data does not name it: choosing it must show no row — not
    the rows that have no subscription at all (a Fleet hub's), which share the data's "none" index."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs it: apt-get install -y chromium)")
    from tests.reporters.conftest import DEV, MEMBER, SUB_PROD, UPDATE_RUN, build_result, finding

    items = [  # the prod subscription: one passing update run, so no row of the matrix or the table
        finding("FLT-001", Status.PASS, UPDATE_RUN, "fleet-1/run-2024-06", "updateRun", "completed"),
        finding("AKS-001", Status.FAIL, DEV, "aks-dev", "cluster", "unsupported"),
        finding("FLT-003", Status.FAIL, MEMBER, "my-hub/member-a", "memberCluster", "member-a left."),
    ]
    result = build_result(findings=items, complete=True)
    path = tmp_path / "report.html"
    path.write_text(html_text(result), encoding="utf-8")
    with browser(CHROMIUM, FLAGS, tmp_path / "profile") as opened:
        opened.navigate(f"{path.as_uri()}#view?status=fail,error,waived,skipped&subscription={SUB_PROD}")
        assert opened.evaluate("document.getElementById('filter-subscription').value") == SUB_PROD
        assert count(opened, "table-count") == "showing 0 of 2 findings"
        assert count(opened, "matrix-count") == "showing 0 of 1 clusters"
        view(opened, "#view?status=fail,error,waived,skipped", path)
        assert count(opened, "table-count") == "showing 2 of 2 findings"  # the hub's and the cluster's


def test_the_page_is_written_in_pieces_each_whole_utf8(estate: tuple[ScanResult, Path]) -> None:
    """Never one string of the whole page: pieces of about a megabyte, each whole UTF-8 characters, that
    join to the page."""
    result, path = estate
    chunks = list(render_html(result, max_detailed=200, max_resources=100))
    assert len(chunks) >= 2 and all(len(chunk) <= 3 << 20 for chunk in chunks)
    assert "".join(chunk.decode("utf-8") for chunk in chunks) == path.read_text(encoding="utf-8")
