"""The collector pause the evaluator and the report writers run under."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

import auditor
from auditor.gcpause import collector_paused

PACKAGE = Path(auditor.__file__).resolve().parent


def test_collector_paused_restores_the_previous_state() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "a caller that disabled the collector keeps it disabled"
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_no_automatic_collection_runs_during_a_scan() -> None:
    """Once findings exist, each automatic full collection walks all of them: the whole scan — cards,
    horizon, waivers, summary, not only the evaluation — runs with the collector paused."""
    from auditor.policies.loader import Selection, configure, load_policy_dirs
    from auditor.resources import builtin_policies_dir
    from auditor.scan import run_scan
    from benchmarks.generate_estate import build_estate

    estate = build_estate(clusters=30, subscriptions=3)
    policies = configure(load_policy_dirs(builtin_policies_dir(), []), Selection())
    collections: list[bool] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":  # where: in the scan's code (not the pause's own exit) or outside it
            frame, inside = sys._getframe(1), False
            while frame is not None and not inside:
                path = Path(frame.f_code.co_filename)
                inside = PACKAGE in path.parents and path.name != "gcpause.py"
                frame = frame.f_back
            collections.append(inside)

    thresholds = gc.get_threshold()
    gc.set_threshold(50, 1, 1)  # a collection every 50 allocations when the collector runs
    gc.collect()  # counts from zero: entering the scan allocates a few objects before the pause
    gc.callbacks.append(count)
    try:
        result = run_scan(estate, policies, started_at=estate.collected_at, fail_on=None)
        garbage = [[] for _ in range(200)]  # allocations after the scan
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*thresholds)
    assert len(result.findings) > 500 and result.clusters
    assert True not in collections, "a collection ran inside the scan"
    assert garbage and False in collections, "the collector runs again after the scan"
    assert gc.isenabled()
