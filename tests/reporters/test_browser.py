"""The HTML report in a real headless Chromium: it renders, its script runs, and it needs no network."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.findings import ScanResult
from tests.reporters.test_html import html_text

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (CI installs it: apt-get install -y chromium)"
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


@pytest.fixture
def report(tmp_path: Path, result: ScanResult) -> Path:
    path = tmp_path / "aks-auditor.html"
    path.write_text(html_text(result), encoding="utf-8")
    return path


def test_dom_after_load(tmp_path: Path, report: Path) -> None:
    done = chromium(tmp_path, "--enable-logging=stderr", "--v=0", "--dump-dom", report.as_uri())
    dom = done.stdout
    # the console stays silent: no error, and no Content-Security-Policy violation (it would be logged)
    assert [line for line in done.stderr.splitlines() if ":CONSOLE" in line] == []
    assert '<section id="summary">' in dom
    assert re.search(r'id="count-fail">\s*<span class="num">6</span>', dom)
    assert re.search(r'id="count-pass">\s*<span class="num">3</span>', dom)
    assert "Scan incomplete: 2 gaps, 2 findings could not be evaluated" in dom
    # The filter script ran: controls revealed, passing-only resources hidden until "pass" is ticked.
    assert (
        '<div id="filters" class="filters" role="search" aria-label="Filter the matrix and the findings">'
        in dom
    )
    anchor = (
        r'id="r-[0-9a-f]{12}" data-cluster="r-[0-9a-f]{12}" data-subscription="[0-9a-f-]*" data-region="\w*"'
    )
    assert re.search(rf'<div class="resource" data-resource="" {anchor} hidden="">\s*<h4>user1 ', dom)
    assert re.search(rf'<div class="resource" data-resource="" {anchor}>\s*<h4>system ', dom)


def test_screenshot_renders(tmp_path: Path, report: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,2000", report.as_uri())
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 50_000, "a blank page compresses to a few kilobytes"
