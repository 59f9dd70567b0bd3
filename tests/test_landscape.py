"""The version landscape: clusters per minor per region against the region's supported minors (unknown
without a catalog, never "supported"), node image ages bucketed (unreadable ones counted as unknown);
and the HTML report's table of it agrees with the result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from auditor.inventory import Estate
from auditor.landscape import landscape
from auditor.scan import run_scan
from tests.reporters.test_glance import _rows
from tests.reporters.test_html import html_text, parse

from .conftest import compliant_catalog, compliant_cluster, estate_document
from .history.test_store import POLICIES

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def cluster(name: str, location: str, version: str | None, *images: str) -> dict[str, Any]:
    document = compliant_cluster(name) | {
        "location": location,
        "currentKubernetesVersion": version,
        "kubernetesVersion": version,
    }
    document["nodePools"] = [
        dict(document["nodePools"][0], name=f"p{i}", nodeImageVersion=image) for i, image in enumerate(images)
    ]
    return document


def estate() -> Estate:
    preview = {
        "version": "1.36",
        "isPreview": True,
        "supportPlans": ["KubernetesOfficial"],
        "patchVersions": {},
    }
    lts_only = {"version": "1.33", "supportPlans": ["AKSLongTermSupport"], "patchVersions": {}}
    catalog = compliant_catalog()
    catalog["versions"] = [*catalog["versions"], preview, lts_only]
    return Estate.model_validate(
        estate_document(
            clusters=[
                cluster("a", "eastus", "1.35.2", "AKSUbuntu-2204gen2containerd-202605.25.0"),  # 7 days
                cluster("b", "eastus", "1.33.1", "AKSUbuntu-2204gen2containerd-202601.10.0", "garbage"),
                cluster("c", "EastUS", "1.35.0"),
                cluster("d", "westeurope", None, "AKSWindows-2022-containerd-20348.2966.251114"),
            ],
            catalogs=[catalog],
        )
    )


def test_clusters_per_minor_against_the_supported_window() -> None:
    land = landscape(estate(), NOW)
    assert [(r.region, r.supported, r.clusters) for r in land.regions] == [
        (
            "eastus",
            ("1.34", "1.35"),
            {"1.33": 1, "1.35": 2},
        ),  # preview and LTS-only minors are not the window
        ("westeurope", None, {"unknown": 1}),  # no catalog: unknown, not supported
    ]
    assert [(b.label, b.pools) for b in land.image_ages] == [
        ("0 to 30 days", 1), ("31 to 60 days", 0), ("61 to 90 days", 0), ("91 to 180 days", 1),
        ("over 180 days", 1), ("unknown", 1),  # a Windows build of 2025-11-14; "garbage"
    ]  # fmt: skip


def test_the_report_shows_the_landscape_of_the_result() -> None:
    result = run_scan(estate(), POLICIES, started_at=NOW, fail_on=None)
    assert result.landscape == landscape(estate(), result.scan.evaluated_at or NOW)
    page = parse(html_text(result))
    rows = _rows(page, "landscape-table")
    header = next(r.content for r in page.all("tr") if r.content.startswith("Region Supported minors"))
    assert header.split()[3:-3] == ["1.33", "1.34", "1.35", "unknown"]
    assert rows == [
        ["eastus", "1.34, 1.35", "1", "0", "2", "0", "1"],
        ["westeurope", "unknown (no catalog)", "0", "0", "0", "1", "unknown"],
    ]
    dots = [e.attrs["class"] for e in page.all("circle")]
    assert sorted(dots) == ["dot inside", "dot outside", "dot unknown"]


def test_cluster_cards_in_the_result_and_under_each_cluster_heading() -> None:
    document = estate().model_dump(mode="json", by_alias=True)
    document["clusters"][1]["fleetMemberships"] = None  # b: memberships not read
    document["clusters"][0]["fleetMemberships"] = [
        {"fleetId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/fleets/fleet-1",
         "memberName": "a", "group": "canary"}
    ]  # fmt: skip
    result = run_scan(Estate.model_validate(document), POLICIES, started_at=NOW, fail_on=None)
    cards = {card.name: card for card in result.clusters}
    assert [(p.name, p.image_age_days, p.image_latest) for p in cards["a"].pools] == [("p0", 7, True)]
    assert [(p.name, p.image_age_days, p.os) for p in cards["b"].pools] == [
        ("p0", 142, "Linux"),
        ("p1", None, "Linux"),
    ]
    assert (cards["a"].fleets, cards["b"].fleets, cards["c"].fleets) == (
        ("fleet-1 (group canary)",),
        None,
        (),
    )
    assert (cards["a"].upgrade_channel, cards["a"].node_os_channel, cards["d"].version) == (
        "patch",
        "NodeImage",
        None,
    )
    page = parse(html_text(result))
    text = {e.attrs.get("id"): e.content for e in page.all("div", "resource")}
    shown = [content for content in text.values() if content.startswith("b ")]
    assert (
        shown
        and "Fleets unknown (memberships not read)" in shown[0]
        and "p1 User Linux 1.35.2 garbage" not in shown[0]
    )
    assert "unknown" in shown[0].split("p1", 1)[1]  # the unreadable image's age
    a = next(content for content in text.values() if content.startswith("a "))
    assert "Fleets fleet-1 (group canary)" in a and "Channels upgrade patch · node OS NodeImage" in a
