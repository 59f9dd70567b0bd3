"""Hub sources from kubeconfigs: contexts of a file (``--hub-kubeconfig``/``--hub-context``) or a kubeconfig
held in memory (from Fleet listCredentials).

Credentials never reach disk or logs: the kubeconfig is never written back (``persist_config`` off) and its
``*-data`` certificates and keys go to the TLS layer as anonymous in-memory files (Linux ``memfd``) instead
of the temp files the kubernetes client would otherwise write. A source's ``repr`` omits the kubeconfig.
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes.config
from kubernetes.client import ApiClient, Configuration
from kubernetes.config.config_exception import ConfigException

from auditor.collectors.hub.read import HubFault, HubReadOptions, collect_hub, failed_collection, one_line
from auditor.collectors.interface import HubCollection
from auditor.errors import ConfigError
from auditor.yaml_file import parse_yaml

#: The kubernetes client's loader (untyped: held in a typed name so strict mypy accepts the call).
_load_kubeconfig: Callable[..., None] = kubernetes.config.load_kube_config_from_dict
#: Kubeconfig fields naming a file, per section; ``<field>-data`` holds the same content inline (base64).
_FILE_FIELDS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}


@dataclass(frozen=True, eq=False)
class KubeconfigHub:
    """One hub: a context of a kubeconfig. ``collect()`` builds the client, reads the hub, closes it."""

    name: str
    context: str
    config: Mapping[str, Any] = field(repr=False)
    base_dir: Path | None = None
    fleet_id: str | None = None
    member_ids: Mapping[str, str] | None = field(default=None, repr=False)
    options: HubReadOptions = field(default_factory=HubReadOptions)

    def collect(self) -> HubCollection:
        problem = context_problem(self.config, self.context)
        if problem:
            return failed_collection(self.name, self.fleet_id, HubFault("loading the kubeconfig", problem))
        with _memory_files() as files:
            try:
                api_client = _api_client(self, files)
            except (ConfigException, ValueError, OSError) as error:
                reason = f"cannot load credentials of context {self.context!r}: {one_line(str(error))}"
                return failed_collection(self.name, self.fleet_id, HubFault("loading the kubeconfig", reason))
            try:
                return collect_hub(
                    api_client,
                    name=self.name,
                    fleet_id=self.fleet_id,
                    member_ids=self.member_ids,
                    options=self.options,
                )
            finally:
                _close(api_client)


def hubs_from_kubeconfig(
    path: Path, contexts: Sequence[str] = (), *, options: HubReadOptions | None = None
) -> list[KubeconfigHub]:
    """One source per context (default: the current context). A missing file or unknown context is a
    ConfigError naming it; nothing is contacted until ``collect()``."""
    if not path.is_file():
        raise ConfigError(f"{path}: kubeconfig file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the kubeconfig: {error}") from None
    config = _parse(text, path)
    names = list(dict.fromkeys(contexts)) or [config.get("current-context") or ""]
    for name in names:
        problem = context_problem(config, name)
        if problem:
            raise ConfigError(f"{path}: {problem}")
    base_dir = path.resolve().parent
    return [
        KubeconfigHub(
            name=name, context=name, config=config, base_dir=base_dir, options=options or HubReadOptions()
        )
        for name in names
    ]


def hub_from_config_dict(
    config: Mapping[str, Any],
    context: str | None = None,
    *,
    name: str | None = None,
    fleet_id: str | None = None,
    member_ids: Mapping[str, str] | None = None,
    options: HubReadOptions | None = None,
) -> KubeconfigHub:
    """A source for an in-memory kubeconfig (never written anywhere). Problems with it are reported by
    ``collect()`` as the hub's error, since such a kubeconfig comes from Azure, not from the user."""
    chosen = context or str(config.get("current-context") or "")
    return KubeconfigHub(
        name=name or chosen,
        context=chosen,
        config=config,
        fleet_id=fleet_id,
        member_ids=member_ids,
        options=options or HubReadOptions(),
    )


def context_problem(config: Mapping[str, Any], context: str) -> str | None:
    """Why ``context`` cannot be used (unknown, or its cluster entry is missing), or None."""
    if not context:
        return "no context given and the kubeconfig has no current-context"
    entry = _entry(config, "contexts", context)
    if entry is None:
        known = ", ".join(sorted(_names(config, "contexts"))) or "none"
        return f"context {context!r} not found (contexts: {known})"
    cluster = _entry(config, "clusters", str(entry.get("cluster")))
    if cluster is None or not cluster.get("server"):
        return f"context {context!r}: cluster {entry.get('cluster')!r} has no entry with a server"
    return None


def _parse(text: str, path: Path) -> Mapping[str, Any]:
    config = parse_yaml(text, path, ConfigError, excerpt=False)  # no excerpt: it may hold a secret
    if not isinstance(config, Mapping):
        raise ConfigError(f"{path}: not a kubeconfig (expected a mapping with clusters, users, contexts)")
    return config


def _names(config: Mapping[str, Any], section: str) -> list[str]:
    items = config.get(section)
    return [str(i.get("name")) for i in items if isinstance(i, Mapping)] if isinstance(items, list) else []


def _entry(config: Mapping[str, Any], section: str, name: str) -> dict[str, Any] | None:
    """The body of the named entry in ``section`` (``contexts`` -> its ``context`` mapping)."""
    items = config.get(section)
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping) and item.get("name") == name:
            body = item.get(section[:-1])
            return body if isinstance(body, dict) else None
    return None


class _MemoryFiles:
    """Anonymous in-memory files (``memfd``), readable by path while open; none where unsupported."""

    def __init__(self) -> None:
        self.available = hasattr(os, "memfd_create")
        self._fds: list[int] = []

    def add(self, content: bytes, label: str) -> str:
        fd: int = os.memfd_create(label)
        self._fds.append(fd)
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        return f"/proc/self/fd/{fd}"

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()


@contextmanager
def _memory_files() -> Iterator[_MemoryFiles]:
    files = _MemoryFiles()
    try:
        yield files
    finally:
        files.close()


def _api_client(source: KubeconfigHub, files: _MemoryFiles) -> ApiClient:
    configuration = Configuration()
    _load_kubeconfig(
        config_dict=_in_memory(source.config, source.context, source.base_dir, files),
        context=source.context,
        client_configuration=configuration,
        persist_config=False,
    )
    configuration.retries = source.options.retries
    return ApiClient(configuration)


def _close(api_client: Any) -> None:
    """Release the client's connection pool (``ApiClient.close`` is untyped)."""
    api_client.close()


def _in_memory(
    config: Mapping[str, Any], context: str, base_dir: Path | None, files: _MemoryFiles
) -> dict[str, Any]:
    """A copy of ``config`` whose ``*-data`` for ``context`` are in-memory files and whose relative file
    paths are resolved against the kubeconfig's folder (the kubernetes client would use the cwd)."""
    result: dict[str, Any] = copy.deepcopy(dict(config))
    chosen = _entry(result, "contexts", context) or {}
    for section, name in (("clusters", chosen.get("cluster")), ("users", chosen.get("user"))):
        entry = _entry(result, section, str(name))
        if entry is None:
            continue
        for key in _FILE_FIELDS[section]:
            data = entry.get(f"{key}-data")
            if data and files.available:
                try:
                    content = base64.b64decode(data, validate=True)
                except (binascii.Error, TypeError):
                    raise ValueError(f"{section[:-1]} {name!r}: {key}-data is not base64") from None
                entry[key] = files.add(content, key)
                del entry[f"{key}-data"]
            elif isinstance(entry.get(key), str) and base_dir and not Path(entry[key]).is_absolute():
                entry[key] = str(base_dir / entry[key])
    return result
