"""docs/recipes/: the pipelines validate against their published schemas (as vendored by check-jsonschema,
no download), the Kubernetes manifests against the kubernetes client's models, every aks-auditor option
they use exists, and the Dockerfile keeps to its rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes.client as k8s
import pydantic
import pytest
import yaml

from .conftest import run_cli

RECIPES = Path(__file__).resolve().parents[1] / "docs" / "recipes"
WORKFLOWS = sorted((RECIPES / "github-actions").glob("*.yml"))


def check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--regex-variant", "python", "--builtin-schema", schema,
         *map(str, files)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_github_workflows_validate_against_the_workflow_schema(tmp_path: Path) -> None:
    assert [p.name for p in WORKFLOWS] == ["pr-gate.yml", "scheduled-scan.yml"]
    done = check("vendor.github-workflows", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs: {a: {runs-on: x, steps: [{usez: y}]}}\n", encoding="utf-8")
    assert check("vendor.github-workflows", broken).returncode == 1  # the check can fail


def test_azure_pipeline_validates_against_its_schema(tmp_path: Path) -> None:
    done = check("vendor.azure-pipelines", RECIPES / "azure-pipelines.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text("schedules: 5\n", encoding="utf-8")
    assert check("vendor.azure-pipelines", broken).returncode == 1


def _commands() -> list[list[str]]:
    """Every ``aks-auditor ...`` command line of the recipes, split into words."""
    commands = []
    for path in [*WORKFLOWS, RECIPES / "azure-pipelines.yml"]:
        for text in re.findall(
            r"aks-auditor scan[^\n]*(?:\n[ \t]+--[^\n]*)*", path.read_text(encoding="utf-8")
        ):
            commands.append(" ".join(text.split()).split(" "))
    return commands


@pytest.mark.parametrize("words", _commands(), ids=lambda w: " ".join(w)[:60])
def test_recipe_commands_use_options_that_exist(words: list[str]) -> None:
    _, usage, _ = run_cli("scan", "--help")
    flags = {word for word in words if word.startswith("--")}
    assert flags, words
    missing = sorted(flag for flag in flags if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", usage))
    assert missing == [], f"options not in scan --help: {missing}"


def test_the_recipes_gate_on_drift_and_keep_the_reports() -> None:
    scheduled = yaml.safe_load(
        (RECIPES / "github-actions" / "scheduled-scan.yml").read_text(encoding="utf-8")
    )
    steps = scheduled["jobs"]["scan"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert {"azure/login", "github/codeql-action/upload-sarif", "actions/upload-artifact"} <= set(uses)
    assert scheduled["permissions"]["id-token"] == "write"  # OIDC, no client secret
    scan = next(step["run"] for step in steps if "aks-auditor scan" in step.get("run", ""))
    assert "--baseline history:latest" in scan and "--fail-on-new-only" in scan
    assert all(
        step.get("if") == "always()"
        for step in steps
        if step.get("uses", "").startswith(("github/", "actions/upload"))
    )


def test_the_dockerfile_is_minimal_pinned_and_not_root() -> None:
    lines = [line.strip() for line in (RECIPES / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    base = instructions[0].split()
    assert base[0] == "FROM" and re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", base[1]), base  # a pinned tag
    users = [i.split()[1] for i in instructions if i.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    entry = next(i for i in instructions if i.startswith("ENTRYPOINT"))
    assert entry == 'ENTRYPOINT ["aks-auditor"]'  # exec form: signals reach the process
    assert instructions.index(f"USER {users[-1]}") < instructions.index(entry)
    assert not any(i.startswith("ADD ") for i in instructions)


# --- Kubernetes CronJob recipes ---------------------------------------------------------------------

KUBERNETES = sorted((RECIPES / "kubernetes").glob("*.yaml"))
#: (apiVersion, kind) -> the kubernetes client's model (pydantic, unknown fields refused).
K8S_MODELS: dict[tuple[str, str], type[Any]] = {
    ("v1", "Namespace"): k8s.V1Namespace,
    ("v1", "ServiceAccount"): k8s.V1ServiceAccount,
    ("v1", "ConfigMap"): k8s.V1ConfigMap,
    ("v1", "Secret"): k8s.V1Secret,
    ("v1", "PersistentVolumeClaim"): k8s.V1PersistentVolumeClaim,
    ("batch/v1", "CronJob"): k8s.V1CronJob,
    ("batch/v1", "Job"): k8s.V1Job,
}
SAMPLE_DATABASE = "postgresql://auditor:pw@db.internal:5432/aks_auditor"


def manifests(path: Path) -> dict[str, dict[str, Any]]:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    kinds = [d["kind"] for d in documents]
    assert len(set(kinds)) == len(kinds), kinds
    return {d["kind"]: d for d in documents}


def test_kubernetes_recipes_exist() -> None:
    assert [p.name for p in KUBERNETES] == ["cronjob-postgresql.yaml", "cronjob.yaml"]


@pytest.mark.parametrize("path", KUBERNETES, ids=lambda p: p.name)
def test_kubernetes_recipes_validate_against_the_kubernetes_models(path: Path) -> None:
    for document in manifests(path).values():
        model = K8S_MODELS[(document["apiVersion"], document["kind"])]
        assert model.model_validate(document).kind == document["kind"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c.update(imagee="x"), "imagee"),
        (lambda c: c.update(args="scan"), "args"),
        (lambda c: c["securityContext"].update(runAsUserr=1), "runAsUserr"),
        (lambda c: c.pop("name"), "name"),
    ],
)
def test_the_kubernetes_model_check_can_fail(change: Callable[[dict[str, Any]], Any], field: str) -> None:
    cronjob = manifests(RECIPES / "kubernetes" / "cronjob.yaml")["CronJob"]
    change(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0])
    with pytest.raises(pydantic.ValidationError, match=field):
        k8s.V1CronJob.model_validate(cronjob)


def _dockerfile_uid() -> int:
    text = (RECIPES / "Dockerfile").read_text(encoding="utf-8")
    return int(re.findall(r"^USER (\d+)$", text, re.MULTILINE)[-1])


@pytest.mark.parametrize("path", KUBERNETES, ids=lambda p: p.name)
def test_the_cronjob_runs_a_drift_gate_with_workload_identity(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = manifests(path)
    account, cronjob, config_map = found["ServiceAccount"], found["CronJob"], found["ConfigMap"]
    job = cronjob["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    [container] = pod["containers"]
    # workload identity: the annotated service account, the pod label the webhook looks for
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert job["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert not any("AZURE_CLIENT_SECRET" in str(e) for e in container.get("env", []))
    # one scan at a time; findings, bad config and unwritable reports are not retried, an incomplete scan is
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    assert pod["restartPolicy"] == "Never"
    [rule] = job["podFailurePolicy"]["rules"]
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["containerName"] == container["name"]
    assert (rule["onExitCodes"]["operator"], sorted(rule["onExitCodes"]["values"])) == ("In", [1, 2, 4])
    # the image's non-root user, nothing writable but the volumes
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == pod["securityContext"]["fsGroup"] == _dockerfile_uid()
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert {m["name"] for m in mounts.values()} == set(volumes)
    for volume in volumes.values():
        if "configMap" in volume:
            assert volume["configMap"]["name"] == config_map["metadata"]["name"]
        if "persistentVolumeClaim" in volume:
            assert (
                volume["persistentVolumeClaim"]["claimName"]
                == found["PersistentVolumeClaim"]["metadata"]["name"]
            )
    # the arguments and the mounted config file are what scan accepts (checked by config show)
    assert container["args"][:2] == ["scan", "--config"]
    mounted = Path(container["args"][2])
    config_mount = mounts[str(mounted.parent)]
    assert config_mount["readOnly"] is True and "configMap" in volumes[config_mount["name"]]
    local = tmp_path / mounted.name
    local.write_text(config_map["data"][mounted.name], encoding="utf-8")
    for variable in container.get("env", []):
        secret = variable["valueFrom"]["secretKeyRef"]
        assert (secret["name"], secret["key"]) == ("aks-auditor-history", "url")
        monkeypatch.setenv(variable["name"], SAMPLE_DATABASE)
    code, out, err = run_cli("config", "show", "--json", "--config", str(local), *container["args"][3:])
    assert (code, err) == (0, "")
    rows = {row["key"]: row for row in json.loads(out)["settings"]}
    assert rows["baseline.source"]["value"] == "history:latest"
    assert (rows["gate.newOnly"]["value"], rows["gate.failOn"]["value"]) == ("true", "high")
    history = rows["history.url"]
    if "PersistentVolumeClaim" in found:  # SQLite on the volume
        assert history["origin"] == f"{local}: history.url"
        writable = [Path(history["value"]).parent, Path(rows["outputs.dir"]["value"])]
    else:  # PostgreSQL from the Secret, through the environment layer; the password never printed
        assert (history["origin"], history["value"]) == (
            "env AKS_AUDITOR_HISTORY", "postgresql://auditor:***@db.internal:5432/aks_auditor",
        )  # fmt: skip
        writable = [Path(rows["outputs.dir"]["value"])]
    data_mounts = [Path(p) for p, m in mounts.items() if not m.get("readOnly")]
    assert all(any(place.is_relative_to(mount) for mount in data_mounts) for place in writable), writable
