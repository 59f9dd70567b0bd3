"""`scan`/`collect` with --hub-kubeconfig: hubs join whatever estate was read, their gaps make exit 3."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.fakes.kube_api import FakeKubeApi

from ..conftest import estate_document
from ..conftest import run_cli as run


def hub_estate(tmp_path: Path) -> Path:
    # judged as of the assembled examples' reference time (their heartbeats are relative to it)
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(estate_document(collectedAt="2025-06-01T12:00:00Z")), encoding="utf-8")
    return path


def test_scan_reads_the_hub_through_the_kubeconfig(tmp_path: Path, fake_hub: FakeKubeApi) -> None:
    fake_hub.add_example("membercluster-joined-healthy.yaml")
    fake_hub.add_example("crp-pickfixed-apply-failed.yaml")
    kubeconfig = fake_hub.write_kubeconfig(tmp_path / "kubeconfig")
    out = tmp_path / "r"
    code, _, err = run(
        "scan",
        "--inventory",
        str(hub_estate(tmp_path)),
        "--hub-kubeconfig",
        str(kubeconfig),
        "--output-dir",
        str(out),
        "--format",
        "json",
    )
    assert code == 1, err  # the apply-failed placement is a high-severity failure
    result = json.loads((out / "aks-auditor.json").read_text(encoding="utf-8"))
    verdicts = {(f["policyId"], f["resourceName"].split("/")[-1], f["status"]) for f in result["findings"]}
    assert ("FLEET-001", "aks-eastus-prod-01", "pass") in verdicts
    assert any(p == "FLEET-002" and s == "fail" for p, _, s in verdicts)
    assert result["scan"]["coverage"]["read"]["memberClusters"] == 1
    assert result["scan"]["scope"]["hubContexts"] == [fake_hub.kubeconfig_dict()["current-context"]]


def test_an_unreachable_hub_makes_the_scan_incomplete(tmp_path: Path, fake_hub: FakeKubeApi) -> None:
    kubeconfig = fake_hub.write_kubeconfig(tmp_path / "kubeconfig")
    fake_hub.stop()
    code, out, _ = run(
        "scan",
        "--inventory",
        str(hub_estate(tmp_path)),
        "--hub-kubeconfig",
        str(kubeconfig),
        "--output-dir",
        str(tmp_path / "r"),
        "--format",
        "json",
    )
    assert code == 3
    assert "incomplete" in out.lower()


def test_hub_option_errors_exit_2_before_anything_is_read(
    tmp_path: Path, write_estate: Callable[..., Path]
) -> None:
    code, _, err = run("scan", "--inventory", str(write_estate()), "--hub-context", "x")
    assert code == 2 and "--hub-context needs --hub-kubeconfig FILE" in err
    code, _, err = run("scan", "--inventory", str(write_estate()), "--hub-kubeconfig", str(tmp_path / "nope"))
    assert code == 2 and "kubeconfig file not found" in err


def test_waivers_option(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - policy: '*'\n    resource: '*'\n    reason: accepted for the demo\n    expires: 2999-01-01\n",
        encoding="utf-8",
    )
    code, _, _ = run(
        "scan", "--demo", "--waivers", str(waivers), "--output-dir", str(tmp_path / "r"), "--format", "json"
    )
    assert code == 0  # every failure waived, nothing left to fail the gate
    result = json.loads((tmp_path / "r" / "aks-auditor.json").read_text(encoding="utf-8"))
    assert result["summary"]["byStatus"]["fail"] == 0 and result["summary"]["byStatus"]["waived"] > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("waivers: [{policy: A}]\n", encoding="utf-8")
    code, _, err = run("scan", "--demo", "--waivers", str(bad), "--output-dir", str(tmp_path / "r2"))
    assert code == 2 and "waivers.0.reason: Field required" in err  # resource defaults to "*"
    assert not (tmp_path / "r2").exists()
