"""JUnit writer: our per-suite ElementTree serialization against a whole-document ElementTree baseline.

    .venv/bin/python benchmarks/junit_writer.py [--clusters 10000] [--previous FILE]

Evaluates the built-in policies over a generated estate once, saves the result as JSON, then renders
JUnit from it in a fresh process per writer, so each peak RSS belongs to that writer alone (the result
itself is loaded first and dominates the process's peak RSS, so the writer's own memory is the peak
that ``tracemalloc`` sees while it renders, measured in a second process per writer so tracing does not
slow the timed run). The baseline builds the whole
``<testsuites>`` tree and writes it with one ``ElementTree.write`` — the obvious ElementTree program.
``--previous FILE`` adds a third writer: a ``render_junit`` in another module file (the retired
hand-written string writer is measured this way in benchmarks/results/junit_writer.md). Every writer's
document is parsed back and must hold the same testcases.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _whole_tree(result: Any) -> Iterator[bytes]:
    """Baseline: every suite of ours under one root element, serialized in one call."""
    from auditor.reporters import junit

    root = ET.Element("testsuites")
    policies = junit.policies_with_stand_ins(result)
    by_policy: dict[str, dict[Any, list[Any]]] = {
        pid: {status: [] for status in junit.STATUS_ORDER} for pid in policies
    }
    for finding in result.findings:
        by_policy[finding.policy_id][finding.status].append(finding)
    for pid, suite in by_policy.items():
        root.append(junit._suite(policies[pid], suite))
    ET.indent(root)
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="us-ascii", xml_declaration=False)
    yield buffer.getvalue()


def _writer(name: str, previous: str | None) -> Callable[[Any], Iterator[bytes]]:
    if name == "ours":
        from auditor.reporters.junit import render_junit

        return render_junit
    if name == "whole-tree":
        return _whole_tree
    assert previous is not None
    spec = importlib.util.spec_from_file_location("previous_junit", previous)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render_junit  # type: ignore[no-any-return]


def measure(name: str, result_file: str, previous: str | None, trace: bool) -> dict[str, Any]:
    from auditor.result_file import load_result

    started = time.perf_counter()
    result = load_result(Path(result_file))
    loaded = time.perf_counter() - started
    rss_loaded = _rss_mb()
    render = _writer(name, previous)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    size = 0
    with tempfile.TemporaryFile() as sink:
        for chunk in render(result):
            size += len(chunk)
            sink.write(chunk)
        seconds = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
        tracemalloc.stop()
        peak = _rss_mb()
        sink.seek(0)
        cases = sum(1 for _, element in ET.iterparse(sink) if element.tag == "testcase")
    return {
        "writer": name,
        "findings": len(result.findings),
        "testcases": cases,
        "load_s": round(loaded, 2),
        "render_s": round(seconds, 2),
        "bytes": size,
        "rss_after_load_mb": round(rss_loaded),
        "peak_rss_mb": round(peak),
        "render_peak_mb": round(traced),
    }


def _child(name: str, result_file: str, previous: str | None) -> dict[str, Any]:
    """The timed run, with the render's traced memory peak from a second (traced) run merged in."""
    runs = []
    for trace in (False, True):
        argv = [sys.executable, __file__, "--child", name, "--result", result_file]
        argv += ["--previous", previous] if previous else []
        argv += ["--trace"] if trace else []
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    timed, traced = runs
    return {**timed, "render_peak_mb": traced["render_peak_mb"]}


def _write_result(clusters: int, path: Path) -> None:
    from auditor.atomic import write_atomic
    from auditor.policies.loader import Selection, configure, load_policy_dirs
    from auditor.reporters.interface import OutputFormat
    from auditor.reporters.registry import renderer_for
    from auditor.scan import run_scan
    from benchmarks.generate_estate import build_estate

    estate = build_estate(clusters=clusters)
    policies = configure(load_policy_dirs(Path("policies"), []), Selection(enable=frozenset({"FLEET-005"})))
    result = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None)
    write_atomic(path, renderer_for(OutputFormat.JSON).render(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--previous", help="a module file with another render_junit to measure too")
    parser.add_argument("--child")
    parser.add_argument("--result")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.result, args.previous, args.trace)))
        return
    with tempfile.TemporaryDirectory() as folder:
        result_file = str(Path(folder) / "result.json")
        _write_result(args.clusters, Path(result_file))
        names = ["ours", "whole-tree"] + (["previous"] if args.previous else [])
        rows = [_child(name, result_file, args.previous) for name in names]
    if len({row["testcases"] for row in rows} | {rows[0]["findings"]}) != 1:
        raise SystemExit(f"writers disagree on the testcases: {rows}")
    print(f"{args.clusters} clusters, {rows[0]['findings']} findings; one process per writer")
    print(f"{'writer':<12}{'render s':>10}{'render peak MB':>16}{'process peak MB':>17}{'bytes':>12}")
    for row in rows:
        print(
            f"{row['writer']:<12}{row['render_s']:>10}{row['render_peak_mb']:>16}"
            f"{row['peak_rss_mb']:>17}{row['bytes']:>12}"
        )
    base = next(row for row in rows if row["writer"] == "whole-tree")
    ours = rows[0]
    print(
        f"ours vs whole-tree: {base['render_s'] / max(ours['render_s'], 1e-9):.1f}x the speed, "
        f"{ours['render_peak_mb']} MB vs {base['render_peak_mb']} MB traced while rendering"
    )


if __name__ == "__main__":
    main()
