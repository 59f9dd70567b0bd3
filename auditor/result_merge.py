"""``aks-auditor merge RESULT…``: join the results of ``scan --shard I/N`` (every shard of one scan of
one estate) into the result one scan of the whole estate gives — the same findings in the same order,
so every format renders exactly as it would from one scan.

Refused (one InputError line, exit 2): a file that is not a shard's result, results of different scans
(shard count, estate, policies, calendar, gate or tool differ), a shard given twice, a missing shard.
Joined: findings, cluster cards, horizons and fleet cards back in the estate's order (each shard's result
records the positions, auditor/shard_scan.py); the summary counted again; coverage is the union (the
estate's gaps once, each shard's lost evaluation workers); the landscape added up; waivers applied add
up, and a waiver is stale only when it matched nothing in any shard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from auditor.errors import InputError
from auditor.findings import ReportTags, ResultShard, ScanResult, Summary, WaiverReport
from auditor.inventory import Coverage
from auditor.inventory.base import normalize_id
from auditor.landscape import merge_landscapes
from auditor.policies.order import Judged, OverlapError, interleave

T = TypeVar("T")

#: What every shard of one scan shares, by what a refusal calls it.
_SAME: tuple[tuple[str, Callable[[ScanResult], Any]], ...] = (
    ("shard count", lambda r: _shard(r).count),
    ("partition", lambda r: _shard(r).partition_key),
    ("estate", lambda r: _shard(r).estate),
    ("aks-auditor version", lambda r: r.tool.version),
    ("source", lambda r: r.scan.source),
    ("scope", lambda r: r.scan.scope),
    ("evaluation time", lambda r: r.scan.evaluated_at),
    ("policies", lambda r: r.policies),
    ("--fail-on", lambda r: r.scan.fail_on),
    ("release calendar", lambda r: r.scan.calendar),
    ("--report-tags", lambda r: r.report_tags.names if r.report_tags else None),
    ("--waivers", lambda r: r.waivers is not None),
)


def _shard(result: ScanResult) -> ResultShard:
    assert result.shard is not None  # checked first by _check
    return result.shard


def _check(results: Sequence[tuple[str, ScanResult]]) -> list[tuple[str, ScanResult]]:
    for origin, result in results:
        if result.shard is None:
            raise InputError(f"{origin}: not the result of a shard (a scan without --shard)")
        if result.baseline is not None or result.history is not None:
            raise InputError(f"{origin}: a shard's result compared with a baseline or history")
    first_origin, first = results[0]
    for origin, result in results[1:]:
        for what, value in _SAME:
            if value(result) != value(first):
                raise InputError(
                    f"{origin}: shard {_shard(result).index}/{_shard(result).count} is not of the scan of "
                    f"{first_origin} (shard {_shard(first).index}/{_shard(first).count}): the {what} differs"
                )
    seen: dict[int, str] = {}
    for origin, result in results:
        index = _shard(result).index
        if index in seen:
            raise InputError(f"{seen[index]} and {origin} are both shard {index}/{_shard(result).count}")
        seen[index] = origin
    count = _shard(first).count
    missing = [index for index in range(count) if index not in seen]
    if missing:
        given = ", ".join(f"{index}/{count}" for index in sorted(seen))
        raise InputError(
            f"missing shard {', '.join(f'{index}/{count}' for index in missing)} (given: {given}): "
            "a merge of fewer shards would be a silently smaller result"
        )
    for origin, result in results:
        shard = _shard(result)
        if len(shard.clusters) != len(result.clusters) or len(shard.fleets) != len(result.fleets):
            raise InputError(f"{origin}: shard.clusters / shard.fleets do not match its clusters and fleets")
    return sorted(results, key=lambda item: _shard(item[1]).index)


def _in_order(parts: Sequence[tuple[Sequence[int], Sequence[T]]]) -> tuple[T, ...]:
    pairs = [(p, item) for positions, items in parts for p, item in zip(positions, items, strict=True)]
    return tuple(item for _, item in sorted(pairs, key=lambda pair: pair[0]))


def _once(items: Sequence[T]) -> tuple[T, ...]:
    kept: list[T] = []
    for item in items:
        if item not in kept:
            kept.append(item)
    return tuple(kept)


def _coverage(results: Sequence[ScanResult]) -> Coverage:
    first = results[0].scan.coverage
    gaps = _once([gap for result in results for gap in result.scan.coverage.gaps])
    notes = _once([note for result in results for note in result.scan.coverage.notes])
    return Coverage(read=first.read, gaps=gaps, notes=notes)


def _waivers(results: Sequence[ScanResult]) -> WaiverReport | None:
    reports = [result.waivers for result in results if result.waivers is not None]
    if not reports:
        return None
    return WaiverReport(
        applied=sum(report.applied for report in reports),
        expired=_once([waiver for report in reports for waiver in report.expired]),
        stale=tuple(w for w in reports[0].stale if all(w in report.stale for report in reports[1:])),
    )


def _report_tags(results: Sequence[ScanResult], merged: ScanResult) -> ReportTags | None:
    first = results[0].report_tags
    if first is None:
        return None
    found = {key: tags for r in results if r.report_tags for key, tags in r.report_tags.resources.items()}
    ids = [card.resource_id for card in merged.clusters] + [card.resource_id for card in merged.fleets]
    order = [normalize_id(resource_id) for resource_id in ids]
    return ReportTags(names=first.names, resources={key: found[key] for key in order if key in found})


def merge_results(results: Sequence[tuple[str, ScanResult]]) -> ScanResult:
    """One scan's result from the results of every shard of it (``(origin, result)``, origin for
    messages); InputError naming the file when they are not that."""
    checked = [result for _, result in _check(results)]
    try:
        judged = interleave(
            Judged(list(r.findings), list(_shard(r).positions), list(_shard(r).counts)) for r in checked
        )
    except (OverlapError, ValueError) as error:
        raise InputError(f"the shards' findings do not fit together: {error}") from None
    findings = tuple(judged.findings)
    first = checked[0]
    merged = first.model_copy(
        update={
            "scan": first.scan.model_copy(
                update={
                    "started_at": min(r.scan.started_at for r in checked),
                    "finished_at": max(r.scan.finished_at for r in checked),
                    "coverage": _coverage(checked),
                }
            ),
            "findings": findings,
            "summary": Summary.of(findings),
            "horizon": _in_order([(_shard(r).clusters, r.horizon) for r in checked if r.horizon]),
            "clusters": _in_order([(_shard(r).clusters, r.clusters) for r in checked]),
            "fleets": _in_order([(_shard(r).fleets, r.fleets) for r in checked]),
            "landscape": merge_landscapes([r.landscape for r in checked if r.landscape is not None]),
            "waivers": _waivers(checked),
            "shard": None,
        }
    )
    return merged.model_copy(update={"report_tags": _report_tags(checked, merged)})
