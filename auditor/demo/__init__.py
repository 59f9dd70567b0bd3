"""The embedded demo estate: a fictitious "Contoso" AKS and Fleet Manager estate for ``scan --demo``.

``estate.json`` is a complete, gap-free snapshot collected at 2026-11-20T06:00:00Z; every time-relative
value in it (node image dates, heartbeats, update runs) is relative to that instant, so the demo must be
evaluated with ``now = estate.collected_at``. Every built-in policy has passing and failing resources in it.
"""

from __future__ import annotations

from importlib.resources import files

from auditor.inventory import Estate

_RESOURCE = "estate.json"


def load_demo_estate() -> Estate:
    """Read and validate the demo snapshot shipped next to this module."""
    text = files(__name__).joinpath(_RESOURCE).read_text(encoding="utf-8")
    return Estate.model_validate_json(text)
