"""Findings in resource order: the parts of one scan judged apart — by worker processes
(auditor/policies/parallel.py) or by shards (``scan --shard``, joined by ``merge``) — put back as one
process would have produced them.

Each part lists, for every resource it judged, the resource's position in the estate's document order
(auditor/policies/documents.py ``iter_documents``) and how many findings it produced; the findings are
in that order. Interleaving the parts by position gives the findings of one scan over the whole estate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from auditor.findings import Finding


@dataclass(frozen=True)
class Judged:
    """The findings of some of an estate's resources, with each resource's position and finding count."""

    findings: list[Finding] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)


class OverlapError(ValueError):
    """Two parts judged the resource at the same position."""


def interleave(parts: Iterable[Judged]) -> Judged:
    """The parts as one, in position order (OverlapError when a position is in two parts; ValueError
    when a part's counts do not add up to its findings)."""
    runs: list[tuple[int, list[Finding], int, int]] = []
    for part in parts:
        if len(part.positions) != len(part.counts) or sum(part.counts) != len(part.findings):
            raise ValueError(
                f"{len(part.positions)} positions and {len(part.counts)} counts of {sum(part.counts)} "
                f"findings do not describe {len(part.findings)} findings"
            )
        start = 0
        for position, count in zip(part.positions, part.counts, strict=True):
            runs.append((position, part.findings, start, count))
            start += count
    runs.sort(key=lambda run: run[0])
    joined = Judged()
    previous = None
    for position, items, start, count in runs:
        if position == previous:
            raise OverlapError(f"the resource at position {position} was judged twice")
        previous = position
        joined.findings.extend(items[start : start + count])
        joined.positions.append(position)
        joined.counts.append(count)
    return joined
