"""docs/policies.md and docs/cel.md are generated from the code; stale docs fail here.

Regenerate: UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from auditor.policies.loader import load_policy_dirs
from auditor.policies.reference import cel_markdown, policies_markdown
from auditor.resources import builtin_policies_dir

from .conftest import REPO

DOCS: dict[str, Callable[[], str]] = {
    "policies.md": lambda: policies_markdown(load_policy_dirs(builtin_policies_dir(), [])),
    "cel.md": cel_markdown,
}


@pytest.mark.parametrize("name", sorted(DOCS))
def test_generated_docs_are_current(name: str) -> None:
    path = REPO / "docs" / name
    expected = DOCS[name]()
    if os.environ.get("UPDATE_DOCS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path} is stale: UPDATE_DOCS=1 pytest tests/test_docs.py"
    )


def test_the_reference_names_every_policy_parameter_and_function() -> None:
    text = DOCS["policies.md"]()
    for source in load_policy_dirs(builtin_policies_dir(), []):
        assert f"## {source.spec.id}" in text
        for name in source.spec.parameters:
            assert f"| `{name}` |" in text
    assert "`minorPath(string, string)`" in DOCS["cel.md"]()
    assert "| nodePool | `resource`, `cluster`, `catalog` |" in DOCS["cel.md"]()
