"""A loopback HTTPS Kubernetes API server for Fleet hub objects, spoken to by the real kubernetes client.

Discovery (``/api``, ``/apis``, ``/apis/<group>``, ``/apis/<group>/<version>``) is derived from the vendored
CRDs in tests/data/contracts/fleet/crds/azure-fleet. An object is stored once and served under every version
its group serves (the CRDs have conversion ``None``: only ``apiVersion`` changes). Lists page with ``limit``
and ``continue`` like a real API server. Callers bearing neither the token nor a client certificate from the
test CA get 401. A test chooses the served versions, removes resources, injects faults per path (status +
Status body, or a delay) and reads the request log.
"""

from __future__ import annotations

import base64
import copy
import hmac
import json
import secrets
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
import yaml

from tests.fakes.kube_objects import (
    CREATED,
    PRIORITY,
    Resource,
    as_version,
    fleet_resources,
    list_page,
    load_example,
    status_body,
)


@dataclass(frozen=True)
class Fault:
    """Answer ``status`` with a Status body carrying ``message``, after ``delay`` seconds (0: at once)."""

    status: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    accept: str


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def merge_kubeconfigs(*configs: dict[str, Any]) -> dict[str, Any]:
    """One kubeconfig holding every context of ``configs``; the first one's context is current."""
    merged: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
    }
    for config in configs:
        for key in ("clusters", "users", "contexts"):
            merged[key].extend(config[key])
    merged["current-context"] = configs[0]["current-context"]
    return merged


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.api.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``FakeKubeApi.requests`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, api: FakeKubeApi, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api
        # The handshake happens on the first read, in the request's own thread.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (timeout tests) or failed the TLS handshake: expected here
        super().handle_error(request, client_address)


class FakeKubeApi:
    """The fake hub. Start it with ``with FakeKubeApi(ca) as hub:`` (or start/stop)."""

    def __init__(self, ca: trustme.CA) -> None:
        self.ca = ca
        self.token = "fake-" + secrets.token_urlsafe(24)
        self.versions: dict[str, tuple[str, ...]] = {}
        for resource in fleet_resources():
            known = self.versions.get(resource.group, ())
            merged = set(known) | set(resource.versions)
            self.versions[resource.group] = tuple(sorted(merged, key=PRIORITY.__getitem__))
        self.missing: set[str] = set()
        self.faults: dict[str, Fault] = {}
        self.requests: list[Request] = []
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._revision = 1000
        self._client_cert: trustme.LeafCert | None = None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        ca.configure_trust(context)
        context.verify_mode = ssl.CERT_OPTIONAL
        self._server = _Server(self, context)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # -- lifecycle and configuration -------------------------------------------------------------

    def start(self) -> FakeKubeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeKubeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def serve(self, group: str, *versions: str) -> None:
        """Serve ``group`` at ``versions`` (the first is preferred); no versions: the group is not installed."""
        self.versions[group] = versions

    def remove(self, plural: str) -> None:
        """The CRD of ``plural`` is not installed: discovery omits it, its paths answer 404."""
        self.missing.add(plural)

    def fail(self, path: str, status: int | None = None, message: str = "", *, delay: float = 0.0) -> None:
        self.faults[path] = Fault(status, message, delay)

    def add(self, *objects: dict[str, Any]) -> None:
        """Store objects as the controllers wrote them (status included); server fields are filled in."""
        for obj in objects:
            stored = copy.deepcopy(obj)
            resource = self._resource_of(stored)
            meta = stored.setdefault("metadata", {})
            with self._lock:
                self._revision += 1
                meta.setdefault("resourceVersion", str(self._revision))
            meta.setdefault("uid", f"00000000-0000-4000-8000-{self._revision:012d}")
            meta.setdefault("creationTimestamp", CREATED)
            key = (meta.get("namespace", ""), meta["name"])
            self._objects.setdefault(resource.plural, {})[key] = stored

    def add_example(self, file_name: str) -> dict[str, Any]:
        obj = load_example(file_name)
        self.add(obj)
        return obj

    def list_requests(self, plural: str) -> list[Request]:
        return [r for r in self.requests if r.path.rsplit("/", 1)[-1] == plural]

    def kubeconfig_dict(
        self,
        context: str = "fake-hub",
        *,
        token: str | None = None,
        client_cert: bool = False,
        server: str = "",
    ) -> dict[str, Any]:
        """A kubeconfig trusting the test CA, authenticating with the token (or a client certificate)."""
        if client_cert:
            if self._client_cert is None:
                self._client_cert = self.ca.issue_cert("fleet-auditor.test", common_name="fleet-auditor")
            user = {
                "client-certificate-data": _b64(self._client_cert.cert_chain_pems[0].bytes()),
                "client-key-data": _b64(self._client_cert.private_key_pem.bytes()),
            }
        else:
            user = {"token": self.token if token is None else token}
        cluster = {"server": server or self.url, "certificate-authority-data": _b64(self.ca.cert_pem.bytes())}
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": f"{context}-cluster", "cluster": cluster}],
            "users": [{"name": f"{context}-user", "user": user}],
            "contexts": [
                {"name": context, "context": {"cluster": f"{context}-cluster", "user": f"{context}-user"}}
            ],
            "current-context": context,
        }

    def write_kubeconfig(self, path: Path, config: dict[str, Any] | None = None) -> Path:
        path.write_text(yaml.safe_dump(config or self.kubeconfig_dict()), encoding="utf-8")
        return path

    # -- serving ---------------------------------------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        path = url.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append(Request(handler.command, path, query, handler.headers.get("Accept", "")))
        if not self._authenticated(handler):
            return self._send(handler, 401, status_body(401, "Unauthorized"))
        fault = self.faults.get(path)
        if fault is not None:
            self._stop.wait(fault.delay)
            if fault.status is not None:
                return self._send(handler, fault.status, status_body(fault.status, fault.message))
        code, body = self._route(path, query)
        return self._send(handler, code, body)

    def _authenticated(self, handler: _Handler) -> bool:
        header = handler.headers.get("Authorization", "")
        if hmac.compare_digest(header.encode(), f"Bearer {self.token}".encode()):
            return True
        connection = handler.connection
        return isinstance(connection, ssl.SSLSocket) and bool(connection.getpeercert())

    @staticmethod
    def _send(handler: _Handler, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        not_found = (404, status_body(404, "the server could not find the requested resource"))
        if path == "/version":
            return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.7", "platform": "linux/amd64"}
        if parts == ["api"]:
            address = {"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.removeprefix("https://")}
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [address]}
        if parts == ["api", "v1"]:
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": []}
        if parts == ["apis"]:
            groups = [self._group(g) for g, versions in self.versions.items() if versions]
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if parts[0] != "apis" or not self.versions.get(parts[1]):
            return not_found
        group = parts[1]
        if len(parts) == 2:
            return 200, self._group(group) | {"kind": "APIGroup", "apiVersion": "v1"}
        version = parts[2]
        if version not in self.versions[group]:
            return not_found
        if len(parts) == 3:
            return 200, self._resource_list(group, version)
        return self._objects_route(group, version, parts[3:], query) or not_found

    def _group(self, group: str) -> dict[str, Any]:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self.versions[group]]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def _served(self, group: str, version: str) -> list[Resource]:
        return [
            r
            for r in fleet_resources()
            if r.group == group and version in r.versions and r.plural not in self.missing
        ]

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
        resources: list[dict[str, Any]] = []
        for r in self._served(group, version):
            resources.append(
                {
                    "name": r.plural,
                    "singularName": r.singular,
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": verbs,
                    "shortNames": list(r.short_names),
                    "categories": list(r.categories),
                    "storageVersionHash": _b64(r.plural.encode())[:11],
                }
            )
            resources.append(
                {
                    "name": f"{r.plural}/status",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}",
            "resources": resources,
        }

    def _objects_route(
        self, group: str, version: str, rest: list[str], query: dict[str, str]
    ) -> tuple[int, dict[str, Any]] | None:
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) in (3, 4):
            namespace, rest = rest[1], rest[2:]
        if len(rest) not in (1, 2):
            return None
        resource = next((r for r in self._served(group, version) if r.plural == rest[0]), None)
        if resource is None or (namespace is not None and not resource.namespaced):
            return None
        stored = self._objects.get(resource.plural, {})
        if len(rest) == 2:
            obj = stored.get((namespace or "", rest[1]))
            if obj is None:
                return 404, status_body(404, f'{resource.plural}.{group} "{rest[1]}" not found')
            return 200, as_version(obj, group, version)
        keys = sorted(key for key in stored if namespace is None or key[0] == namespace)
        return list_page([stored[key] for key in keys], resource, version, query, self._revision)

    def _resource_of(self, obj: dict[str, Any]) -> Resource:
        group = obj["apiVersion"].split("/")[0]
        for resource in fleet_resources():
            if resource.group == group and resource.kind == obj["kind"]:
                return resource
        raise ValueError(f"no Fleet CRD for {obj['apiVersion']} {obj['kind']}")
