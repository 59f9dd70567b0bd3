"""Kubeconfig credentials stay in memory: nothing is written to disk or logged, nothing lands in the
inventory, and a kubeconfig file is never rewritten."""

from __future__ import annotations

import base64
import logging
import os
import tempfile
from pathlib import Path

import pytest

from auditor.collectors.hub.kubeconfig import hub_from_config_dict, hubs_from_kubeconfig
from auditor.collectors.interface import HubCollection
from auditor.inventory import Coverage, Estate
from auditor.inventory.snapshot import dump_model
from tests.fakes.kube_api import FakeKubeApi

from .conftest import FAST, NOW


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> Path:
    """An empty temp dir the process writes temp files to (and works in), with all logging captured."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    return tmp_path


def files_containing(root: Path, secret: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret in p.read_bytes()]


def memory_files() -> list[str]:
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            links.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # closed while listing
    return [link for link in links if link.startswith("/memfd:")]


def assert_secret_nowhere(collection: HubCollection, secret: bytes, root: Path, log: str) -> None:
    assert collection.hub.error is None  # the credential worked
    assert files_containing(root, secret) == []
    assert list((root / "tmp").iterdir()) == []  # the kubernetes client wrote no temp files at all
    estate = Estate(
        collected_at=NOW, source="hub", hubs=(collection.hub,), coverage=Coverage(read=collection.read)
    )
    assert secret.decode() not in dump_model(estate)
    assert secret.decode() not in log
    assert memory_files() == []  # the in-memory credential files are closed after collection


def test_token_from_an_in_memory_kubeconfig(
    fake_hub: FakeKubeApi, scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake_hub.add_example("membercluster-joined-healthy.yaml")
    source = hub_from_config_dict(fake_hub.kubeconfig_dict(), options=FAST)
    assert fake_hub.token not in repr(source)
    collection = source.collect()
    assert [m.name for m in collection.hub.member_clusters or ()] == ["aks-eastus-prod-01"]
    assert_secret_nowhere(collection, fake_hub.token.encode(), scratch, caplog.text)


def test_client_certificate_from_an_in_memory_kubeconfig(
    fake_hub: FakeKubeApi, scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if not hasattr(os, "memfd_create"):
        pytest.skip("in-memory files need Linux memfd_create")
    config = fake_hub.kubeconfig_dict(client_cert=True)
    collection = hub_from_config_dict(config, options=FAST).collect()
    private_key = base64.b64decode(config["users"][0]["user"]["client-key-data"])
    assert private_key.startswith(b"-----BEGIN")
    assert_secret_nowhere(collection, private_key.splitlines()[1], scratch, caplog.text)


def test_kubeconfig_file_is_read_never_rewritten(
    fake_hub: FakeKubeApi, scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = fake_hub.write_kubeconfig(scratch / "kubeconfig")
    before = path.read_bytes()
    (source,) = hubs_from_kubeconfig(path, options=FAST)
    collection = source.collect()
    assert path.read_bytes() == before
    assert files_containing(scratch, fake_hub.token.encode()) == [path]
    assert list((scratch / "tmp").iterdir()) == []
    assert (collection.hub.name, collection.hub.error) == ("fake-hub", None)
    assert fake_hub.token not in caplog.text


def test_relative_certificate_paths_resolve_against_the_kubeconfig(
    fake_hub: FakeKubeApi, scratch: Path
) -> None:
    folder = scratch / "conf"
    folder.mkdir()
    (folder / "ca.crt").write_bytes(fake_hub.ca.cert_pem.bytes())
    config = fake_hub.kubeconfig_dict()
    cluster = config["clusters"][0]["cluster"]
    del cluster["certificate-authority-data"]
    cluster["certificate-authority"] = "ca.crt"
    path = fake_hub.write_kubeconfig(folder / "kubeconfig", config)
    (source,) = hubs_from_kubeconfig(path, options=FAST)  # the working directory is scratch, not conf/
    assert source.collect().hub.error is None
