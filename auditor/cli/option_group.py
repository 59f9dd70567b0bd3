"""Option groups: click options that become one typed, frozen model (auditor/config.py), passed to the
command as one argument; a failed check is one ConfigError line naming where each value came from."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import click
from click.core import ParameterSource
from pydantic import ValidationError

from auditor.cli.settings import Given, given_from, origins_named
from auditor.errors import config_error

M = TypeVar("M")
Command = Callable[..., Any]


@dataclass(frozen=True)
class OptionGroup(Generic[M]):
    """Options that become one model: ``build(values, given)`` gets the values by parameter name and
    ``given``: the flags typed on the command line (in declaration order), each value's source and the
    config file's layer (auditor/cli/settings.py)."""

    argument: str
    options: tuple[click.Option, ...]
    build: Callable[[Mapping[str, Any], Given], M]

    @property
    def names(self) -> list[str]:
        return [option.name for option in self.options if option.name]

    def from_context(self, context: click.Context, values: Mapping[str, Any]) -> M:
        """The group's model from its values in ``context``; a failed check is one ConfigError line
        that names the config file keys the group took, if any (exit 2)."""
        names = self.names
        flags = tuple(
            option.opts[0]
            for option in self.options
            if option.name and context.get_parameter_source(option.name) is ParameterSource.COMMANDLINE
        )
        given = given_from(context, names, flags)
        try:
            return self.build({name: values[name] for name in names}, given)
        except ValidationError as error:
            problem = config_error(error)
            named = origins_named(context, self.options, problem.message)
            if named:
                problem.message += f" ({'; '.join(named)})"
            raise problem from None

    def __call__(self, command: Command) -> Command:
        names = self.names

        @functools.wraps(command)
        def run(**kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            kwargs[self.argument] = self.from_context(click.get_current_context(), values)
            return command(**kwargs)

        # click reads ``__click_params__`` bottom-up; appending reversed keeps the declared order in --help.
        run.__click_params__ = [  # type: ignore[attr-defined]
            *getattr(command, "__click_params__", []),
            *reversed(self.options),
        ]
        return run


def validated(model: Callable[..., M], **fields: Any) -> M:
    """``model(**fields)``, its own checks' failures as one ConfigError line (exit 2)."""
    try:
        return model(**fields)
    except ValidationError as error:
        raise config_error(error) from None
