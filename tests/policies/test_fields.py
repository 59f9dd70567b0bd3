"""Unknown fields are caught when a policy is loaded, with the closest field suggested and a caret."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.policies.fields import unknown_field
from auditor.policies.model import ResourceKind

from ..conftest import run_cli

CLUSTER = (ResourceKind.CLUSTER,)
VARS = frozenset({"resource", "catalog", "cluster", "fleet", "members", "hub"})


@pytest.mark.parametrize(
    ("expression", "kinds", "found"),
    [
        (
            "resource.autoUpgradeProfil != null",
            CLUSTER,
            ("resource.autoUpgradeProfil: no such field of cluster; did you mean autoUpgradeProfile?", 1, 10),
        ),
        (
            "resource.tags.env == 'prod' &&\n  resource.autoUpgradeProfile.upgradeChanel == 'x'",
            CLUSTER,
            (
                "resource.autoUpgradeProfile.upgradeChanel: no such field of resource.autoUpgradeProfile; "
                "did you mean upgradeChannel?",
                2,
                31,
            ),
        ),
    ],
)
def test_unknown_fields_are_found_with_a_suggestion_and_position(
    expression: str, kinds: tuple[ResourceKind, ...], found: tuple[str, int, int]
) -> None:
    result = unknown_field(expression, kinds, VARS)
    if found[0].endswith("nodePool?"):  # no close match among the summary's fields: the list is given
        assert result is not None and result[0].startswith(
            "cluster.nodePools: no such field of cluster (fields: "
        )
        return
    assert result == found


@pytest.mark.parametrize(
    "expression",
    [
        "resource.tags.anything == 'x'",  # a map takes any key
        "'resource.bogus' == resource.name",  # inside a string literal
        "resource.?autoUpgradeProfile.orValue(null) != null",
        "resource.nodePools.map(p, p.name).size() > 0",  # a list field, then a method call
        "resource.disabled == true",  # a field of the other kind of a two-kind policy
    ],
)
def test_known_fields_and_non_fields_pass(expression: str) -> None:
    kinds = (
        (ResourceKind.UPDATE_RUN, ResourceKind.AUTO_UPGRADE_PROFILE) if "disabled" in expression else CLUSTER
    )
    assert unknown_field(expression, kinds, VARS) is None


def scaffold_with_check(tmp_path: Path, check: str) -> Path:
    """A scaffolded policy whose check is replaced by ``check``."""
    pack = tmp_path / "pack"
    run_cli("policies", "new", "ACME-001", "--output-dir", str(pack))
    path = pack / "ACME-001.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "check: params.required_tag in resource.tags", f"check: {check}"
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_a_policy_with_an_unknown_field_is_refused_at_load_with_a_caret(tmp_path: Path) -> None:
    path = scaffold_with_check(tmp_path, "resource.skuTeir == 'Premium'")
    pack = path.parent
    code, out, err = run_cli("policies", "test", str(pack))
    assert (code, out) == (2, "")
    assert err == (
        f"aks-auditor: error: {path}: ACME-001: check: line 1, column 10: resource.skuTeir: no such field of "
        "cluster; did you mean skuTier?\n"
        "aks-auditor: hint: resource.skuTeir == 'Premium'\n"
        "aks-auditor: hint:          ^\n"
    )


def test_a_syntax_error_gets_the_caret_under_its_column(tmp_path: Path) -> None:
    path = scaffold_with_check(tmp_path, "params.required_tag in (resource.tags")
    code, _, err = run_cli("policies", "validate", str(path.parent))
    assert code == 2
    assert err == (
        f"aks-auditor: error: {path}: ACME-001: check: line 1, column 40: Syntax error: missing ')' at '<EOF>'\n"
        "aks-auditor: hint: params.required_tag in (resource.tags\n"
        "aks-auditor: hint:                                        ^\n"
    )
