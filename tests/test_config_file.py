"""aks-auditor.yaml: precedence file < environment < flags, merged policy settings, paths relative to the
file, `config show` origins, `schema config`, and bad files as one line with exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from auditor.cli.app import cli
from auditor.cli.options import FAIL_ON_CHOICES
from auditor.cli.settings import KEYS, file_values
from auditor.config_file import ConfigFile, FailOn, load_config_file

from .conftest import REPO
from .conftest import run_cli as run

EXAMPLE = REPO / "docs" / "examples" / "aks-auditor.yaml"


def write_config(folder: Path, document: dict[str, Any] | str, name: str = "aks-auditor.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    path.write_text(text, encoding="utf-8")
    return path


def shown(*args: str) -> dict[str, dict[str, str]]:
    """``config show --json``: key -> its row."""
    code, out, err = run("config", "show", "--json", *args)
    assert (code, err) == (0, ""), err
    return {row["key"]: row for row in json.loads(out)["settings"]}


def result_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "aks-auditor.json").read_text(encoding="utf-8"))


def test_precedence_file_then_environment_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(
        tmp_path,
        {
            "source": {"demo": True},
            "gate": {"failOn": "none"},
            "outputs": {"dir": "out", "formats": ["json"]},
        },
    )
    monkeypatch.chdir(tmp_path)
    row = shown()["gate.failOn"]
    assert (row["value"], row["origin"]) == ("none", f"{config.name}: gate.failOn")
    assert run("scan", "-q")[0] == 0  # the demo fails high findings; the file says never exit 1

    monkeypatch.setenv("AKS_AUDITOR_FAIL_ON", "high")
    row = shown()["gate.failOn"]
    assert (row["value"], row["origin"]) == ("high", "env AKS_AUDITOR_FAIL_ON")
    assert run("scan", "-q")[0] == 1

    row = shown("--fail-on", "none")["gate.failOn"]
    assert (row["value"], row["origin"]) == ("none", "flag --fail-on")
    assert run("scan", "-q", "--fail-on", "none")[0] == 0

    monkeypatch.delenv("AKS_AUDITOR_FAIL_ON")
    config.unlink()
    row = shown()["gate.failOn"]
    assert (row["value"], row["origin"]) == ("high", "default")


def test_lists_replace_and_policy_settings_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(
        tmp_path,
        {
            "source": {"demo": True},
            "outputs": {"formats": ["json", "markdown"]},
            "policies": {"disable": ["AKS-005", "AKS-006"], "parameters": {"AKS-003": {"max_pool_skew": 1}}},
        },
    )
    monkeypatch.chdir(tmp_path)
    run("scan", "-q", "--output-dir", "file")
    assert sorted(p.name for p in (tmp_path / "file").iterdir()) == ["aks-auditor.json", "aks-auditor.md"]
    monkeypatch.setenv("AKS_AUDITOR_FORMAT", "json sarif")
    run("scan", "-q", "--output-dir", "env")
    assert sorted(p.name for p in (tmp_path / "env").iterdir()) == ["aks-auditor.json", "aks-auditor.sarif"]
    run(
        "scan", "-q", "--output-dir", "flags", "--format", "json",
        "--enable", "AKS-005", "--disable", "AKS-007", "--set", "AKS-003.max_pool_skew_before_1_28=1",
    )  # fmt: skip
    assert [p.name for p in (tmp_path / "flags").iterdir()] == ["aks-auditor.json"]
    result = result_of(tmp_path / "flags")
    policies = {policy["id"]: policy for policy in result["policies"]}
    # the flag's --enable wins over the file's disable; the file's other disable and the flag's both hold
    assert "AKS-005" in policies and "AKS-006" not in policies and "AKS-007" not in policies
    assert policies["AKS-003"]["parameters"] == {"max_pool_skew": 1, "max_pool_skew_before_1_28": 1}
    rows = shown("--set", "AKS-003.max_pool_skew=3", "--disable", "AKS-007")
    assert rows["policies.parameters"]["value"] == "AKS-003.max_pool_skew=3"
    assert rows["policies.parameters"]["origin"] == "aks-auditor.yaml: policies.parameters + flag --set"
    assert rows["policies.disable"]["value"] == "AKS-005, AKS-006, AKS-007"


def test_a_source_flag_replaces_the_file_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, {"source": {"inventory": "missing.json"}, "outputs": {"formats": ["json"]}})
    monkeypatch.chdir(tmp_path)
    code, _, err = run("scan", "-q", "--demo", "--fail-on", "none")
    assert (code, err) == (0, "")
    assert result_of(tmp_path / "aks-auditor-report")["scan"]["source"] == "demo"


def test_paths_are_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ci"
    shutil.copy(REPO / "docs" / "examples" / "waivers.yaml", folder.mkdir() or folder / "accepted.yaml")
    write_config(
        folder,
        {
            "source": {"demo": True},
            "waivers": {"file": "accepted.yaml"},
            "outputs": {"dir": "reports", "formats": ["json"]},
            "history": {"url": "history.db"},
            "gate": {"failOn": "none"},
        },
        name="scheduled.yaml",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = run("scan", "--config", "../ci/scheduled.yaml")
    assert (code, err) == (0, "")
    assert f"history: scan 1 recorded in sqlite:///{folder / 'history.db'}" in out
    result = result_of(folder / "reports")
    waived = {f["policyId"] for f in result["findings"] if f["status"] == "waived"}
    assert waived == {"AKS-009"}  # the waiver file was found beside the config file
    assert list(elsewhere.iterdir()) == []
    # the history commands take the store from the same file
    code, out, _ = run("history", "list", "--config", "../ci/scheduled.yaml")
    assert code == 0 and out.splitlines()[1].split()[:4] == ["1", *out.splitlines()[1].split()[1:3], "demo"]


def test_found_in_the_working_directory_or_named_by_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, {"gate": {"failOn": "low"}})
    other = write_config(tmp_path / "other", {"gate": {"failOn": "critical"}}, name="team.yaml")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config", "show")
    assert code == 0
    assert out.splitlines()[0] == "config file: aks-auditor.yaml (found in the working directory)"
    assert shown()["gate.failOn"]["value"] == "low"
    monkeypatch.setenv("AKS_AUDITOR_CONFIG", str(other))
    assert shown()["gate.failOn"]["origin"] == f"{other}: gate.failOn"
    assert shown("--config", "aks-auditor.yaml")["gate.failOn"]["value"] == "low"  # the flag wins


def test_config_show_names_every_key_and_hides_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKS_AUDITOR_HISTORY", "postgresql://auditor:s3cret@db.internal/aks")
    rows = shown("--config", str(EXAMPLE))
    assert list(rows) == [key.path for key in KEYS]
    assert rows["history.url"] == {
        "key": "history.url",
        "flag": "--history",
        "env": "AKS_AUDITOR_HISTORY",
        "value": "postgresql://auditor:***@db.internal/aks",
        "origin": "env AKS_AUDITOR_HISTORY",
    }
    code, out, _ = run("config", "show", "--config", str(EXAMPLE))
    assert code == 0 and "s3cret" not in out


def test_every_file_key_has_a_flag_and_the_schema_matches_the_example() -> None:
    """The file model, the key table and the published schema describe the same keys."""
    full = load_config_file(EXAMPLE)
    everything = ConfigFile.model_validate(
        full.model_dump(by_alias=True)
        | {
            "source": {"inventory": "e.json", "demo": False},
            "scope": {"subscriptions": ["s"], "managementGroups": ["m"], "excludeSubscriptions": ["x"],
                      "tenant": "t", "cloud": "AzureCloud", "armEndpoint": "https://a", "armAudience": "b"},
            "collection": {"deep": True, "workers": 2, "processes": 2},
            "hubs": {"kubeconfig": "k", "contexts": ["c"], "fleetHubs": "discover"},
            "policies": full.policies.model_dump(by_alias=True, exclude_none=True)
            | {"enable": ["AKS-012"], "releaseCalendar": "c.json"},
            "gate": {"failOn": "high", "newOnly": True, "allowPartial": True},
            "baseline": {"source": "history:latest", "anyScope": True},
            "outputs": {"dir": "o", "formats": ["json"], "tags": ["env", "owner"]},
        }
    )  # fmt: skip
    assert sorted(file_values(everything, Path())) == sorted(key.path for key in KEYS)
    code, out, _ = run("schema", "config")
    assert code == 0
    schema = json.loads(out)
    jsonschema.validate(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"gate": {"failOnn": "high"}}, schema)
    assert set(FailOn.__args__) == set(FAIL_ON_CHOICES)  # type: ignore[attr-defined]


def test_the_example_scans_the_demo(tmp_path: Path) -> None:
    for name in ("aks-auditor.yaml", "waivers.yaml"):
        shutil.copy(EXAMPLE.parent / name, tmp_path / name)
    shutil.copytree(EXAMPLE.parent / "acme-pack", tmp_path / "acme-pack")
    config = str(tmp_path / "aks-auditor.yaml")
    # no history yet: history:latest has nothing to compare with, so every failure is new
    code, out, err = run("scan", "--config", config, "--demo", "--baseline", "none.json", "--fail-on", "none")
    assert code == 2 and "none.json" in err
    code, out, err = run("scan", "--config", config, "--demo", "--fail-on", "none")
    assert err == "" and code == 0, err
    result = result_of(tmp_path / "aks-auditor-report")
    assert {"ACME-101", "AKS-003"} <= {p["id"] for p in result["policies"]}
    assert "AKS-005" not in {p["id"] for p in result["policies"]}
    assert sorted(p.name for p in (tmp_path / "aks-auditor-report").iterdir()) == [
        "aks-auditor.html", "aks-auditor.json", "aks-auditor.md", "aks-auditor.sarif",
    ]  # fmt: skip
    assert "history: scan 1 recorded in " in out


BAD = [
    ("gate:\n  failOnn: high\n", "gate.failOnn: unknown key (expected one of failOn, newOnly, allowPartial)"),
    ("gates: {}\n", "gates: unknown key (expected one of version, source, scope, collection, hubs, "
     "policies, waivers, outputs, gate, baseline, history)"),
    ("gate:\n  failOn: hihg\n",
     "gate.failOn: Input should be 'critical', 'high', 'medium', 'low', 'info' or 'none' (got \"hihg\")"),
    ("collection:\n  workers: 0\n", "collection.workers: Input should be greater than or equal to 1 (got 0)"),
    ("collection:\n  processes: 65\n", "collection.processes: Input should be less than or equal to 64 (got 65)"),
    ("outputs:\n  formats: [pdf]\n", "outputs.formats.0: Input should be 'json', 'sarif', 'html', 'junit' or "
     "'markdown' (got \"pdf\")"),
    ("version: 2\n", "version: expected 1 (this aks-auditor reads version 1) (got 2)"),
    ("gate: [1\n", "not valid YAML at line 2 column 1: expected ',' or ']', but got '<stream end>'"),
    ("- gate\n", "expected a mapping of sections (source, scope, gate, ...), got list"),
    ("policies:\n  enable: [AKS-012]\n  disable: [AKS-012]\n",
     "policies.enable and policies.disable both name AKS-012"),
    ("policies:\n  enable: [NOPE-1]\n", "policies.enable: NOPE-1: no such policy (see `aks-auditor policies list`)"),
    ("policies:\n  parameters:\n    AKS-003: {max_pool_skew: many}\n",
     "policies.parameters.AKS-003.max_pool_skew: expected int, got 'many'"),
    ("policies:\n  parameters:\n    AKS-003: {maxSkew: 1}\n", "policies.parameters.AKS-003.maxSkew: policy AKS-003 "
     "has no parameter 'maxSkew' (parameters: max_pool_skew, max_pool_skew_before_1_28)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_bad_file_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    out_dir = tmp_path / "out"
    for command in (["scan", "--demo", "--output-dir", str(out_dir)], ["config", "show"]):
        code, out, err = run(*command, "--config", str(config))
        assert (code, out) == (2, "")
        assert err == f"aks-auditor: error: {config}: {message}\n"
    assert not out_dir.exists()  # nothing half-written


def test_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert run("scan", "--config", str(missing)) == (
        2, "", f"aks-auditor: error: {missing}: configuration file not found\n",
    )  # fmt: skip
    code, _, err = run("scan", "--config", str(tmp_path))
    assert code == 2 and "is a directory" in err  # click's own check of --config


def test_a_check_across_options_names_where_each_value_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path, {"baseline": {"source": "history:latest"}})
    code, _, err = run("scan", "--demo", "--config", str(config))
    assert code == 2
    assert err == (
        "aks-auditor: error: --baseline history:latest reads the history: give --history URL "
        f"(--baseline from {config}: baseline.source)\n"
    )
    monkeypatch.setenv("AKS_AUDITOR_FAIL_ON_NEW_ONLY", "true")
    code, _, err = run("scan", "--demo")
    assert code == 2
    assert err == (
        "aks-auditor: error: --fail-on-new-only compares with a baseline: give --baseline RESULT.json "
        "(--fail-on-new-only from env AKS_AUDITOR_FAIL_ON_NEW_ONLY)\n"
    )


def test_live_only_settings_from_the_file_do_not_block_a_snapshot_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team file names the live scope; `--demo` on top of it reads no Azure and is not refused (a
    typed live-only flag still is)."""
    config = write_config(tmp_path, {"scope": {"subscriptions": ["s1"]}, "collection": {"workers": 4}})
    code, _, err = run("scan", "--demo", "-q", "--fail-on", "none", "--config", str(config), "--output-dir",
                       str(tmp_path / "r"))  # fmt: skip
    assert (code, err) == (0, "")
    code, _, err = run("scan", "--demo", "--workers", "2", "--config", str(config))
    assert code == 2 and err.startswith("aks-auditor: error: --workers is for live scans only")


def test_help_names_the_config_option() -> None:
    code, out, _ = run("scan", "--help")
    assert code == 0 and "--config FILE" in out and "AKS_AUDITOR_<FLAG>" in out
    assert cli.commands["collect"].params[0].name == "config"
