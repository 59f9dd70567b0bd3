"""Layered validation: structure, expressions, parameters — one line naming file, policy, field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.errors import ConfigError, PolicyError
from auditor.policies.evaluator import Evaluator
from auditor.policies.loader import Selection, configure, load_policy_dirs, load_policy_file
from auditor.resources import builtin_policies_dir

from ..conftest import REPO

MINIMAL = """\
id: CUSTOM-001
name: custom-check
title: A custom check
severity: low
resource: cluster
description: d
rationale: r
parameters:
  limit: {{type: int, default: 3, description: a limit}}
check: {check}
message: "Cluster {{resource.name}} failed"
"""


def write_policy(directory: Path, text: str, name: str = "CUSTOM-001") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def compile_all(directory: Path) -> None:
    sources = load_policy_dirs(None, [directory])
    Evaluator(configure(sources, Selection()), datetime.now(UTC))


def test_valid_custom_policy_loads_and_compiles(tmp_path: Path) -> None:
    write_policy(tmp_path, MINIMAL.format(check="size(resource.nodePools) <= params.limit"))
    compile_all(tmp_path)


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write_policy(tmp_path, "id: CUSTOM-001\ntitle: [unclosed\n")
    with pytest.raises(PolicyError) as raised:
        load_policy_file(path)
    assert str(path) in raised.value.message
    assert "not valid YAML at line 3" in raised.value.message


def test_unknown_key_is_refused_naming_it(tmp_path: Path) -> None:
    path = write_policy(tmp_path, MINIMAL.format(check="1 == 1") + "severty: high\n")
    with pytest.raises(PolicyError, match=r"CUSTOM-001: severty: Extra inputs are not permitted"):
        load_policy_file(path)


def test_bad_severity_names_field_and_value(tmp_path: Path) -> None:
    path = write_policy(tmp_path, MINIMAL.format(check="1 == 1").replace("severity: low", "severity: urgent"))
    with pytest.raises(PolicyError, match=r'severity: Input should be .* \(got "urgent"\)'):
        load_policy_file(path)


def test_id_must_equal_file_name(tmp_path: Path) -> None:
    path = write_policy(tmp_path, MINIMAL.format(check="1 == 1"), name="OTHER-001")
    with pytest.raises(PolicyError, match=r"id: must equal the file name 'OTHER-001'"):
        load_policy_file(path)


def test_expression_syntax_error_names_field_line_and_column(tmp_path: Path) -> None:
    write_policy(tmp_path, MINIMAL.format(check="'resource.name == '"))
    write_policy(tmp_path, MINIMAL.format(check="resource.name == && true"))
    with pytest.raises(PolicyError) as raised:
        compile_all(tmp_path)
    message = raised.value.message
    assert message.startswith(f"{tmp_path / 'CUSTOM-001.yaml'}: CUSTOM-001: check: line 1, column 18:")
    assert "Syntax error" in message


def test_unknown_function_and_variable_are_compile_errors(tmp_path: Path) -> None:
    write_policy(tmp_path, MINIMAL.format(check="noSuchFunction(resource.name)"))
    with pytest.raises(
        PolicyError, match=r"check: line 1, column 15: undeclared reference to 'noSuchFunction'"
    ):
        compile_all(tmp_path)
    write_policy(tmp_path, MINIMAL.format(check="members.size() > 0"))  # `members` is not a cluster variable
    with pytest.raises(PolicyError, match=r"check: line 1, column 1: undeclared reference to 'members'"):
        compile_all(tmp_path)


def test_error_inside_a_let_names_the_let(tmp_path: Path) -> None:
    text = MINIMAL.format(check="x").replace("check: x", "let:\n  x: resource.name +\ncheck: x")
    write_policy(tmp_path, text)
    with pytest.raises(PolicyError, match=r"CUSTOM-001: let.x: line 1"):
        compile_all(tmp_path)


def test_parameter_default_of_the_wrong_type(tmp_path: Path) -> None:
    path = write_policy(tmp_path, MINIMAL.format(check="1 == 1").replace("default: 3", "default: three"))
    with pytest.raises(
        PolicyError, match=r"CUSTOM-001: parameters.limit.default: expected int, got str 'three'"
    ):
        load_policy_file(path)


def test_message_placeholder_must_be_known(tmp_path: Path) -> None:
    write_policy(tmp_path, MINIMAL.format(check="1 == 1").replace("{resource.name}", "{cluster.name}"))
    with pytest.raises(PolicyError, match=r"message: unknown placeholder \{cluster.name\}"):
        compile_all(tmp_path)


def test_set_unknown_parameter_and_bad_value() -> None:
    sources = load_policy_dirs(builtin_policies_dir(), [])
    with pytest.raises(
        ConfigError, match=r"--set AKS-008.max_age=3: policy AKS-008 has no parameter 'max_age'"
    ):
        configure(sources, Selection(sets={"AKS-008.max_age": "3"}))
    with pytest.raises(ConfigError, match=r"--set AKS-008.max_age_days_linux=soon: expected int, got 'soon'"):
        configure(sources, Selection(sets={"AKS-008.max_age_days_linux": "soon"}))
    with pytest.raises(ConfigError, match=r"no such policy 'NOPE-001'"):
        configure(sources, Selection(sets={"NOPE-001.x": "1"}))
    with pytest.raises(ConfigError, match=r"--enable NOPE-002: no such policy"):
        configure(sources, Selection(enable=frozenset({"NOPE-002"})))


def test_set_enable_disable_apply() -> None:
    sources = load_policy_dirs(builtin_policies_dir(), [])
    configured = configure(
        sources,
        Selection(
            sets={"AKS-006.allowed": "stable, rapid", "AKS-008.max_age_days_linux": "14"},
            enable=frozenset({"FLEET-005"}),
            disable=frozenset({"AKS-009"}),
        ),
    )
    by_id = {c.spec.id: c for c in configured}
    assert "FLEET-005" in by_id and "AKS-009" not in by_id
    assert by_id["AKS-006"].params["allowed"] == ["stable", "rapid"]
    assert by_id["AKS-008"].params["max_age_days_linux"] == 14


def test_a_custom_policy_replaces_the_builtin_with_the_same_id(tmp_path: Path) -> None:
    original = (REPO / "policies" / "aks" / "AKS-009.yaml").read_text(encoding="utf-8")
    write_policy(tmp_path, original.replace("severity: low", "severity: high"), name="AKS-009")
    sources = load_policy_dirs(builtin_policies_dir(), [tmp_path])
    replaced = next(s for s in sources if s.spec.id == "AKS-009")
    assert replaced.path == tmp_path / "AKS-009.yaml" and replaced.spec.severity.value == "high"
    assert len([s for s in sources if s.spec.id == "AKS-009"]) == 1


def test_missing_policy_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policy directory not found"):
        load_policy_dirs(None, [tmp_path / "nope"])
