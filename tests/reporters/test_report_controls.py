"""The demo report in a real headless Chromium driven through the DevTools protocol: it loads from disk
with a silent console and no network request, the filters narrow the findings to the counts of the JSON
result, the view survives a reload through the URL fragment, tables sort, print media hides the
controls; screenshots of the top, the worst clusters and one cluster go to the test's output folder."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.reporters.devtools import Page, browser
from tests.reporters.test_browser import CHROMIUM, FLAGS

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install -y chromium)"
)
#: Where the screenshots go: AKS_AUDITOR_SCREENSHOTS (the README's documented command sets it), else the
#: test's temporary folder.
SHOTS = "AKS_AUDITOR_SCREENSHOTS"
LISTED = {"fail", "error", "waived", "skipped"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("demo-report")
    code, _, _ = run_cli(
        "scan", "--demo", "-q", "--format", "html", "--format", "json", "--output-dir", str(folder)
    )
    assert code == 1
    return folder / "aks-auditor.html", json.loads((folder / "aks-auditor.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, demo: tuple[Path, dict[str, Any]]) -> Iterator[Page]:
    assert CHROMIUM is not None
    with browser(CHROMIUM, (*FLAGS, "--window-size=1400,1000"), tmp_path_factory.mktemp("profile")) as opened:
        opened.navigate(demo[0].as_uri())
        yield opened


def visible(page: Page) -> int:
    """Findings listed one by one (in full, or a skipped line) that the filters leave visible."""
    return int(
        page.evaluate(
            "Array.from(document.querySelectorAll('[data-resource] [data-severity]'))"
            ".filter(e => e.offsetParent !== null).length"
        )
    )


def set_filters(page: Page, **values: Any) -> None:
    """Tick exactly the given statuses / severities, pick the selects, as a user would (input events)."""
    script = []
    for name in ("status", "severity"):
        if name in values:
            script.append(
                f"document.querySelectorAll('#filters input[name={name}]').forEach(b => "
                f"b.checked = {json.dumps(values[name])}.includes(b.value));"
            )
    for name in ("subscription", "region", "policy"):
        if name in values:
            script.append(
                f"document.querySelector('#filters select[name={name}]').value = {json.dumps(values[name])};"
            )
    script.append("document.getElementById('filters').dispatchEvent(new Event('change', {bubbles: true}));")
    page.evaluate("\n".join(script))


def test_loads_from_disk_silently_and_offline(page: Page, demo: tuple[Path, dict[str, Any]]) -> None:
    noise = page.seen("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")
    assert noise == []
    requests = [e["params"]["request"]["url"] for e in page.seen("Network.requestWillBeSent")]
    assert requests == [demo[0].as_uri()]  # the document itself, nothing else
    assert page.evaluate("document.getElementById('filters').hidden") is False


def test_filters_narrow_to_the_json_counts(page: Page, demo: tuple[Path, dict[str, Any]]) -> None:
    findings = demo[1]["findings"]
    statuses = sorted(LISTED)
    set_filters(page, status=statuses, severity=["critical", "high", "medium", "low", "info"])
    assert visible(page) == sum(f["status"] in LISTED for f in findings)
    set_filters(page, severity=["high"])
    high = sum(f["status"] in LISTED and f["severity"] == "high" for f in findings)
    assert 0 < visible(page) == high < sum(f["status"] in LISTED for f in findings)
    nonprod = next(
        s["id"] for s in demo[1]["scan"]["scope"]["subscriptions"] if s["name"] == "contoso-nonprod"
    )
    set_filters(page, severity=["critical", "high", "medium", "low", "info"], subscription=nonprod.lower())
    assert visible(page) == sum(f["status"] in LISTED and f["subscriptionId"] == nonprod for f in findings)
    set_filters(page, subscription="", status=["fail"], policy="AKS-008")
    assert visible(page) == sum(f["status"] == "fail" and f["policyId"] == "AKS-008" for f in findings) > 0
    assert page.evaluate("document.getElementById('filter-count').value").startswith(
        f"showing {visible(page)} of "
    )
    set_filters(page, status=statuses, policy="", region="eastus")
    assert visible(page) == sum(f["status"] in LISTED and f["location"] == "eastus" for f in findings) > 0


def test_the_fragment_restores_the_view_after_a_reload(page: Page, demo: tuple[Path, dict[str, Any]]) -> None:
    set_filters(
        page, status=["fail", "error"], severity=["high", "critical"], subscription="", region="", policy=""
    )
    expected = visible(page)
    fragment = page.evaluate("location.hash")
    assert fragment == "#view?status=fail%2Cerror&severity=critical%2Chigh"
    page.navigate("about:blank")
    page.navigate(demo[0].as_uri() + fragment)
    assert visible(page) == expected
    assert page.evaluate("Array.from(document.querySelectorAll('#filters input:checked')).map(b => b.value)") == [
        "fail", "error", "critical", "high",
    ]  # fmt: skip
    page.navigate(demo[0].as_uri())  # back to the default view for the other tests


def test_tables_sort_by_a_header_button(page: Page) -> None:
    names = (
        "Array.from(document.querySelectorAll('#by-subscription tbody th')).map(t => t.textContent.trim())"
    )
    before = page.evaluate(names)
    page.evaluate("document.querySelector('#by-subscription thead th button').click()")
    assert page.evaluate(names) == sorted(before, key=str.lower)
    assert (
        page.evaluate("document.querySelector('#by-subscription thead th').getAttribute('aria-sort')")
        == "ascending"
    )
    page.evaluate("document.querySelector('#by-subscription thead th button').click()")
    assert page.evaluate(names) == sorted(before, key=str.lower, reverse=True)
    score = "Array.from(document.querySelectorAll('#by-subscription tbody tr')).map(r => parseFloat(r.cells[2].textContent))"
    page.evaluate("document.querySelectorAll('#by-subscription thead th button')[2].click()")
    assert page.evaluate(score) == sorted(page.evaluate(score))
    assert page.evaluate("document.activeElement.tagName") in ("BODY", "BUTTON")


def test_print_media_hides_the_controls(page: Page) -> None:
    page.call("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert page.evaluate("getComputedStyle(document.getElementById('filters')).display") == "none"
        assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    finally:
        page.call("Emulation.setEmulatedMedia", {"media": ""})
    assert page.evaluate("getComputedStyle(document.getElementById('filters')).display") != "none"


def _shoot(page: Page, selector: str, path: Path) -> None:
    box = page.evaluate(
        f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
        " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: Math.min(r.height, 1800)}; })()"
    )
    shot = page.call(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": {**box, "scale": 1}},
    )
    data = base64.b64decode(shot["data"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000, selector  # not a blank image
    path.write_bytes(data)


def test_screenshots(page: Page, tmp_path: Path) -> None:
    folder = Path(os.environ.get(SHOTS) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    worst_cluster = page.evaluate("document.querySelector('#worst-clusters tbody a').getAttribute('href')")
    for name, selector in (
        ("report-top.png", "body > header"),
        ("report-glance.png", "#glance"),
        ("report-matrix.png", "#matrix"),
        ("report-cluster.png", f"[id={json.dumps(worst_cluster[1:])}]"),
    ):
        _shoot(page, selector, folder / name)
    assert sorted(p.name for p in folder.glob("report-*.png")) == [
        "report-cluster.png",
        "report-glance.png",
        "report-matrix.png",
        "report-top.png",
    ]


def visible_matrix(page: Page) -> list[str]:
    return list(
        page.evaluate(
            "Array.from(document.querySelectorAll('#estate-matrix tbody tr')).filter(r => !r.hidden)"
            ".map(r => r.cells[0].textContent.trim())"
        )
    )


def test_the_filters_narrow_the_matrix(page: Page, demo: tuple[Path, dict[str, Any]]) -> None:
    findings = [f for f in demo[1]["findings"] if f["resourceKind"] in ("cluster", "nodePool")]

    def cluster(f: dict[str, Any]) -> str:
        return str(f["resourceId"].split("/agentPools/")[0].rsplit("/", 1)[-1])

    everyone = {cluster(f) for f in findings}
    set_filters(page, status=["fail", "error", "waived", "skipped"], severity=["critical", "high", "medium", "low", "info"],
                subscription="", region="", policy="")  # fmt: skip
    assert sorted(visible_matrix(page)) == sorted(everyone) and len(everyone) == 12
    set_filters(page, severity=["critical"])
    assert sorted(visible_matrix(page)) == sorted(
        {cluster(f) for f in findings if f["status"] == "fail" and f["severity"] == "critical"}
    )
    nonprod = next(
        s["id"] for s in demo[1]["scan"]["scope"]["subscriptions"] if s["name"] == "contoso-nonprod"
    )
    set_filters(page, severity=["critical", "high", "medium", "low", "info"], subscription=nonprod.lower())
    assert sorted(visible_matrix(page)) == sorted(
        {cluster(f) for f in findings if f["subscriptionId"] == nonprod}
    )
    set_filters(page, subscription="", status=["fail"], policy="AKS-008")
    assert sorted(visible_matrix(page)) == sorted(
        {cluster(f) for f in findings if f["policyId"] == "AKS-008" and f["status"] == "fail"}
    )
    assert (
        page.evaluate("document.getElementById('matrix-count').value")
        == f"showing {len(visible_matrix(page))} of 12 clusters"
    )
    set_filters(page, status=["fail", "error", "waived", "skipped"], policy="")


CONTRAST = r"""
(() => {
  function rgb(text) { const m = text.match(/[\d.]+/g); return m ? m.map(Number) : [0, 0, 0, 0]; }
  function lum(c) {
    const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function background(element) {
    for (let e = element; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) { return c; }
    }
    return [255, 255, 255];
  }
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || seen.has(element) || element.closest("svg")) { continue; }
    seen.add(element);
    if (element.offsetParent === null && getComputedStyle(element).position !== "fixed") { continue; }
    const style = getComputedStyle(element);
    const fg = lum(rgb(style.color)), bg = lum(background(element));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) { low.push([element.tagName, element.className, node.textContent.trim().slice(0, 30), ratio.toFixed(2)]); }
  }
  return low;
})()
"""


def test_text_meets_wcag_aa_contrast(page: Page) -> None:
    """Every visible text (outside the charts) against its background: 4.5:1, or 3:1 for large text."""
    set_filters(page, status=["fail", "error", "waived", "skipped", "pass"])
    try:
        low = page.evaluate(CONTRAST)
    finally:
        set_filters(page, status=["fail", "error", "waived", "skipped"])
    assert low == []


def test_controls_are_reachable_by_keyboard(page: Page) -> None:
    """Tab reaches the filters and the sort buttons; none is a bare clickable element without focus."""
    focusable = page.evaluate(
        "Array.from(document.querySelectorAll('#filters input, #filters select, button.sort'))"
        ".filter(e => e.tabIndex >= 0 && !e.disabled).length"
    )
    total = page.evaluate("document.querySelectorAll('#filters input, #filters select, button.sort').length")
    assert focusable == total > 20
    assert page.evaluate("document.querySelectorAll('[onclick], div[tabindex], span[tabindex]').length") == 0
