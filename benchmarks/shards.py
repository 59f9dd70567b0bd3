"""The merge step of the sharded recipe at estate scale: join N shard snapshots, then scan the merged one.

    .venv/bin/python benchmarks/shards.py [--clusters 50000] [--subscriptions 1000] [--shards 8]

The generated estate (benchmarks/generate_estate.py) is split by auditor/shard.py's partition into
``--shards`` snapshots as `collect --shard I/N` would write them (each marked with its shard; memberships
only within its own fleets), written as files. Then, each in its own process so that its peak RSS is its
own: ``merge --inventory`` of the shard files (load, check, join, write), against reading and writing the
single snapshot back (the baseline: what the merge costs beyond the I/O it cannot avoid); and
``scan --inventory`` of the merged snapshot with every built-in policy and every report format. Prints
wall time and peak RSS of each, and whether the merged snapshot equals the single one.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def split(clusters: int, subscriptions: int, shards: int, folder: Path) -> dict[str, Any]:
    """Child: generate the estate, write it whole and as ``shards`` shard snapshots."""
    from auditor.collectors.azure.normalize import attach_memberships
    from auditor.inventory import Coverage, Estate, ShardInfo, SubscriptionRef
    from auditor.inventory.base import normalize_id
    from auditor.inventory.estate import normalize_location
    from auditor.inventory.snapshot import dump_model
    from auditor.shard import owner, scope_digest
    from benchmarks.generate_estate import build_estate

    generated = build_estate(clusters=clusters, subscriptions=subscriptions)
    ids = sorted({r.id.split("/")[2] for r in (*generated.clusters, *generated.fleets)}, key=str.lower)
    estate = generated.model_copy(  # as one collection would have written it
        update={
            "clusters": tuple(
                attach_memberships(
                    sorted(generated.clusters, key=lambda c: normalize_id(c.id)), generated.fleets
                )
            ),
            "fleets": tuple(sorted(generated.fleets, key=lambda f: normalize_id(f.id))),
            "catalogs": tuple(sorted(generated.catalogs, key=lambda c: normalize_location(c.location))),
            "scope": generated.scope.model_copy(
                update={
                    "subscriptions": tuple(SubscriptionRef(id=sub) for sub in ids),
                    "hub_contexts": tuple(hub.name for hub in generated.hubs),
                }
            ),
        }
    )
    del generated
    started = time.perf_counter()
    (folder / "single.json").write_text(dump_model(estate), encoding="utf-8")
    subs = [s.id for s in estate.scope.subscriptions]

    def mine(resource_id: str, index: int) -> bool:
        return owner(resource_id.split("/")[2], shards) == index

    for index in range(shards):
        fleets = tuple(f for f in estate.fleets if mine(f.id, index))
        clusters_here = attach_memberships(
            [c.model_copy(update={"fleet_memberships": ()}) for c in estate.clusters if mine(c.id, index)],
            fleets,
        )
        part = Estate(
            collected_at=estate.collected_at,
            source=estate.source,
            scope=estate.scope.model_copy(
                update={
                    "subscriptions": tuple(
                        s for s in estate.scope.subscriptions if owner(s.id, shards) == index
                    )
                }
            ),
            coverage=Coverage(read={"managedClusters": len(clusters_here)}),
            clusters=tuple(clusters_here),
            catalogs=estate.catalogs,
            fleets=fleets,
            hubs=tuple(h for h in estate.hubs if (mine(h.fleet_id, index) if h.fleet_id else index == 0)),
            shard=ShardInfo(
                index=index, count=shards, scope_subscriptions=len(subs), scope_digest=scope_digest(subs)
            ),
        )
        (folder / f"shard-{index}.json").write_text(dump_model(part), encoding="utf-8")
    return {"write_s": time.perf_counter() - started, "rss_mb": _rss_mb(), "clusters": len(estate.clusters)}


def _run(arguments: list[str]) -> dict[str, Any]:
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from auditor.cli.app import main; main()", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - begin
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "code": done.returncode, "peak_mb": peak, "err": done.stderr[-300:]}


def _child_json(arguments: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def roundtrip(folder: Path) -> dict[str, Any]:
    """Child (the baseline): read the single snapshot and write it again."""
    from auditor.inventory.snapshot import dump_model, load_estate

    begin = time.perf_counter()
    estate = load_estate(folder / "single.json")
    (folder / "roundtrip.json").write_text(dump_model(estate), encoding="utf-8")
    return {"seconds": time.perf_counter() - begin, "peak_mb": _rss_mb()}


def _child_measure(arguments: list[str]) -> dict[str, Any]:
    """A measurement in a fresh interpreter of its own (RUSAGE_CHILDREN accumulates the maximum)."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", json.dumps(arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=50_000)
    parser.add_argument("--subscriptions", type=int, default=1_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--child", choices=("split", "roundtrip"))
    parser.add_argument("--measure")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child == "split":
        print(json.dumps(split(args.clusters, args.subscriptions, args.shards, args.folder)))
        return
    if args.child == "roundtrip":
        print(json.dumps(roundtrip(args.folder)))
        return
    if args.measure:
        print(json.dumps(_run(json.loads(args.measure))))
        return
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="shards-bench-") as name:
        folder = Path(name)
        common = ["--folder", str(folder), "--clusters", str(args.clusters)]
        common += ["--subscriptions", str(args.subscriptions), "--shards", str(args.shards)]
        made = _child_json(["--child", "split", *common])
        sizes = {p.name: p.stat().st_size / 1e6 for p in folder.glob("*.json")}
        shards = [str(folder / f"shard-{i}.json") for i in range(args.shards)]
        merged = _child_measure(["merge", "--inventory", *shards, "-o", str(folder / "merged.json"), "-q"])
        baseline = _child_json(["--child", "roundtrip", *common])
        startup = _child_measure(["--version"])
        single = json.loads((folder / "single.json").read_text(encoding="utf-8"))
        joined = json.loads((folder / "merged.json").read_text(encoding="utf-8"))
        for document in (single, joined):
            document["coverage"].pop("read", None)
        same = single == joined
        del single, joined
        scan = _child_measure(
            ["scan", "--inventory", str(folder / "merged.json"), "--enable", "FLEET-005", "-q",
             "--output-dir", str(folder / "reports"), *[a for f in ("html", "json", "sarif", "junit", "markdown") for a in ("--format", f)]]
        )  # fmt: skip
        # The scan in shards (pods of an Indexed Job would run them at once; here one after another):
        # each judges its shard of the merged snapshot, then `merge RESULT…` renders every format.
        parts = []
        for index in range(args.shards):
            part_scan = ["scan", "--inventory", str(folder / "merged.json"), "--enable", "FLEET-005", "-q",
                         "--shard", f"{index}/{args.shards}", "--format", "json", "--output-dir", str(folder / f"part-{index}")]  # fmt: skip
            parts.append(_child_measure(part_scan))
        results = [str(folder / f"part-{index}" / "aks-auditor.json") for index in range(args.shards)]
        joined_scan = _child_measure(
            ["merge", *results, "-q", "--output-dir", str(folder / "joined"),
             *[a for f in ("html", "json", "sarif", "junit", "markdown") for a in ("--format", f)]]
        )  # fmt: skip
        one, two = (
            json.loads((folder / d / "aks-auditor.json").read_text("utf-8")) for d in ("reports", "joined")
        )
        for document in (one, two):
            for key in ("startedAt", "finishedAt"):
                document["scan"].pop(key)
        same_result = one == two
        findings = len(one["findings"])
        del one, two
    print(
        f"# Shard merge and scan: {made['clusters']:,} clusters, {args.subscriptions:,} subscriptions, {args.shards} shards\n"
    )
    print(f"load average at the start {' '.join(f'{x:.2f}' for x in load)}, {os.cpu_count()} CPUs\n")
    print("| step | wall | peak RSS | note |\n| --- | --- | --- | --- |")
    shard_mb = sum(v for k, v in sizes.items() if k.startswith("shard-"))
    print(
        f"| merge --inventory of {args.shards} shard files ({shard_mb:,.0f} MB) | {merged['seconds']:.1f} s | {merged['peak_mb']:,.0f} MB | exit {merged['code']}; merged == single snapshot (read counts aside): {same} |"
    )
    print(
        f"| baseline: read + write the single snapshot ({sizes['single.json']:,.0f} MB) | {baseline['seconds']:.1f} s | {baseline['peak_mb']:,.0f} MB | |"
    )
    print(
        f"| for scale: `aks-auditor --version` (interpreter and CLI start, part of the merge's wall time) | {startup['seconds']:.1f} s | {startup['peak_mb']:,.0f} MB | |"
    )
    print(
        f"| scan --inventory merged, every policy and format | {scan['seconds']:.1f} s | {scan['peak_mb']:,.0f} MB | exit {scan['code']} |"
    )
    slowest = max(parts, key=lambda part: part["seconds"])
    print(
        f"| scan --shard I/{args.shards} of the merged snapshot, JSON: slowest of {args.shards} (sum {sum(p['seconds'] for p in parts):.1f} s) | {slowest['seconds']:.1f} s | {max(p['peak_mb'] for p in parts):,.0f} MB (largest) | exits {sorted({p['code'] for p in parts})} |"
    )
    print(
        f"| merge of the {args.shards} results, every format | {joined_scan['seconds']:.1f} s | {joined_scan['peak_mb']:,.0f} MB | exit {joined_scan['code']}; == the single scan's result ({findings:,} findings, times aside): {same_result} |"
    )


if __name__ == "__main__":
    main()
