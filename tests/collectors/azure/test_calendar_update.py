"""`calendar update` and `scan --release-calendar URL` over HTTPS, through azure-core's pipeline, against the
fake's endoflife.date API v1 stand-in (same CA bundle and proxy settings as the SDK clients)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.arm import FakeArm, Fault

from ...conftest import run_cli as run
from ...test_release_calendar import api_v1

PATH = "/api/v1/products/azure-kubernetes-service"


def test_update_fetches_validates_and_writes_the_calendar(arm: FakeArm, tmp_path: Path) -> None:
    arm.estate.release_calendar = api_v1()
    arm.inject("release_calendar", Fault(status=503))  # one transient failure: the pipeline retries it
    target = tmp_path / "calendar.json"
    code, out, err = run("calendar", "update", "-o", str(target), "--url", arm.base + PATH)
    assert (code, err) == (0, "")
    assert out == f"calendar: {target} (2 minors, newest 1.36, as of 2026-11-28)\n"
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["kind"] == "ReleaseCalendar" and written["source"] == arm.base + PATH
    assert [r["releaseCycle"] for r in written["releases"]] == ["1.36", "1.26"]
    assert "eoes" not in written["releases"][1]  # 1.26 has no long-term support
    assert [c.status for c in arm.calls("release_calendar")] == [503, 200]
    # the file it wrote is what --release-calendar reads
    code, out, _ = run("calendar", "show", "--release-calendar", str(target))
    assert code == 0 and out.splitlines()[3].split()[:2] == ["1.36", "2026-06-30"]


def test_nothing_is_written_when_the_fetch_or_the_content_fails(arm: FakeArm, tmp_path: Path) -> None:
    target = tmp_path / "calendar.json"
    target.write_text("previous", encoding="utf-8")
    code, out, err = run("calendar", "update", "-o", str(target), "--url", arm.base + PATH)
    assert (code, out) == (3, "")
    assert err == f'aks-auditor: error: {arm.base + PATH}: HTTP 404 \'{{"message": "Product not found"}}\'\n'
    arm.estate.release_calendar = api_v1(name="amazon-eks")
    code, _, err = run("calendar", "update", "-o", str(target), "--url", arm.base + PATH)
    assert code == 2
    assert err == (
        f"aks-auditor: error: {arm.base + PATH}: result.name is 'amazon-eks', expected 'azure-kubernetes-service'\n"
    )
    arm.estate.release_calendar = b"<html>maintenance</html>"
    code, _, err = run("calendar", "update", "-o", str(target), "--url", arm.base + PATH)
    assert code == 3
    assert (
        err == f"aks-auditor: error: {arm.base + PATH}: the response is not JSON: Expecting value at line 1\n"
    )
    assert target.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "calendar.json",
        "fake-arm-ca.pem",
    ]  # no temp file left


def test_scan_reads_the_calendar_from_a_url(arm: FakeArm, tmp_path: Path) -> None:
    arm.estate.release_calendar = api_v1()
    out = tmp_path / "r"
    code, stdout, err = run(
        "scan", "--demo", "--release-calendar", arm.base + PATH, "--output-dir", str(out), "--format", "json"
    )
    assert err == ""
    assert f"Calendar: {arm.base + PATH}, as of 2026-11-28" in stdout
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["scan"]["calendar"]["origin"] == arm.base + PATH
    assert code == 3  # 1.27-1.35 are not in this two-minor calendar: error findings, never a pass


def test_update_refuses_a_url_it_cannot_fetch_with_one_line(tmp_path: Path) -> None:
    code, out, err = run("calendar", "update", "-o", str(tmp_path / "c.json"), "--url", "ftp://mirror/aks")
    assert (code, out) == (2, "")
    assert err == "aks-auditor: error: --url ftp://mirror/aks: expected an https:// (or http://) URL\n"
    assert list(tmp_path.iterdir()) == []
