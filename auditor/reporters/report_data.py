"""The report's two big tables — the estate matrix (a row per cluster) and every finding to act on or
skipped (a row per finding) — as one compact JSON block that the page's script pages, sorts and filters.

At 10,000 clusters the matrix has 10,000 rows and the findings table ~160,000: as HTML rows they would
be most of a 100 MB, million-element page (benchmarks/results/report.md), so only the first page of
each is plain HTML (readable without script, worst first) and the whole table travels as data. The data
is small because it is made of indices into string tables, and a finding's message is stored as a
template with the resource's name parts replaced by control characters (``Cluster \\x01 runs ...``):
3,700 templates instead of 160,000 distinct messages at 10,000 clusters. The encoding is lossless —
every template is checked to decode to its message, and a message that does not is stored literally.

The JSON is embedded in ``<script type="application/json">`` (never executed, so the page's
Content-Security-Policy stays as strict); ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, so no
value can close the element, and bidirectional controls are made visible as everywhere in the report.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from auditor.cluster_cards import ClusterCard
from auditor.findings import SEVERITY_ORDER, STATUS_ORDER, Finding, ScanResult, Status
from auditor.horizon import ClusterHorizon
from auditor.inventory.base import normalize_id
from auditor.reporters.common import sort_findings, support_end_text, visible_controls
from auditor.reporters.glance import anchor, cluster_of
from auditor.reporters.matrix import Matrix, MatrixRow

#: Rows per page of each paged table (also the rows written as plain HTML for reading without script).
MATRIX_PAGE = 100
FINDINGS_PAGE = 100
#: The statuses the findings table lists; passing checks are only counted (the JSON report lists them).
TABLE_STATUSES = frozenset({Status.FAIL, Status.ERROR, Status.WAIVED, Status.SKIPPED})
#: A template that starts with this is the message itself (it could not be encoded losslessly).
LITERAL = "\x00"
#: Name parts shorter than this are not worth templating (and would match inside ordinary words).
_MIN_PART = 3
_TOKENS = tuple(chr(code) for code in range(1, 9))
_RESERVED = re.compile("[\x00-\x08]")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
#: Integers of a findings row, and rows written as text at a time.
_ROW = 5
_ROWS_PER_PIECE = 10_000


@lru_cache(maxsize=65_536)
def _parts(name: str) -> tuple[str, ...]:
    """The parts of a resource name a message may spell, longest first (``aks-01/pool1``: both)."""
    parts = [part for part in name.split("/") if len(part) >= _MIN_PART][: len(_TOKENS)]
    return tuple(sorted(parts, key=len, reverse=True))


def encode_message(message: str, name: str) -> str:
    """``message`` with each part of ``name`` replaced by a token (``\\x01`` the longest part, ...);
    :func:`decode_message` (and report.js's ``decode``) undo it exactly, or it is stored literally."""
    if _RESERVED.search(message):  # a token, or the literal marker, in the message itself
        return LITERAL + message
    parts = _parts(name)
    template = message
    for token, part in zip(_TOKENS, parts, strict=False):
        template = template.replace(part, token)
    return template if decode_message(template, name) == message else LITERAL + message


def decode_message(template: str, name: str) -> str:
    """The message a template stands for (the same steps as report.js's ``decode``, in reverse order)."""
    if template.startswith(LITERAL):
        return template[1:]
    parts = _parts(name)
    for token, part in reversed(tuple(zip(_TOKENS, parts, strict=False))):
        template = template.replace(token, part)
    return template


class _Strings:
    """A string table: each distinct string once, referenced by its index (-1 for none)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None:
            return -1
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.index)
        return found

    @property
    def values(self) -> list[str]:
        return [visible_controls(value) for value in self.index]


def table_findings(result: ScanResult) -> list[Finding]:
    """The findings table's rows in their first order: worst first (as everywhere in the report)."""
    return sort_findings(f for f in result.findings if f.status in TABLE_STATUSES)


def cluster_profile(card: ClusterCard | None, horizon: ClusterHorizon | None) -> str:
    """One line per cluster for the paged views (the full profile is under a listed cluster's heading)."""
    if card is None:
        return "profile not collected"
    version = card.version or "version unknown"
    if horizon and horizon.end_of_support:
        version += f" ({support_end_text(horizon)})"
    ages = [pool.image_age_days for pool in card.pools if pool.image_age_days is not None]
    pools = f"{len(card.pools)} pool{'s' if len(card.pools) != 1 else ''}"
    if ages:
        pools += f", oldest node image {max(ages)} days"
    if card.fleets is None:
        fleets = "fleets unknown"
    else:
        fleets = f"fleets {', '.join(card.fleets)}" if card.fleets else "no fleet"
    return " · ".join(
        (
            version,
            f"tier {card.sku_tier or 'unknown'}",
            f"plan {card.support_plan or 'unknown'}",
            f"upgrade {card.upgrade_channel or 'none'}, node OS {card.node_os_channel or 'none'}",
            pools,
            fleets,
        )
    )


@dataclass(frozen=True)
class ReportData:
    """The JSON block (pieces of Markup safe inside ``<script type="application/json">``, written as the
    page is: the findings' rows are held as integers, five a finding, and become text ``_ROWS_PER_PIECE``
    at a time) and the first rows. ``json`` is a generator, read once: by the page that writes it."""

    json: Iterable[Markup]
    findings: list[Finding]
    findings_total: int
    matrix_total: int


def report_data(
    result: ScanResult,
    grid: Matrix,
    findings: Sequence[Finding],
    *,
    listed: set[str],
    cards: dict[str, ClusterCard],
    horizons: dict[str, ClusterHorizon],
) -> ReportData:
    """Everything the paged tables show; ``listed`` holds the anchors of resources shown in full."""
    names = {s.id.lower(): s.name for s in result.scan.scope.subscriptions if s.name}
    subscription_ids, labels = _Strings(), []
    regions, kinds, messages, policies = _Strings(), _Strings(), _Strings(), _Strings()

    def subscription(sub_id: str | None, name: str | None) -> int:
        """The subscription's index; its label is its name (its id when the name is not known)."""
        if not sub_id:
            return -1
        key = sub_id.lower()
        before = len(subscription_ids.index)
        found = subscription_ids(key)
        if found == before:
            labels.append(name or names.get(key) or sub_id)
        return found

    cluster_rows: dict[str, int] = {}
    clusters: list[list[Any]] = []
    for position, row in enumerate(grid.rows):
        cluster_rows[row.id.lower()] = position
        clusters.append(_cluster_row(row, grid, listed, cards, horizons, subscription, regions))
    resources: dict[str, int] = {}
    resource_rows: list[list[Any]] = []
    rows = array("q")  # resource, policy, status, severity, message: five integers a finding
    for finding in findings:
        key = finding.resource_id
        name = visible_controls(finding.resource_name)  # the template's parts as the page shows them
        resource = resources.get(key)
        if resource is None:
            cluster = cluster_of(finding)
            resource = resources[key] = len(resource_rows)
            resource_rows.append(
                [
                    name,
                    kinds(finding.resource_kind),
                    cluster_rows.get(cluster.lower(), -1) if cluster else -1,
                    subscription(finding.subscription_id, finding.subscription_name),
                    regions(finding.location),
                    _anchor_if(finding.resource_id, listed),
                ]
            )
        rows.extend(
            (
                resource,
                policies(finding.policy_id),
                _STATUS_INDEX[finding.status],
                _SEVERITY_INDEX[finding.severity],
                messages(encode_message(visible_controls(finding.message), name)),
            )
        )
    data = {
        "statuses": [status.value for status in STATUS_ORDER],
        "severities": [severity.value for severity in SEVERITY_ORDER],
        "subscriptions": [visible_controls(label) for label in labels],
        "subscriptionKeys": subscription_ids.values,
        "regions": regions.values,
        "kinds": kinds.values,
        "policies": policies.values,
        "matrixPolicies": [policy.id for policy in grid.policies],
        "clusters": clusters,
        "resources": resource_rows,
        "messages": messages.values,
    }
    total = len(rows) // _ROW
    return ReportData(json_block(data, rows), list(findings[:FINDINGS_PAGE]), total, len(clusters))


_STATUS_INDEX = {status: index for index, status in enumerate(STATUS_ORDER)}
_SEVERITY_INDEX = {severity: index for index, severity in enumerate(SEVERITY_ORDER)}


def _anchor_if(resource_id: str, listed: set[str]) -> str:
    target = anchor(resource_id)
    return target if target in listed else ""


def _cluster_row(
    row: MatrixRow,
    grid: Matrix,
    listed: set[str],
    cards: dict[str, ClusterCard],
    horizons: dict[str, ClusterHorizon],
    subscription: Callable[[str | None, str | None], int],
    regions: _Strings,
) -> list[Any]:
    """``[name, anchor, listed, subscription, region, version, failing, cells, profile]``; a cell is the
    second letter of its class (``h`` for ``mh``, fail high; ``n`` no finding)."""
    cells = "".join(row.cells[p.id].css[1] if p.id in row.cells else "n" for p in grid.policies)
    target = anchor(row.id)
    key = normalize_id(row.id)
    return [
        visible_controls(row.name),
        target,
        1 if target in listed else 0,
        subscription(row.subscription_id, row.subscription),
        regions(row.region),
        visible_controls(row.version or ""),
        row.failing,
        cells,
        visible_controls(cluster_profile(cards.get(key), horizons.get(key))),
    ]


def json_block(
    data: dict[str, Any], rows: array[int], *, per_piece: int = _ROWS_PER_PIECE
) -> Iterator[Markup]:
    """``data`` with ``"findings"`` (the rows, five integers each) last, as JSON that cannot end its
    ``<script>`` element or open a comment (``<``, ``>``, ``&`` escaped), in pieces: each value, long
    lists ``per_piece`` items at a time — never the 10 MB text whole, nor the copies the page
    makes of each piece it writes."""
    yield Markup("{")
    for number, (key, value) in enumerate(data.items()):
        name = ("," if number else "") + _dumps(key) + ":"
        if not isinstance(value, list) or len(value) <= per_piece:
            yield _escaped(name + _dumps(value))
            continue
        yield _escaped(name + "[")
        for start in range(0, len(value), per_piece):
            text = _dumps(value[start : start + per_piece])[1:-1]
            yield _escaped(text if start == 0 else "," + text)
        yield Markup("]")
    yield Markup(',"findings":[') if data else Markup('"findings":[')
    step = _ROW * per_piece
    for start in range(0, len(rows), step):
        piece = rows[start : start + step]
        text = ",".join(
            f"[{piece[i]},{piece[i + 1]},{piece[i + 2]},{piece[i + 3]},{piece[i + 4]}]"
            for i in range(0, len(piece), _ROW)
        )
        yield Markup(text if start == 0 else "," + text)  # noqa: S704 - digits, commas and brackets
    yield Markup("]}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _escaped(text: str) -> Markup:
    for character, escape in _JSON_ESCAPES.items():  # str.replace: far faster than translate
        text = text.replace(character, escape)
    return Markup(text)  # noqa: S704 - JSON with every markup character escaped, inside a data block
