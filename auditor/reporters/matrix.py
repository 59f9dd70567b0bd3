"""The estate matrix: clusters by the policies that judge clusters or their node pools, one cell per
(cluster, policy) with the worst verdict of its findings (a pool's count for its cluster). A pure
function of a ScanResult, in one pass over the findings.

Cells are short codes with a class per verdict, so the table stays small at estate scale (10,000
clusters, 17 policies) and readable without script or colour: ``✓`` pass, ``C``/``H``/``M``/``L``/``I``
failing at that severity, ``E`` not evaluated, ``W`` waived, ``-`` skipped (not applicable), empty when
the policy produced no finding for the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.findings import STATUS_ORDER, PolicyRef, ScanResult, Severity, Status
from auditor.inventory.base import normalize_id
from auditor.reporters.glance import SEVERITY_WEIGHT, anchor, cluster_of

MATRIX_KINDS = frozenset({"cluster", "nodePool"})
_STATUS_RANK = {status: index for index, status in enumerate(STATUS_ORDER)}
_LETTER = {
    Severity.CRITICAL: "C",
    Severity.HIGH: "H",
    Severity.MEDIUM: "M",
    Severity.LOW: "L",
    Severity.INFO: "I",
}
#: A cell's class: two letters, as the matrix has a cell per cluster and policy (170,000 at 10,000
#: clusters); report.js reads the verdict back from it.
_CLASS = {Status.PASS: "mp", Status.ERROR: "me", Status.WAIVED: "mw", Status.SKIPPED: "ms"}
_FAIL_CLASS = {s: "m" + _LETTER[s].lower() for s in Severity}
NO_FINDING = "mn"
#: The legend, in the order the cells are explained.
LEGEND: tuple[tuple[str, str, str], ...] = (
    ("mp", "✓", "pass"),
    *((_FAIL_CLASS[s], _LETTER[s], f"fail, {s.value}") for s in Severity),
    ("me", "E", "not evaluated (error)"),
    ("mw", "W", "waived (an accepted risk)"),
    ("ms", "-", "skipped (not applicable)"),
    (NO_FINDING, "", "no finding"),
)


@dataclass
class Cell:
    status: Status
    severity: Severity

    def merge(self, status: Status, severity: Severity) -> None:
        """The worse verdict wins: fail > error > waived > skipped > pass, then the higher severity."""
        if (_STATUS_RANK[status], -severity.rank) < (_STATUS_RANK[self.status], -self.severity.rank):
            self.status, self.severity = status, severity

    @property
    def css(self) -> str:
        return _FAIL_CLASS[self.severity] if self.status is Status.FAIL else _CLASS[self.status]

    @property
    def code(self) -> str:
        if self.status is Status.FAIL:
            return _LETTER[self.severity]
        return {Status.PASS: "✓", Status.ERROR: "E", Status.WAIVED: "W", Status.SKIPPED: "-"}[self.status]


@dataclass
class MatrixRow:
    id: str
    name: str
    subscription: str | None
    subscription_id: str | None
    region: str | None
    version: str | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def anchor(self) -> str:
        return anchor(self.id)

    @property
    def failing(self) -> int:
        return sum(1 for cell in self.cells.values() if cell.status is Status.FAIL)

    @property
    def weight(self) -> int:
        return sum(SEVERITY_WEIGHT[c.severity] for c in self.cells.values() if c.status is Status.FAIL)


@dataclass(frozen=True)
class Matrix:
    policies: list[PolicyRef]
    #: Worst first (weighted failing severity), then by name.
    rows: list[MatrixRow]


def matrix(result: ScanResult) -> Matrix:
    names = {s.id.lower(): s.name for s in result.scan.scope.subscriptions if s.name}
    versions = {normalize_id(h.resource_id): h.minor for h in result.horizon}
    rows: dict[str, MatrixRow] = {}
    used: set[str] = set()
    for finding in result.findings:
        cluster_id = cluster_of(finding)
        if cluster_id is None:
            continue
        key = cluster_id.lower()
        row = rows.get(key)
        if row is None:
            sub = finding.subscription_id
            row = rows[key] = MatrixRow(
                id=cluster_id,
                name=cluster_id.rsplit("/", 1)[-1],
                subscription=(finding.subscription_name or names.get(sub.lower())) if sub else None,
                subscription_id=sub,
                region=finding.location,
                version=versions.get(normalize_id(cluster_id)),
            )
        if finding.resource_kind == "cluster":
            row.name = finding.resource_name
        used.add(finding.policy_id)
        cell = row.cells.get(finding.policy_id)
        if cell is None:
            row.cells[finding.policy_id] = Cell(finding.status, finding.severity)
        else:
            cell.merge(finding.status, finding.severity)
    policies = sorted((p for p in result.policies if p.id in used), key=lambda p: p.id)
    ordered = sorted(rows.values(), key=lambda r: (-r.weight, -r.failing, r.name.lower()))
    return Matrix(policies, ordered)
