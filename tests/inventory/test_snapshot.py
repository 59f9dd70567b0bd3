"""Snapshots: versioned, kind-checked, and refused with one line naming the problem."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from auditor.errors import EXIT_USAGE, InputError
from auditor.inventory import Estate
from auditor.inventory.snapshot import dump_model, load_estate

from ..conftest import compliant_cluster, estate_document


def test_round_trip_keeps_none_versus_empty_and_unknown_values(tmp_path: Path) -> None:
    uncollected = compliant_cluster("a") | {
        "maintenanceConfigurations": None,
        "autoUpgradeProfile": {"upgradeChannel": "warp-9"},
    }
    none_exist = compliant_cluster("b") | {"maintenanceConfigurations": []}
    estate = Estate.model_validate(estate_document(clusters=[uncollected, none_exist]))
    path = tmp_path / "e.json"
    path.write_text(dump_model(estate), encoding="utf-8")
    loaded = load_estate(path)
    assert loaded == estate
    assert loaded.clusters[0].maintenance_configurations is None
    assert loaded.clusters[1].maintenance_configurations == ()
    assert loaded.clusters[0].auto_upgrade_profile is not None
    assert loaded.clusters[0].auto_upgrade_profile.upgrade_channel == "warp-9"
    assert loaded.clusters[0].subscription_id == "11111111-1111-1111-1111-111111111111"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[1, 2]", "expected a JSON object with kind 'Estate', got list"),
        (
            json.dumps({"kind": "ScanResult", "schemaVersion": "1.0"}),
            "expected a file of kind 'Estate', found kind 'ScanResult'",
        ),
        (json.dumps({"schemaVersion": "1.0"}), "expected a file of kind 'Estate', found kind None"),
        (
            json.dumps(estate_document(schemaVersion="2.0")),
            "schemaVersion 2.0 is newer than this aks-auditor understands (1.1); upgrade aks-auditor to read it",
        ),
        (
            json.dumps(estate_document(schemaVersion=1)),
            "schemaVersion is missing or not a string (expected e.g. '1.1')",
        ),
        (json.dumps(estate_document(clusters=[{"name": "x"}])), "clusters.0.id: Field required"),
        (
            json.dumps(
                estate_document(
                    clusters=[{"id": "/x", "name": "x", "nodePools": [{"name": "p", "count": "many"}]}]
                )
            ),
            'clusters.0.nodePools.0.count: Input should be a valid integer, unable to parse string as an integer (got "many")',
        ),
        (json.dumps(estate_document(surprise=True)), "surprise: Extra inputs are not permitted (got true)"),
    ],
)
def test_bad_snapshots_give_one_line_naming_the_problem(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_estate(path)
    assert raised.value.message == f"{path}: {expected}"
    assert "\n" not in raised.value.message
    assert raised.value.exit_code == EXIT_USAGE


def test_missing_and_binary_files(tmp_path: Path, write_estate: Callable[..., Path]) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_estate(tmp_path / "absent.json")
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="cannot read"):
        load_estate(binary)
    assert load_estate(write_estate()).source == "test"
