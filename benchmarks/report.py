"""The HTML report at estate scale, rendered by Python and loaded, painted and filtered in headless Chromium.

    .venv/bin/python benchmarks/report.py [--clusters 10000] [--loads 3] [--filters 5] [--load-timeout 120]
        [--memory-budget 10000] [--other-cap 1000] [--no-experiment] [--chromium /usr/bin/chromium]

Goals (10,000 generated clusters, every built-in policy as in scale.py): the HTML file <= 15 MB, the first
render in headless Chromium <= 2 s, a filter applied <= 200 ms. In the same run, the same result is also
rendered without our layout's caps (``max_detailed`` and ``max_resources`` unbounded: every fail / error /
waived finding in full, every resource listed) as the "naive, everything listed" baseline, and both pages
go through the same measurements:

1. ``render_html`` wall time, peak RSS of the rendering process, the file's size and where its bytes are;
2. the median of ``--loads`` navigations, each in a fresh tab (its own renderer): wall time from Page.navigate to
   Page.loadEventFired, the navigation timing (DOMContentLoaded, loadEventEnd), first-contentful-paint, the
   first frame after the load event, the renderer's script / style / layout time (Performance.getMetrics)
   and Chromium's peak RSS (its largest process's VmHWM, and all its processes sampled);
3. the median of ``--filters`` applications of a severity filter (only "high") and of a subscription filter
   (the subscription with the most findings), timed in the page with ``performance.now()`` around ticking
   the boxes, the ``change`` event the report's script handles and a forced layout
   (``document.body.offsetHeight``), and until the next frame has been produced (paint included); each
   preceded by clearing the filters (also timed), and the number of findings visible after.

Each render and each browser runs in its own process (peak RSS is that measurement's alone). A load that
takes longer than ``--load-timeout`` seconds, or a Chromium above ``--memory-budget`` MB of RSS in total
(then killed), is reported as such instead of waited for.

Unless ``--no-experiment``: the same browser measurements of our page edited by this benchmark (not in the
product), to see which part costs what: without the detailed findings' resource groups, without the paged
tables' data block (the tables then keep their first page), and rendered with ``max_detailed=--other-cap``;
then the bytes and DOM elements per section and per repeated part.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOALS = {"size": 15.0, "render": 2.0, "filter": 200.0}  # MB, s, ms
UNBOUNDED = 10**9
WINDOW = "--window-size=1400,1000"
MODES = ("ours", "baseline")
#: Experiments, not in the product (our page, edited by this benchmark), to see where the browser's time goes.
NO_LIST = "ours without the detailed list"
NO_DATA = "ours without the data block"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _sections(html: str) -> dict[str, float]:
    """MB per top-level section of <main> (the findings section split into its cap note and the rest)."""
    starts = [(match.start(), match.group(1)) for match in re.finditer(r'<section id="([\w-]+)"', html)]
    end = html.index("</main>")
    data = _data_block(html)
    outside = len(html) - end + starts[0][0] - (data[1] - data[0])
    sizes: dict[str, float] = {"head, header, script": outside / 1e6, "data block (JSON)": _data_mb(html)}
    for (start, name), (stop, _) in zip(starts, [*starts[1:], (end, "")], strict=True):
        part = html[start:stop]
        if name == "findings":
            first = part.find('<section class="group"')
            note = part[part.index('<div class="cap-note"') : first] if 'id="not-shown"' in part else ""
            sizes["findings: cap note"] = len(note.encode()) / 1e6
            sizes["findings: resources"] = (len(part.encode()) - len(note.encode())) / 1e6
        else:
            sizes[name] = len(part.encode()) / 1e6
    return sizes


def _data_block(html: str) -> tuple[int, int]:
    """Where the paged tables' data block is in the page (start and end of the whole element)."""
    start = html.find('<script type="application/json" id="report-data">')
    return (start, html.index("</script>", start) + len("</script>")) if start != -1 else (0, 0)


def _data_mb(html: str) -> float:
    start, end = _data_block(html)
    return len(html[start:end].encode()) / 1e6


def render(mode: str, clusters: int, out: Path, other_cap: int = 0) -> dict[str, Any]:
    """Child process: evaluate the estate, render the HTML report (capped or not), write it to ``out``."""
    from auditor.policies.loader import Selection, configure, load_policy_dirs
    from auditor.reporters.html import render_html
    from auditor.resources import builtin_policies_dir
    from auditor.scan import run_scan
    from benchmarks.generate_estate import build_estate

    estate = build_estate(clusters=clusters)
    policies = configure(
        load_policy_dirs(builtin_policies_dir(), []), Selection(enable=frozenset({"FLEET-005"}))
    )
    result = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None)
    del estate
    caps = {} if mode == "ours" else {"max_detailed": UNBOUNDED, "max_resources": UNBOUNDED}
    peak_before, rss_before = _peak_rss_mb(), _current_rss_mb()
    begin = time.perf_counter()
    html = b"".join(render_html(result, **caps)).decode("utf-8")
    seconds = time.perf_counter() - begin
    peak_after = _peak_rss_mb()
    data = html.encode("utf-8")
    out.write_bytes(data)
    if mode == "ours" and other_cap:  # an experiment: the same layout with another cap (after measuring)
        other = b"".join(render_html(result, max_detailed=other_cap)).decode("utf-8")
        out.with_name(f"{out.stem}-cap{other_cap}.html").write_text(other, encoding="utf-8")
    by_subscription = Counter(
        f.subscription_id.lower() for f in result.findings if f.subscription_id and f.status.value != "pass"
    )
    return {
        "mode": mode,
        "findings": len(result.findings),
        "to_act_on": sum(f.status.value in ("fail", "error", "waived") for f in result.findings),
        "articles": html.count('<article class="finding '),
        "skipped_lines": html.count('<li data-status="skipped"'),
        "resources": html.count("data-resource "),
        "render_s": seconds,
        "size_mb": len(data) / 1e6,
        "data_mb": _data_mb(html),
        "table_rows": html.count('<tr><th scope="row">'),
        "peak_rss_mb": peak_after,
        # the render's own growth is visible only if it raised the peak set by the scan before it
        "render_rss_mb": peak_after - rss_before,
        "render_raised_peak": peak_after > peak_before,
        "sections": _sections(html),
        "subscription": by_subscription.most_common(1)[0][0],
    }


def without_list(html: str) -> str:
    """Our page without the detailed findings' resource groups (the filters, the cap note and every table kept)."""
    section = html.index('<section id="findings"')
    first = html.find('<section class="group"', section)
    if first == -1:
        return html
    end = html.rindex("</section>", section, html.index("</main>"))
    return html[:first] + html[end:]


def without_data(html: str) -> str:
    """Our page without the paged tables' data block: they keep the first page written as HTML."""
    start, end = _data_block(html)
    return html[:start] + html[end:]


EXPERIMENTS = {NO_LIST: without_list, NO_DATA: without_data}


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        found.append(current)
        frontier.extend(child for child, parent in parents.items() if parent == current)
    return found


def _status_mb(pid: int, field: str) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return 0.0
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def _largest_hwm_mb(pid: int) -> float:
    """The peak RSS (VmHWM) of the largest process of the browser (the report's renderer)."""
    return max(_status_mb(process, "VmHWM") for process in _descendants(pid))


FILTERS_JS = """
window.__bench = (() => {
  const filters = document.getElementById('filters');
  const count = document.getElementById('filter-count');
  const frame = () => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  // as a user would: tick the boxes, pick the subscription, one change event (the report's script filters)
  return function timed(severities, subscription) {
    const start = performance.now();
    filters.querySelectorAll('input[name=severity]').forEach(b => { b.checked = severities.includes(b.value); });
    filters.querySelector('select[name=subscription]').value = subscription;
    filters.dispatchEvent(new Event('change', {bubbles: true}));
    const script = performance.now() - start;
    void document.body.offsetHeight;  // forced style and layout: their cost counts
    const sync = performance.now() - start;
    return frame().then(() => ({script: script, sync: sync, frame: performance.now() - start, count: count.value}));
  };
})();
"""
SEVERITIES = ["critical", "high", "medium", "low", "info"]

PAGE_JS = """
(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const paint = {};
  performance.getEntriesByType('paint').forEach(e => { paint[e.name] = e.startTime; });
  return {
    dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, response: nav.responseEnd,
    fp: paint['first-paint'] ?? null, fcp: paint['first-contentful-paint'] ?? null,
    elements: document.getElementsByTagName('*').length,
    sections: Array.from(document.querySelectorAll('main > section')).map(s => [s.id, s.getElementsByTagName('*').length]),
    count: document.getElementById('filter-count').value,
  };
})()
"""

#: The parts of the page that repeat per resource or per cluster: how many, their elements and bytes.
PARTS_JS = """
(() => {
  const parts = {};
  for (const [name, selector] of PARTS) {
    const found = document.querySelectorAll(selector);
    let elements = 0, bytes = 0;
    found.forEach(e => { elements += 1 + e.getElementsByTagName('*').length; bytes += e.outerHTML.length; });
    parts[name] = [found.length, elements, bytes];
  }
  return parts;
})()
"""
PARTS = [
    ["finding articles (in full)", "#findings article.finding"],
    ["cluster cards", "#findings .cluster-card"],
    ["skipped lines", "#findings ul.skipped"],
    ["resource headings (h4 + id line)", "#findings [data-resource] > h4, #findings [data-resource] > p.rid"],
    ["matrix rows (one page)", "#estate-matrix tbody tr"],
    ["findings table rows (one page)", "#finding-table tbody tr"],
]

FRAME_JS = "new Promise(done => requestAnimationFrame(() => setTimeout(() => done(performance.now()), 0)))"
METRICS = ("ScriptDuration", "RecalcStyleDuration", "LayoutDuration", "TaskDuration")


def _await(page: Any, expression: str) -> Any:
    from tests.reporters.devtools import DevToolsError

    answer = page.call(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
    )
    if "exceptionDetails" in answer:
        raise DevToolsError(f"{expression[:60]}: {answer['exceptionDetails']}")
    return answer["result"].get("value")


def _metrics(page: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in page.call("Performance.getMetrics")["metrics"]}


class _Watchdog(threading.Thread):
    """Samples the browser's total RSS; past ``budget_mb`` it kills the browser's processes (ours, by id)."""

    def __init__(self, pid: int, budget_mb: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.budget_mb = pid, budget_mb
        self.peak_mb = 0.0
        self.tripped = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            processes = _descendants(self.pid)
            total = sum(_status_mb(process, "VmRSS") for process in processes)
            self.peak_mb = max(self.peak_mb, total)
            if total > self.budget_mb:
                self.tripped = True
                for process in reversed(processes):
                    with suppress(ProcessLookupError):
                        os.kill(process, signal.SIGKILL)
                return


def _attach_fresh_tab(page: Any, previous: str | None) -> str:
    """A new tab (so a new renderer, its counters at zero) as the page's session; the previous one closed."""
    target = str(page.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"])
    page.session = page.call("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)[
        "sessionId"
    ]
    for domain in ("Page", "Runtime", "Performance"):
        page.call(f"{domain}.enable")
    if previous:
        page.call("Target.closeTarget", {"targetId": previous}, browser=True)
    page.seen()
    page.events.clear()
    return target


def in_browser(
    html: Path, chromium: str, loads: int, runs: int, timeout: float, subscription: str, budget_mb: float
) -> dict[str, Any]:
    """Child process: load the report ``loads`` times in a fresh headless Chromium, then time the filters."""
    import tests.reporters.devtools as devtools
    from tests.reporters.devtools import DevToolsError, browser
    from tests.reporters.test_browser import FLAGS

    url = html.resolve().as_uri()
    measured: dict[str, Any] = {"loads": [], "hwm_mb": 0.0, "size_mb": html.stat().st_size / 1e6}
    with tempfile.TemporaryDirectory() as profile, browser(chromium, (*FLAGS, WINDOW), Path(profile)) as page:
        watchdog = _Watchdog(page.process.pid, budget_mb)
        watchdog.start()
        devtools.TIMEOUT = timeout  # read at each call: a load (or a filter) longer than this fails
        target: str | None = None
        step = "loaded"
        begin = time.perf_counter()
        try:
            for _ in range(loads):
                target = _attach_fresh_tab(page, target)
                before = _metrics(page)
                begin = time.perf_counter()
                page.call("Page.navigate", {"url": url})
                page.wait_for("Page.loadEventFired")
                wall = time.perf_counter() - begin
                frame = _await(page, FRAME_JS)
                after = _metrics(page)
                load = dict(_await(page, PAGE_JS))
                load.update(wall=wall, frame=frame, js_heap_mb=after["JSHeapUsedSize"] / 2**20)
                load.update({name: after[name] - before.get(name, 0.0) for name in METRICS})
                load["other"] = load["TaskDuration"] - sum(load[name] for name in METRICS[:3])
                load["layouts"] = after["LayoutCount"] - before.get("LayoutCount", 0.0)
                measured["loads"].append(load)
                if "parts" not in measured:  # once, after the measurement (serializing is not timed)
                    measured["parts"] = _await(page, PARTS_JS.replace("PARTS", json.dumps(PARTS)))
                measured["hwm_mb"] = max(measured["hwm_mb"], _largest_hwm_mb(page.process.pid))
            step = "filtered"
            page.evaluate(FILTERS_JS)
            filters: dict[str, list[dict[str, Any]]] = {"severity": [], "subscription": [], "clear": []}
            measured["filters"] = filters
            begin = time.perf_counter()
            for _ in range(runs):
                for name, severities, chosen in (
                    ("severity", ["high"], ""),
                    ("subscription", SEVERITIES, subscription),
                ):
                    for key, arguments in (("clear", (SEVERITIES, "")), (name, (severities, chosen))):
                        filters[key].append(_await(page, f"__bench({json.dumps(arguments)[1:-1]})"))
                if time.perf_counter() - begin > timeout:
                    break  # fewer runs rather than waiting for ever: the median is over what was measured
            measured["hwm_mb"] = max(measured["hwm_mb"], _largest_hwm_mb(page.process.pid))
        except DevToolsError:
            measured["failed_after_s"] = time.perf_counter() - begin
            if watchdog.tripped:
                measured["error"] = f"Chromium over {budget_mb / 1024:.1f} GB RSS: killed before it {step}"
            else:
                measured["error"] = f"not {step} within {timeout:.0f} s"
        finally:
            watchdog.done.set()
            watchdog.join()
            measured["total_rss_mb"] = watchdog.peak_mb
    return measured


def _child(arguments: list[str], timeout: float) -> dict[str, Any]:
    """Run this file as a child (its own session, so a browser left behind goes with it on timeout)."""
    process = subprocess.Popen(
        [sys.executable, __file__, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"error": f"gave up after {timeout:.0f} s"}
    if process.returncode != 0:
        raise RuntimeError(f"{arguments[:2]} failed:\n{stderr}")
    return dict(json.loads(stdout.strip().splitlines()[-1]))


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _verdict(value: float | None, goal: float) -> str:
    return "" if value is None else (" ✓" if value <= goal else " ✗")


def _rows(
    rendered: dict[str, dict[str, Any]],
    loaded: dict[str, dict[str, Any]],
    modes: tuple[str, ...] = MODES,
    browser_only: bool = False,
    requested: int = 5,
) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    reported: set[str] = set()  # modes whose browser error is already in a row

    def row(label: str, goal: str, cell: Any, python: bool = False) -> None:
        if not (python and browser_only):
            rows.append((label, *(cell(mode) for mode in modes), goal))

    def browser_cell(pick: Any) -> Any:
        def cell(mode: str) -> str:
            data = loaded[mode]
            if not data.get("loads"):
                if mode in reported:
                    return "–"
                reported.add(mode)
                after = f" after {data['failed_after_s']:.0f} s" if "failed_after_s" in data else ""
                rss = f", {data['total_rss_mb'] / 1024:.1f} GB RSS" if data.get("total_rss_mb") else ""
                return f"**{data.get('error', 'not measured')}**{after}{rss}"
            return str(pick(data))

        return cell

    def load_median(key: str) -> Any:
        return lambda data: _median([load[key] for load in data["loads"] if load[key] is not None])

    def filter_cell(name: str, key: str, goal: float | None) -> Any:
        def pick(data: dict[str, Any]) -> str:
            runs = data.get("filters", {}).get(name)
            if not runs:
                return f"**{data.get('error', 'not measured')}**"
            value = _median([run[key] for run in runs])
            text = _ms(value) + ("" if goal is None else _verdict(value, goal))
            if key == "sync":
                text += f" (script {_median([run['script'] for run in runs]):,.0f})"
            return text + ("" if len(runs) >= requested else f" (median of {len(runs)})")

        return pick

    r = rendered
    row(
        "findings in the result",
        "",
        lambda m: f"{r[m]['findings']:,} ({r[m]['to_act_on']:,} fail/error/waived)",
        python=True,
    )
    row(
        "shown in full / skipped lines / resources listed / table rows in HTML",
        "",
        lambda m: (
            f"{r[m]['articles']:,} / {r[m]['skipped_lines']:,} / {r[m]['resources']:,} / {r[m]['table_rows']:,}"
        ),
        python=True,
    )
    row("render_html wall time", "", lambda m: f"{r[m]['render_s']:.2f} s", python=True)
    row(
        "data block of the paged tables (in the file)", "", lambda m: f"{r[m]['data_mb']:.1f} MB", python=True
    )
    row(
        "peak RSS of the rendering process (render's own growth)",
        "",
        lambda m: (
            f"{r[m]['peak_rss_mb']:,.0f} MB ({'' if r[m]['render_raised_peak'] else '≤ '}"
            f"+{r[m]['render_rss_mb']:,.0f} MB)"
        ),
        python=True,
    )
    goal = GOALS["size"]
    row(
        "HTML file size",
        f"≤ {goal:.0f} MB",
        lambda m: f"{r[m]['size_mb']:.1f} MB{_verdict(r[m]['size_mb'], goal)}",
        python=True,
    )
    if browser_only:
        row("HTML file size", f"≤ {GOALS['size']:.0f} MB", lambda m: f"{loaded[m]['size_mb']:.1f} MB")
    row("DOM elements after load", "", browser_cell(lambda d: f"{d['loads'][0]['elements']:,}"))
    goal = GOALS["render"]
    row(
        "navigate → load event (wall, median of loads)",
        f"≤ {goal:.0f} s",
        browser_cell(lambda d: f"{load_median('wall')(d):.2f} s{_verdict(load_median('wall')(d), goal)}"),
    )
    row(
        "first-contentful-paint",
        f"≤ {goal:.0f} s",
        browser_cell(lambda d: _ms(load_median("fcp")(d)) + _verdict(load_median("fcp")(d) / 1000, goal)),
    )
    row(
        "DOMContentLoaded (incl. the script's first filter pass)",
        "",
        browser_cell(lambda d: _ms(load_median("dcl")(d))),
    )
    row("loadEventEnd", "", browser_cell(lambda d: _ms(load_median("load")(d))))
    row("first frame after the load event", "", browser_cell(lambda d: _ms(load_median("frame")(d))))
    row(
        "renderer: script / style / layout / other (parse, DOM, paint) / all tasks",
        "",
        browser_cell(
            lambda d: (
                " / ".join(
                    f"{load_median(name)(d) * 1000:,.0f}" for name in (*METRICS[:3], "other", "TaskDuration")
                )
                + f" ms ({load_median('layouts')(d):,.0f} layouts)"
            )
        ),
    )
    row(
        "Chromium peak RSS: largest process / all (sampled) / JS heap",
        "",
        browser_cell(
            lambda d: (
                f"{d['hwm_mb']:,.0f} / {d['total_rss_mb']:,.0f} / {load_median('js_heap_mb')(d):,.0f} MB"
            )
        ),
    )
    goal = GOALS["filter"]
    for name, label in (("severity", "severity = high"), ("subscription", "one subscription")):
        row(
            f"filter {label}: script + style + layout",
            f"≤ {goal:.0f} ms",
            browser_cell(filter_cell(name, "sync", goal)),
        )
        row(
            f"filter {label}: until the next frame",
            f"≤ {goal:.0f} ms",
            browser_cell(filter_cell(name, "frame", goal)),
        )
        row(
            f"filter {label}: visible after",
            "",
            browser_cell(
                lambda d, n=name: d["filters"][n][-1]["count"] if d.get("filters", {}).get(n) else "–"
            ),
        )
    row("clear the filters: script + style + layout", "", browser_cell(filter_cell("clear", "sync", None)))
    row("clear the filters: until the next frame", "", browser_cell(filter_cell("clear", "frame", None)))
    return rows


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--filters", type=int, default=5)
    parser.add_argument("--load-timeout", type=float, default=120.0)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--child", choices=("render", "browser"))
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--subscription", default="")
    parser.add_argument(
        "--other-cap", type=int, default=1000, help="max_detailed of the other-cap experiment (0: skip it)"
    )
    parser.add_argument(
        "--memory-budget",
        type=float,
        default=10_000,
        help="MB of RSS (all Chromium processes) before giving up",
    )
    parser.add_argument(
        "--no-experiment", action="store_true", help="skip the experiments (edited pages, not in the product)"
    )
    args = parser.parse_args()
    if args.child == "render":
        print(json.dumps(render(args.mode, args.clusters, args.html, args.other_cap)))
        return
    if args.child == "browser":
        measured = in_browser(
            args.html,
            args.chromium,
            args.loads,
            args.filters,
            args.load_timeout,
            args.subscription,
            args.memory_budget,
        )
        print(json.dumps(measured))
        return

    started = datetime.now(UTC)
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    version = subprocess.run([args.chromium, "--version"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "auditor"], capture_output=True, text=True).stdout
    load_average = os.getloadavg()
    rendered: dict[str, dict[str, Any]] = {}
    loaded: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="report-bench-") as folder:
        for mode in MODES:
            html = Path(folder) / f"{mode}.html"
            common = ["--clusters", str(args.clusters), "--mode", mode, "--html", str(html)]
            common += ["--other-cap", str(0 if args.no_experiment else args.other_cap)]
            rendered[mode] = _child(["--child", "render", *common], timeout=1800)
            print(f"rendered {mode}: {rendered[mode]['size_mb']:.1f} MB", file=sys.stderr)
        pages = {mode: Path(folder) / f"{mode}.html" for mode in MODES}
        if not args.no_experiment:
            ours = pages["ours"].read_text(encoding="utf-8")
            for number, (name, edit) in enumerate(EXPERIMENTS.items()):
                pages[name] = Path(folder) / f"experiment-{number}.html"
                pages[name].write_text(edit(ours), encoding="utf-8")
            if args.other_cap:
                pages[f"ours, max_detailed={args.other_cap:,}"] = (
                    Path(folder) / f"ours-cap{args.other_cap}.html"
                )
        options = ["--chromium", args.chromium, "--loads", str(args.loads), "--filters", str(args.filters)]
        options += [
            "--load-timeout",
            str(args.load_timeout),
            "--memory-budget",
            str(args.memory_budget),
            "--subscription",
            rendered["ours"]["subscription"],
        ]
        budget = (
            args.load_timeout * (args.loads + 2) + 120
        )  # each load and the filter runs: <= --load-timeout
        for mode, html in pages.items():
            loaded[mode] = _child(["--child", "browser", "--html", str(html), *options], timeout=budget)
            print(f"loaded {mode}: {loaded[mode].get('error', 'ok')}", file=sys.stderr)

    print(f"# HTML report benchmark: {args.clusters:,} clusters, every built-in policy (FLEET-005 enabled)\n")
    print(
        f"{started:%Y-%m-%d %H:%M} UTC, load average {' '.join(f'{x:.2f}' for x in load_average)} at the start, "
        f"{os.cpu_count()} CPUs, {version or args.chromium}; medians of {args.loads} loads and {args.filters} "
        f"filter runs; commit {head}{' with uncommitted changes in auditor/' if dirty else ''}\n"
    )
    header = ("measure", "ours", "baseline (everything listed)", "goal")
    print(_table(header, _rows(rendered, loaded, requested=args.filters)))
    if NO_LIST in loaded:
        print(
            "\nExperiments, not in the product (our page edited by the benchmark): the page without the "
            "detailed findings' resource groups (every table kept); the page without the paged tables' data "
            "block (each keeps its first page); our layout with another `max_detailed`:\n"
        )
        modes = ("ours", *(mode for mode in loaded if mode not in MODES))
        print(
            _table(
                ("measure", *modes, "goal"),
                _rows(rendered, loaded, modes, browser_only=True, requested=args.filters),
            )
        )
    names = list(dict.fromkeys(name for mode in MODES for name in rendered[mode]["sections"]))
    elements: dict[str, dict[str, int]] = {
        mode: dict(loaded[mode]["loads"][0]["sections"]) if loaded[mode].get("loads") else {}
        for mode in MODES
    }
    print("\nWhere the bytes (and the DOM elements) are:\n")
    section_rows = []
    for name in names:
        cells = []
        for mode in MODES:
            size = rendered[mode]["sections"].get(name)
            count = elements[mode].get(name.split(":")[0])
            cell = "–" if size is None else f"{size:.2f} MB"
            if count is not None and not name.endswith("cap note"):
                cell += f" ({count:,} elements)"
            cells.append(cell)
        section_rows.append((name, *cells))
    print(_table(("part of the page", "ours", "baseline"), section_rows))
    if loaded["ours"].get("parts"):
        print("\nRepeated parts of our page (measured in the loaded page; bytes of their outerHTML):\n")
        part_rows = [
            (name, f"{count:,}", f"{elements:,}", f"{size / 1e6:.2f} MB")
            for name, (count, elements, size) in loaded["ours"]["parts"].items()
        ]
        print(_table(("part", "how many", "elements", "size"), part_rows))


if __name__ == "__main__":
    main()
