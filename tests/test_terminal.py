"""Values written by anyone with access to a cluster never drive the user's terminal or split a line."""

from __future__ import annotations

import json
import logging
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.terminal import PrintableFormatter, printable

from .conftest import REPO, compliant_catalog, compliant_cluster, estate_document

HOSTILE = "evil\x1b[2J\x1b]0;owned\x07\nsecond\u202eline\x9b31m"
RAW_CONTROLS = (b"\x1b", b"\x07", "\u202e".encode(), "\x9b".encode())


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text, ünïcödé — fine", "plain text, ünïcödé — fine"),
        ("\x1b[2Jclear", "\\x1b[2Jclear"),
        ("title\x1b]0;x\x07", "title\\x1b]0;x\\x07"),
        ("two\nlines\r", "two\\x0alines\\x0d"),
        ("tab\there", "tab\\x09here"),
        ("csi\x9bm del\x7f nul\x00", "csi\\x9bm del\\x7f nul\\x00"),
        (
            "rtl\u202eoverride \u2066isolate\u2069 \u2028sep",
            "rtl\\u202eoverride \\u2066isolate\\u2069 \\u2028sep",
        ),
    ],
)
def test_printable_escapes_every_control_character(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert printable(shown) == shown  # escaping is idempotent: what it prints is printable


def test_keep_newlines_keeps_only_the_newline() -> None:
    assert printable("a\nb\x1b\r", keep_newlines=True) == "a\nb\\x1b\\x0d"


def test_log_lines_are_one_printable_line() -> None:
    record = logging.LogRecord("auditor.azure", logging.INFO, __file__, 1, "GET %s", (HOSTILE,), None)
    line = PrintableFormatter("aks-auditor: %(message)s").format(record)
    assert "\n" not in line and "\x1b" not in line and line.startswith("aks-auditor: GET evil\\x1b[2J")


def _run_in_a_terminal(*args: str, cwd: Path) -> bytes:
    """``python -m auditor ARGS`` with stdout and stderr on a real pseudo-terminal; everything it wrote."""
    controller, terminal = pty.openpty()
    environment = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": "200", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=environment,
        close_fds=True,
    )
    os.close(terminal)
    output = b""
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
        process.wait(timeout=60)
    return output


def test_hostile_names_and_reasons_reach_a_real_terminal_escaped(tmp_path: Path) -> None:
    cluster = compliant_cluster("evil") | {"name": HOSTILE, "currentKubernetesVersion": "1.29.1"}
    gap = {"scope": "subscription", "target": HOSTILE, "operation": "resourcegraph", "reason": HOSTILE}
    inventory = tmp_path / "estate.json"
    inventory.write_text(
        json.dumps(
            estate_document(clusters=[cluster], catalogs=[compliant_catalog()], coverage={"gaps": [gap]})
        ),
        encoding="utf-8",
    )
    output = _run_in_a_terminal("scan", "--inventory", str(inventory), "--format", "json", cwd=tmp_path)
    text = output.decode("utf-8")
    assert "Failing findings" in text, text  # the scan ran and printed its summary
    for control in RAW_CONTROLS:
        assert control not in output, (control, text)
    shown = "evil\\x1b[2J\\x1b]0;owned\\x07\\x0asecond\\u202eline\\x9b31m"
    assert shown in text
    # the escaped name stays on the line it belongs to (a raw newline would have split it)
    assert any(line.startswith("  [") and shown in line for line in text.splitlines())
    assert any(line.startswith("  - subscription ") and shown in line for line in text.splitlines())
