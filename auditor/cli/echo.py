"""Everything the CLI prints goes through here: values from clusters and APIs are made printable."""

from __future__ import annotations

import click

from auditor.terminal import printable


def out(text: str, *, newline: bool = True) -> None:
    """Text on stdout, line by line, control characters in each line shown escaped."""
    click.echo(printable(text, keep_newlines=True), nl=newline)


def err(text: str) -> None:
    """One line on stderr, control characters (newlines too) shown escaped."""
    click.echo(printable(text), err=True)
