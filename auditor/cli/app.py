"""The ``aks-auditor`` group: its commands, and the one error boundary that turns errors into exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click

from auditor import __version__
from auditor.cli import echo
from auditor.cli.calendar import calendar
from auditor.cli.config import config
from auditor.cli.history import history
from auditor.cli.merge import merge
from auditor.cli.options import EXIT_CODES_HELP
from auditor.cli.policies import policies
from auditor.cli.remediate import remediate
from auditor.cli.results import convert, schema
from auditor.cli.scan import collect, scan
from auditor.errors import AuditorError

EXIT_INTERRUPTED = 130


class AuditorGroup(click.Group):
    """Maps every AuditorError to its exit code with one line on stderr: the only error boundary."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.exceptions.Abort:
            echo.err("aks-auditor: interrupted; no report was left half-written")
            sys.exit(EXIT_INTERRUPTED)
        except AuditorError as error:
            echo.err(f"aks-auditor: error: {error.message}")
            for line in (error.hint or "").splitlines():  # each line printable on its own
                echo.err(f"aks-auditor: hint: {line}")
            sys.exit(error.exit_code)


@click.group(cls=AuditorGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="aks-auditor")
def cli() -> None:
    """Policy-as-code compliance auditor for AKS and Azure Kubernetes Fleet Manager estates."""


for command in (scan, collect, merge, remediate, policies, calendar, history, config, schema, convert):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="aks-auditor")
