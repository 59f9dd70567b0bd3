"""Evaluate all built-in policies over a generated estate and render every report format.

    .venv/bin/python benchmarks/scale.py [--clusters 10000] [--baseline-clusters 1000]

Prints wall time per stage and peak RSS for our evaluator, and — in the same run, on the same machine —
the ratio against a naive baseline that converts the resource into a CEL activation once per
(policy, resource) instead of once per resource. Then the command a user runs, ``aks-auditor scan
--inventory`` of the same estate written as a snapshot (every policy, every format, default processes),
against the library's own evaluation and rendering above: what the command adds (its start, reading the
snapshot, writing the files). Each measurement runs in its own process so peak RSS belongs to that
measurement alone. Goal for 10,000 clusters / 40,000 pools: <= 3 s, <= 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate_estate import build_estate


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, clusters: int, processes: int = 1) -> dict[str, Any]:
    from auditor.gcpause import collector_paused
    from auditor.policies.documents import Gap, iter_documents
    from auditor.policies.evaluator import Evaluator, evaluate_policy
    from auditor.policies.loader import Selection, configure, load_policy_dirs
    from auditor.reporters.interface import OutputFormat
    from auditor.reporters.registry import renderer_for
    from auditor.scan import evaluation_time, run_scan

    estate = build_estate(clusters=clusters)
    rss_estate = _rss_mb()
    policies = configure(load_policy_dirs(Path("policies"), []), Selection(enable=frozenset({"FLEET-005"})))
    stages: dict[str, float] = {}
    started = time.perf_counter()
    if mode == "naive":
        evaluator = Evaluator(policies, evaluation_time(estate))
        count = 0
        for view in iter_documents(estate):
            if isinstance(view, Gap):
                continue
            for policy in evaluator.by_kind.get(view.kind, []):
                activation = evaluator.environments[view.kind].activation(view.document)
                evaluate_policy(policy, view, activation)
                count += 1
        stages["evaluate"] = time.perf_counter() - started
        return {
            "mode": mode,
            "clusters": clusters,
            "findings": count,
            "stages": stages,
            "peak_rss_mb": _rss_mb(),
            "estate_rss_mb": rss_estate,
        }
    result = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None, processes=processes)
    stages["evaluate"] = time.perf_counter() - started
    with collector_paused():  # as the CLI does while it writes the reports
        for fmt in OutputFormat:
            begin = time.perf_counter()
            rendered = renderer_for(fmt).render(result)
            if isinstance(rendered, str):
                size = len(rendered.encode())
            elif isinstance(rendered, bytes):
                size = len(rendered)
            else:  # streamed chunks: consumed one at a time, as the CLI writes them
                size = sum(len(chunk) for chunk in rendered)
            stages[f"render {fmt.value}"] = time.perf_counter() - begin
            stages[f"size {fmt.value} MB"] = size / 1e6
    return {
        "mode": mode,
        "clusters": clusters,
        "findings": len(result.findings),
        "stages": stages,
        "peak_rss_mb": _rss_mb(),
        "estate_rss_mb": rss_estate,
    }


def write_snapshot(clusters: int, path: Path) -> None:
    """Child: the generated estate as the snapshot ``collect`` would write."""
    from auditor.inventory.snapshot import dump_model

    path.write_text(dump_model(build_estate(clusters=clusters)), encoding="utf-8")


def command(*args: str) -> dict[str, Any]:
    """``aks-auditor ARGS`` in its own process: wall time, its own peak RSS (wait4), exit code."""
    begin = time.perf_counter()
    running = subprocess.Popen(
        [sys.executable, "-m", "auditor", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert running.stderr is not None
    err = running.stderr.read()
    _, status, usage = os.wait4(running.pid, 0)
    running.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": time.perf_counter() - begin,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "code": running.returncode,
        "err": err.decode()[-300:],
    }


def _child(mode: str, clusters: int, processes: int = 1) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--clusters",
            str(clusters),
            "--processes",
            str(processes),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--baseline-clusters", type=int, default=1_000)
    parser.add_argument("--child")
    parser.add_argument("--snapshot", type=Path, help="child: write the generated estate here")
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="evaluation processes of the second run (0: the scan default)",
    )
    args = parser.parse_args()
    if args.snapshot:
        write_snapshot(args.clusters, args.snapshot)
        return
    if args.child:
        print(json.dumps(measure(args.child, args.clusters, args.processes)))
        return
    from auditor.policies.parallel import default_processes

    processes = args.processes or default_processes(args.clusters * 5)  # clusters + 4 pools each
    full = _child("ours", args.clusters)
    parallel = _child("ours", args.clusters, processes)
    ours_small = _child("ours", args.baseline_clusters)
    naive_small = _child("naive", args.baseline_clusters)
    print(f"# Scale benchmark: {args.clusters:,} clusters x 4 pools, all built-in policies, all formats\n")
    print(f"findings: {full['findings']:,}")
    total_render = 0.0
    for stage, value in full["stages"].items():
        unit = "" if "MB" in stage else " s"
        print(f"  {stage:<22} {value:8.2f}{unit}")
        if stage.startswith("render"):
            total_render += value
    total = full["stages"]["evaluate"] + total_render
    print(f"  {'total (eval+render)':<22} {total:8.2f} s   (goal <= 3 s)")
    print(
        f"  peak RSS               {full['peak_rss_mb']:8.0f} MB  (estate alone {full['estate_rss_mb']:.0f} MB; goal <= 500 MB)"
    )
    total_parallel = parallel["stages"]["evaluate"] + sum(
        value for stage, value in parallel["stages"].items() if stage.startswith("render")
    )
    print(
        f"\nthe same with --processes {processes} (evaluation in {processes} processes), against one above:"
    )
    print(
        f"  evaluate               {parallel['stages']['evaluate']:8.2f} s   (one process: {full['stages']['evaluate']:.2f} s)"
    )
    print(f"  total (eval+render)    {total_parallel:8.2f} s   (one process: {total:.2f} s)")
    print(
        f"  peak RSS (this process) {parallel['peak_rss_mb']:7.0f} MB  (workers are forked: their own RSS comes on top)"
    )
    print(f"  findings identical     {parallel['findings'] == full['findings']} (count)")
    ratio = naive_small["stages"]["evaluate"] / ours_small["stages"]["evaluate"]
    print(f"\nbaseline, {args.baseline_clusters:,} clusters, evaluation only:")
    print(f"  ours (one activation per resource)      {ours_small['stages']['evaluate']:.2f} s")
    print(f"  naive (one activation per policy+resource) {naive_small['stages']['evaluate']:.2f} s")
    print(f"  ratio naive/ours                        {ratio:.2f}x")
    with tempfile.TemporaryDirectory(prefix="aks-auditor-scale-") as folder:
        snapshot = Path(folder) / "estate.json"
        subprocess.run(
            [sys.executable, __file__, "--clusters", str(args.clusters), "--snapshot", str(snapshot)],
            check=True,
        )
        formats = [arg for fmt in ("json", "sarif", "html", "junit", "markdown") for arg in ("--format", fmt)]
        started = command("--help")
        scanned = command(
            "scan", "--inventory", str(snapshot), "--enable", "FLEET-005", *formats,
            "--output-dir", str(Path(folder) / "reports"), "--quiet",
        )  # fmt: skip
        written = len(list((Path(folder) / "reports").iterdir()))
    # 1: the generated estate fails policies; 3: some of its resources cannot be judged (error findings)
    if scanned["code"] not in (0, 1, 3) or written != 5:
        raise SystemExit(f"scan --inventory exited {scanned['code']} ({written} reports): {scanned['err']}")
    print("\nthe command, `aks-auditor scan --inventory` of the same estate as a snapshot, every format:")
    print(
        f"  scan --inventory       {scanned['seconds']:8.2f} s   (library above, {processes} processes: {total_parallel:.2f} s)"
    )
    print(
        f"  peak RSS (main process) {scanned['peak_rss_mb']:7.0f} MB  (library above: {parallel['peak_rss_mb']:.0f} MB)"
    )
    print(
        f"  `aks-auditor --help`   {started['seconds']:8.2f} s, {started['peak_rss_mb']:.0f} MB (the command's start)"
    )


if __name__ == "__main__":
    main()
