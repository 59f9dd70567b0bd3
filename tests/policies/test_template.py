from __future__ import annotations

import pytest

from auditor.policies.template import Template, TemplateError

ROOTS = frozenset({"resource", "evidence"})


def test_placeholders_literals_lists_and_nulls() -> None:
    template = Template("{{x}} {resource.name} has {evidence.items} ({evidence.none}) {evidence.flag}", ROOTS)
    rendered = template.render(
        {"resource": {"name": "c1"}, "evidence": {"items": ["a", "b"], "none": None, "flag": True}}
    )
    assert rendered == "{x} c1 has a, b (none) true"


def test_missing_paths_render_as_unknown_instead_of_failing() -> None:
    assert Template("{resource.tags.env}", ROOTS).render({"resource": {"tags": {}}}) == "(unknown)"
    assert Template("{evidence.list}", ROOTS).render({"evidence": {"list": []}}) == "(none)"


@pytest.mark.parametrize(
    ("source", "problem"), [("{cluster.name}", "unknown placeholder"), ("a { b", "unbalanced brace")]
)
def test_bad_templates_are_refused(source: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        Template(source, ROOTS)
