"""One formatter turns every pydantic validation error (snapshots, waivers, policies, payloads, CLI
values) into the one line the user reads."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, field_validator

from auditor.errors import ConfigError, config_error, describe_validation_error


class Inner(BaseModel):
    count: int


class Doc(BaseModel):
    name: str
    items: list[Inner] = []

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a name must not be blank")
        return value


def failure(**data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Doc.model_validate(data)
    return caught.value


def test_a_models_own_check_reads_as_its_message_with_the_field_and_value() -> None:
    assert describe_validation_error(failure(name=" ")) == 'name: a name must not be blank (got " ")'


def test_a_nested_type_error_names_the_path_the_value_and_how_many_more() -> None:
    error = failure(name="n", items=[{"count": "many"}, {"count": []}])
    assert describe_validation_error(error) == (
        'items.0.count: Input should be a valid integer, unable to parse string as an integer (got "many")'
        " (1 more)"
    )


def test_a_missing_field_and_a_value_that_is_not_a_scalar() -> None:
    assert describe_validation_error(failure()) == "name: Field required"
    assert (
        describe_validation_error(failure(name={"a": 1})) == "name: Input should be a valid string (got dict)"
    )


def test_config_errors_are_the_message_alone_and_exit_2() -> None:
    error = config_error(failure(name=""))
    assert isinstance(error, ConfigError)
    assert (error.message, error.exit_code) == ("a name must not be blank", 2)
