"""The command line: parse options into typed models -> gather -> evaluate -> render. The group and its
single error boundary are in ``app``; one module per command family; nothing here holds business logic."""

from auditor.cli.app import cli, main

__all__ = ["cli", "main"]
