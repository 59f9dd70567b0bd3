"""``aks-auditor policies new``: a policy file and a tests file that pass ``policies test`` as written."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from auditor.errors import ConfigError
from auditor.policies.model import POLICY_ID, PolicySpec
from auditor.resources import template_loader

#: Resource kinds with a scaffold; the others start best from a built-in policy of that kind.
SCAFFOLDS = ("cluster",)
SCHEMA_FILE = "policy.schema.json"


def scaffold(policy_id: str, resource: str, folder: Path) -> dict[Path, str]:
    """The files to write (path -> text); refuses an id of the wrong shape or a policy that exists."""
    if not POLICY_ID.match(policy_id):
        raise ConfigError(
            f"policies new {policy_id}: expected an id like ACME-001 (letters, a dash, 3+ digits)"
        )
    if resource not in SCAFFOLDS:
        raise ConfigError(
            f"--resource {resource}: scaffolds exist for {', '.join(SCAFFOLDS)}; for {resource} start from a "
            f"built-in policy of that kind (aks-auditor policies show ID)"
        )
    target = folder / f"{policy_id}.yaml"
    if target.exists():
        raise ConfigError(f"{target}: exists; it is never overwritten")
    env = Environment(  # noqa: S701  # YAML text, not HTML: nothing to escape, and the id is checked above
        loader=template_loader("scaffold"), undefined=StrictUndefined, keep_trailing_newline=True
    )
    values = {"id": policy_id, "name": policy_id.lower()}
    files = {
        target: env.get_template(f"{resource}.yaml.j2").render(values),
        folder / f"{policy_id}.tests.yaml": env.get_template(f"{resource}.tests.yaml.j2").render(values),
    }
    schema = folder / SCHEMA_FILE
    if not schema.exists():
        files[schema] = json.dumps(PolicySpec.model_json_schema(by_alias=True), indent=2) + "\n"
    return files
