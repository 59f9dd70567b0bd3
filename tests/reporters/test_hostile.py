"""Names, tags, messages and evidence come from anyone who can write to a cluster: markup, event
handlers, style breakouts, javascript: URLs and bidi controls in every field the HTML report shows must
render as inert text — checked in the document and in a real Chromium (no script of theirs runs)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from auditor.findings import ListedWaiver, ReportTags, ScanResult, Status, WaiverNote, WaiverReport
from auditor.inventory.estate import SubscriptionRef
from tests.conftest import run_cli
from tests.reporters.devtools import browser
from tests.reporters.test_browser import CHROMIUM, FLAGS
from tests.reporters.test_html import html_text, parse, scripts

PAYLOADS = (
    "<script>window.pwned=1</script>",
    '"onerror="window.pwned=2',
    "</style><script>window.pwned=3</script>",
    "<img src=x onerror=window.pwned=4>",
    "]]></svg><script>window.pwned=5</script>",
    "javascript:window.pwned=6",
    "\u202egnp.exe\u202c",
)
EVIL = " ".join(PAYLOADS)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScanResult, str]:
    folder = tmp_path_factory.mktemp("hostile")
    assert run_cli("scan", "--demo", "-q", "--format", "json", "--output-dir", str(folder))[0] == 1
    result = ScanResult.model_validate_json((folder / "aks-auditor.json").read_text(encoding="utf-8"))
    findings = tuple(
        f.model_copy(
            update={
                "resource_name": f"{f.resource_name}{EVIL}",
                "message": EVIL,
                "title": EVIL,
                "subscription_name": EVIL,
                "location": f"{f.location}{EVIL}" if f.location else None,
                "evidence": {EVIL: EVIL, "list": [EVIL]},
                "waiver": WaiverNote(reason=EVIL, expires=date(2099, 1, 1), approved_by=EVIL),
            }
            | ({"status": Status.WAIVED} if f.status is Status.FAIL and index % 7 == 0 else {})
        )
        for index, f in enumerate(result.findings)
    )
    scope = result.scan.scope.model_copy(
        update={
            "subscriptions": tuple(
                SubscriptionRef(id=s.id, name=EVIL) for s in result.scan.scope.subscriptions
            )
        }
    )
    policies = tuple(
        p.model_copy(update={"title": EVIL, "help_uri": "javascript:window.pwned=7"}) for p in result.policies
    )
    listed = ListedWaiver(waiver=EVIL, reason=EVIL, expires=date(2020, 1, 1), approved_by=EVIL)
    evil = result.model_copy(
        update={
            "findings": findings,
            "scan": result.scan.model_copy(update={"scope": scope, "source": EVIL}),
            "policies": policies,
            "waivers": WaiverReport(applied=1, expired=(listed,), stale=(listed,)),
            "report_tags": ReportTags(
                names=(EVIL,),
                resources={
                    f.resource_id.lower(): {EVIL: EVIL} for f in findings if f.resource_kind == "cluster"
                },
            ),
        }
    )
    return evil, html_text(evil)


def test_every_field_renders_as_text(hostile: tuple[ScanResult, str]) -> None:
    _, html = hostile
    page = parse(html)
    script, data = scripts(page)  # the report's own script and its data block, nothing else
    assert len(page.all("style")) == 1
    assert "pwned" not in script.content and "pwned" not in page.all("style")[0].content
    shown = json.dumps(data, ensure_ascii=False)
    assert "\u202e" not in shown and "[U+202E]gnp.exe[U+202C]" in shown  # made visible in the data too
    assert not page.all("img") and not page.all("iframe")
    handlers = [(e.tag, name) for e in page.elements for name in e.attrs if name.startswith("on")]
    assert handlers == []
    assert not [
        e.attrs["href"] for e in page.elements if (e.attrs.get("href") or "").lower().startswith("javascript")
    ]
    text = "".join(page.text)
    for payload in PAYLOADS[:-1]:
        assert payload in text  # shown, as text
    assert "\u202e" not in html and "\u202c" not in html
    assert "[U+202E]gnp.exe[U+202C]" in text  # the spoof made visible
    for section in (
        "glance",
        "worst-clusters",
        "by-subscription",
        "policy-table",
        "waiver-table",
        "findings",
    ):
        assert page.by_id(section) is not None, section


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install -y chromium)"
)
def test_no_script_of_theirs_runs_in_chromium(hostile: tuple[ScanResult, str], tmp_path: Path) -> None:
    _, html = hostile
    report = tmp_path / "hostile.html"
    report.write_text(html, encoding="utf-8")
    assert CHROMIUM is not None
    with browser(CHROMIUM, FLAGS, tmp_path / "profile") as page:
        page.navigate(report.as_uri())
        assert page.evaluate("typeof window.pwned") == "undefined"
        assert page.evaluate("document.getElementById('filters').hidden") is False  # ours did run
        noise = page.seen("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")
        assert noise == [], json.dumps(noise)[:500]
        requests = [e["params"]["request"]["url"] for e in page.seen("Network.requestWillBeSent")]
        assert requests == [report.as_uri()]
