"""Re-measure the CEL engine candidates on this machine against a plain-Python baseline.

Run: ``.venv/bin/python benchmarks/cel_engines.py [--documents N] [--repeat R]``. Each engine runs in its own
subprocess (``--engine NAME`` prints one JSON object) so import time and peak RSS are per engine; the parent
prints a markdown table and the ratios. Every engine's results are compared with plain Python on every
document. Throughput figures are the median of R timed runs of ``--budget`` seconds each (one thread).
The checks and documents are in cel_workload.py, the engine adapters in cel_adapters.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from cel_adapters import ENGINES, Engine
from cel_workload import CHECKS, generate

# ---------------------------------------------------------------------------------------------------------
# One engine, measured in its own process


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _throughput(step: Callable[[Any], object], items: list[Any], budget: float) -> float:
    """Calls per second of ``step`` over ``items`` (cycled) for about ``budget`` seconds."""
    gc.collect()
    count = 0
    start = time.perf_counter()
    deadline = start + budget
    while True:
        for item in items:
            step(item)
            count += 1
            if count % 8 == 0 and time.perf_counter() >= deadline:
                return count / (time.perf_counter() - start)


def _median_throughput(step: Callable[[Any], object], items: list[Any], budget: float, repeat: int) -> float:
    return statistics.median(_throughput(step, items, budget) for _ in range(repeat))


def _conversion_us(engine: Engine, docs: list[dict[str, Any]], budget: float, repeat: int) -> float:
    """Microseconds to turn one document into the engine's input, all variables materialised."""
    if engine.distribution is None:
        return 0.0
    if engine.touch is None:
        return 1e6 / _median_throughput(engine.convert, docs, budget, repeat)
    touch = engine.touch
    fresh = 1e6 / _median_throughput(lambda doc: touch(engine.convert(doc)), docs, budget, repeat)
    materialised = [engine.convert(doc) for doc in docs[:50]]
    for converted in materialised:
        touch(converted)
    return fresh - 1e6 / _median_throughput(touch, materialised, budget, repeat)


def _compile_all(engine: Engine, errors: dict[str, str]) -> tuple[list[Any], list[float | None]]:
    programs: list[Any] = []
    millis: list[float | None] = []
    for check in CHECKS:
        samples = []
        try:
            for _ in range(15):
                start = time.perf_counter()
                program = engine.compile(check)
                samples.append(time.perf_counter() - start)
        except Exception as error:
            errors[check.name] = f"does not compile: {type(error).__name__}: {error}"
            programs.append(None)
            millis.append(None)
            continue
        programs.append(program)
        millis.append(statistics.median(samples) * 1000)
    return programs, millis


def _run_all(engine: Engine, programs: list[Any], doc: dict[str, Any]) -> list[bool | str]:
    converted = engine.convert(doc)
    return [engine.run(p, converted) if p is not None else "not compiled" for p in programs]


def _agreement(
    reference: list[tuple[bool, ...]], results: Iterable[list[bool | str]], errors: dict[str, str]
) -> list[int]:
    """Disagreements with plain Python per check; the first wrong answer per check goes into ``errors``."""
    wrong = [0] * len(CHECKS)
    for expected, got in zip(reference, results, strict=True):
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            if have is not want:
                wrong[index] += 1
                errors.setdefault(CHECKS[index].name, f"got {have!r}, expected {want!r}"[:240])
    return wrong


def measure(name: str, documents: int, repeat: int, budget: float, seed: int) -> dict[str, Any]:
    """Everything the table needs for one engine; runs in a fresh process."""
    docs = generate(documents, seed)
    reference = [tuple(check.python(doc) for check in CHECKS) for doc in docs]
    rss_base = _rss_mb()
    start = time.perf_counter()
    engine = ENGINES[name]()
    setup_ms = (time.perf_counter() - start) * 1000
    errors: dict[str, str] = {}
    programs, compile_ms = _compile_all(engine, errors)

    start = time.perf_counter()
    results = [_run_all(engine, programs, doc) for doc in docs]  # also the warm-up
    first_pass = documents / (time.perf_counter() - start)
    wrong = _agreement(reference, results, errors)
    del results
    rss_pass = _rss_mb()  # after a fixed amount of work: one pass of all six checks over every document

    all_six = _median_throughput(lambda doc: _run_all(engine, programs, doc), docs, budget * 4, repeat)
    per_call: list[float | None] = []
    for program, misses in zip(programs, wrong, strict=True):
        if program is None or misses:  # a rate for wrong answers means nothing
            per_call.append(None)
            continue
        step = lambda doc, program=program: engine.run_per_call(program, doc)  # noqa: E731
        per_call.append(_median_throughput(step, docs, budget, repeat))
    rss_end = _rss_mb()  # before timing conversion, which keeps a few converted inputs alive
    convert_us = _conversion_us(engine, docs, budget, repeat)
    return {
        "engine": name,
        "version": importlib.metadata.version(engine.distribution) if engine.distribution else "",
        "setup_ms": setup_ms if engine.distribution else None,
        "compile_ms": compile_ms if engine.distribution else [None] * len(CHECKS),
        "convert_us": convert_us if engine.distribution else None,
        "all_six_docs_per_s": all_six,
        "first_pass_docs_per_s": first_pass,
        "per_call_evals_per_s": per_call,
        "wrong": wrong,
        "errors": errors,
        "rss_base_mb": rss_base,
        "rss_pass_mb": rss_pass,
        "rss_end_mb": rss_end,
    }


# ---------------------------------------------------------------------------------------------------------
# The parent: one subprocess per engine, then the report


def _run_engine(name: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--engine",
        name,
        "--documents",
        str(args.documents),
        "--repeat",
        str(args.repeat),
        "--budget",
        str(args.budget),
        "--seed",
        str(args.seed),
    ]
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"engine": name, "failed": f"timed out after {args.timeout:g} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return {"engine": name, "failed": f"exit {proc.returncode}: {tail}"}
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"engine": name, "failed": f"no result on stdout: {lines[-1][:200]!r}"}
    result["wall_s"] = time.perf_counter() - started
    return result


def _rate(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1_000_000:
        return f"{value / 1e6:.1f}M"
    if value >= 100_000:
        return f"{value / 1000:.0f}k"
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def _span(values: Iterable[float | None], fmt: Callable[[float], str]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "n/a"
    low, high = min(present), max(present)
    text = fmt(low) if fmt(low) == fmt(high) else f"{fmt(low)}–{fmt(high)}"
    missing = len(CHECKS) - len(present)
    return f"{text} ({len(present)} of {len(CHECKS)} checks)" if missing else text


def _row(result: dict[str, Any], documents: int) -> str:
    name = result["engine"]
    if "failed" in result:
        return f"| {name} | – | failed: {result['failed']} |" + " |" * 6
    failing = sum(1 for w in result["wrong"] if w)
    all_six = _rate(result["all_six_docs_per_s"]) + (f" ({failing} checks wrong)" if failing else "")
    total = documents * len(CHECKS)
    agree = total - sum(result["wrong"])
    agreement = f"{agree:,}/{total:,}" + ("" if agree == total else " ✗")
    cells = [
        _label(result),
        result["version"] or platform.python_version(),
        all_six,
        _span(result["per_call_evals_per_s"], _rate),
        "–" if result["convert_us"] is None else f"{result['convert_us']:.0f}",
        "–" if result["setup_ms"] is None else _span(result["compile_ms"], lambda v: f"{v:.2f}"),
        "–" if result["setup_ms"] is None else f"{result['setup_ms']:.0f}",
        f"{result['rss_pass_mb']:.0f} (+{result['rss_pass_mb'] - result['rss_base_mb']:.0f})",
        agreement,
    ]
    return "| " + " | ".join(cells) + " |"


def _label(result: dict[str, Any]) -> str:
    return "plain Python" if result["engine"] == "python" else result["engine"]


def _ratio(reference: dict[str, Any] | None, result: dict[str, Any]) -> str:
    """How many times the time of ``reference`` the engine takes: all six per document; one check."""
    if reference is None or "failed" in reference or "failed" in result:
        return "n/a"
    whole = reference["all_six_docs_per_s"] / result["all_six_docs_per_s"]
    pairs = zip(reference["per_call_evals_per_s"], result["per_call_evals_per_s"], strict=True)
    each = [ref / got if ref and got else None for ref, got in pairs]
    return f"{_times(whole)} / {_span(each, _times)}"


def _times(value: float) -> str:
    return f"{value:.0f}×" if value >= 100 else f"{value:.2f}×" if value < 10 else f"{value:.1f}×"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    by_name = {r["engine"]: r for r in results}
    python, native = by_name.get("python"), by_name.get("cel-expr-python")
    lines = [
        f"{args.documents:,} documents (seed {args.seed}), median of {args.repeat} timed runs of "
        f"{args.budget:g} s ({4 * args.budget:g} s for all six); Python {platform.python_version()}, "
        f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores available, one thread per engine.",
        "",
        "| engine | version | all 6 per document, converted once (docs/s) | one check, converted per call "
        "(evals/s) | converting one document (µs) | compile per expression (ms) | import + setup (ms) "
        "| peak RSS MB after one pass (+ over the documents) | agreement with Python |",
        "|---|---|---|---|---|---|---|---|---|",
        *(_row(r, args.documents) for r in results),
        "",
        "Time relative to a reference (all six per document / one check, per check range; >1 is slower):",
        "",
        "| engine | × plain Python | × cel-expr-python |",
        "|---|---|---|",
        *(f"| {_label(r)} | {_ratio(python, r)} | {_ratio(native, r)} |" for r in results),
        "",
        "Notes (the first wrong answer or error per check):",
    ]
    for result in results:
        if "failed" in result:
            lines.append(f"- {result['engine']}: FAILED — {result['failed']}")
            continue
        growth = result["rss_end_mb"] - result["rss_pass_mb"]
        if growth > 5:
            lines.append(f"- {result['engine']}: peak RSS grew another {growth:.0f} MB during the timed runs")
        for check, message in result.get("errors", {}).items():
            count = result["wrong"][[c.name for c in CHECKS].index(check)]
            lines.append(f"- {result['engine']}, {check} ({count:,} documents wrong): {message}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000, help="synthetic cluster documents (5000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement, median (3)")
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timed run (0.2)")
    parser.add_argument("--seed", type=int, default=20241115)
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per engine (600)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated subset")
    parser.add_argument("--engine", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.documents < 1 or args.repeat < 1:
        parser.error("--documents and --repeat must be at least 1")
    if args.engine:  # the child: one JSON line on stdout
        try:
            result = measure(args.engine, args.documents, args.repeat, args.budget, args.seed)
        except Exception as error:
            result = {"engine": args.engine, "failed": f"{type(error).__name__}: {error}"}
        print(json.dumps(result))
        return 0
    names = args.engines.split(",")
    for name in names:
        if name not in ENGINES:
            parser.error(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    results = []
    for name in names:
        result = _run_engine(name, args)
        status = result.get("failed") or f"done in {result['wall_s']:.1f} s"
        print(f"{name}: {status}", file=sys.stderr, flush=True)
        results.append(result)
    print(report(results, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
