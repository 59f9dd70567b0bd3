"""Markdown job summary: tables stay tables whatever the data holds, and the size stays bounded."""

from __future__ import annotations

import re
from collections.abc import Callable

from auditor.findings import ScanResult, Status
from auditor.reporters.markdown import MAX_ROWS, md_cell, render_markdown

MakeResult = Callable[..., ScanResult]
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_after(text: str, heading: str) -> list[str]:
    section = text.split(heading, 1)[1]
    lines = section.split("\n\n")[1].splitlines() if section.startswith("\n\n") else []
    return [line for line in lines if line.startswith("|")]


def test_summary_coverage_and_findings(result: ScanResult) -> None:
    text = render_markdown(result)
    assert text.startswith("## aks-auditor: 6 failing, 2 not evaluated\n")
    assert "**Scan incomplete: 2 gaps, 2 findings could not be evaluated.**" in text
    assert "| 6 | 2 | 1 | 1 | 3 | 13 |" in text
    assert "| | 2 | 2 | 0 | 1 | 1 | 6 |" in text
    assert "| subscription | 33333333-3333-3333-3333-333333333333 | resource graph query |" in text
    rows = table_after(text, "### Findings to act on")
    assert rows[2].startswith("| critical | fail | AKS-002 | system | Node image")
    statuses = [row.split("|")[2].strip() for row in rows[2:]]
    assert statuses == ["fail"] * 6 + ["error"] * 2
    assert "waived" not in statuses and "pass" not in statuses


def test_hostile_cells_do_not_break_the_table(make_result: MakeResult) -> None:
    text = render_markdown(make_result(hostile=True))
    assert "<script>" not in text
    rows = table_after(text, "### Findings to act on")
    assert all(len(UNESCAPED_PIPE.findall(row)) == 6 for row in rows)
    hostile = next(row for row in rows if "AKS-001" in row)
    assert r"out of support \| see &lt;script&gt;alert(1)&lt;/script&gt; second line" in hostile


def test_md_cell_escapes_markdown() -> None:
    assert md_cell("a|b\nc") == r"a\|b c"
    assert md_cell("[x](javascript:y) *b* _i_ `c`") == r"\[x\](javascript:y) \*b\* \_i\_ \`c\`"
    assert md_cell("x" * 400).endswith("…")
    assert len(md_cell("x" * 400)) == 300


def test_row_limit_and_size(make_result: MakeResult, result: ScanResult) -> None:
    template = next(f for f in result.findings if f.status is Status.FAIL)
    many = [
        template.model_copy(update={"resource_id": f"{template.resource_id}-{i}", "message": "m" * 2000})
        for i in range(MAX_ROWS + 20)
    ]
    text = render_markdown(make_result(findings=many))
    rows = table_after(text, "### Findings to act on")
    assert len(rows) == 2 + MAX_ROWS
    assert "... and 20 more." in text
    assert len(text.encode()) < 1_000_000


def test_complete_scan_says_so(make_result: MakeResult, result: ScanResult) -> None:
    clean = make_result(complete=True, findings=[f for f in result.findings if f.status is Status.PASS])
    text = render_markdown(clean)
    assert "Scan incomplete" not in text
    assert "Complete: every subscription" in text
    assert "None: no failing or unevaluated findings." in text


def test_says_when_the_estate_was_collected(result: ScanResult) -> None:
    text = render_markdown(result)
    assert (
        "· scanned 2024-06-03 08:00:00 UTC · estate collected / judged as of 2024-06-02 06:30:00 UTC ·"
        in text
    )


def test_rows_are_the_most_severe_when_cut(make_result: MakeResult, result: ScanResult) -> None:
    low = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "AKS-003")
    high = next(f for f in result.findings if f.status is Status.FAIL and f.policy_id == "FLT-001")
    many = [
        template.model_copy(update={"resource_id": f"{template.resource_id}-{n}"})
        for n in range(MAX_ROWS)
        for template in (low, high)
    ]
    rows = table_after(render_markdown(make_result(findings=many)), "### Findings to act on")[2:]
    assert len(rows) == MAX_ROWS
    assert all(row.startswith("| high | fail | FLT-001 |") for row in rows)
