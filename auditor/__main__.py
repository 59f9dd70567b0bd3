"""``python -m auditor``: the same as the ``aks-auditor`` command."""

from auditor.cli import main

main()
