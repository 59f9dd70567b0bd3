"""The fake hub speaks like an API server: kubectl, with its own discovery, lists Fleet objects from it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.kube_api import FakeKubeApi

KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl_lists_placements_and_members(fake_hub: FakeKubeApi, tmp_path: Path) -> None:
    assert KUBECTL is not None
    fake_hub.add_example("crp-pickall-3clusters-completed.yaml")
    fake_hub.add_example("crp-pickfixed-apply-failed.yaml")
    fake_hub.add_example("membercluster-joined-healthy.yaml")
    fake_hub.add_example("membercluster-v1-joined-healthy.yaml")
    kubeconfig = fake_hub.write_kubeconfig(tmp_path / "kubeconfig")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}

    def kubectl(*args: str) -> str:
        command = [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    placements = kubectl("get", "crp")  # short name, resolved through discovery
    assert placements.split()[:2] == ["NAME", "AGE"]
    assert {"crp-1", "crp-4"} <= set(placements.split())
    members = kubectl("get", "memberclusters")
    assert {"aks-eastus-prod-01", "aks-westus-prod-02"} <= set(members.split())
    assert "crp-4" in kubectl(
        "get", "clusterresourceplacements.v1beta1.placement.kubernetes-fleet.io", "-o", "name"
    )
    assert any("as=Table" in r.accept for r in fake_hub.requests)  # asked for a Table, got the plain List
