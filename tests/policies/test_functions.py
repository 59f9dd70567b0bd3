from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.policies import functions as fn


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("AKSUbuntu-2204gen2containerd-202410.27.0", datetime(2024, 10, 27, tzinfo=UTC)),
        ("AKSUbuntu-2204gen2containerd-202501.12.0-2025.01.22", datetime(2025, 1, 22, tzinfo=UTC)),
        ("AKSAzureLinux-V3gen2-202510.20.1", datetime(2025, 10, 20, tzinfo=UTC)),
        ("AKSWindows-2022-containerd-20348.2966.241114", datetime(2024, 11, 14, tzinfo=UTC)),
        ("AKSWindows-23H2-gen2-25398.1251.241114", datetime(2024, 11, 14, tzinfo=UTC)),
        ("AKSUbuntu-1604-2020.03.11", datetime(2020, 3, 11, tzinfo=UTC)),
        ("AKSUbuntu:1604:2020.03.11", datetime(2020, 3, 11, tzinfo=UTC)),
    ],
)
def test_node_image_date(image: str, expected: datetime) -> None:
    assert fn.node_image_date(image) == expected


@pytest.mark.parametrize(
    "image", ["AKSUbuntu-latest", "", "AKSUbuntu-2204-202413.40.0", "AKSWindows-2022-1.2.3"]
)
def test_node_image_date_refuses_unreadable_strings_naming_them(image: str) -> None:
    with pytest.raises(ValueError, match="node image version") as raised:
        fn.node_image_date(image)
    assert repr(image) in str(raised.value)


def test_versions() -> None:
    assert fn.minor_of("1.29.3") == "1.29"
    assert fn.minor_of("v1.29") == "1.29"
    assert fn.version_compare("1.29", "1.29.0") == 0
    assert fn.version_compare("1.30.1", "1.29.10") == 1
    assert fn.version_compare("1.9.1", "1.10.0") == -1
    assert fn.minor_gap("1.28.5", "1.31.0") == 3
    assert fn.minor_gap("1.31.0", "1.28.5") == -3
    assert fn.minor_path("1.28.5", "1.31.1") == ["1.29", "1.30", "1.31"]
    assert fn.minor_path("1.30.1", "1.30.4") == []
    assert fn.latest_version(["1.30.9", "1.30.10", "1.30.2"]) == "1.30.10"
    assert fn.same_major("1.30.1", "1.2") and not fn.same_major("1.30", "2.0")


@pytest.mark.parametrize("bad", ["latest", "1", "1.x.3", ""])
def test_bad_versions_raise_naming_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        fn.minor_of(bad)


def test_minor_gap_refuses_other_majors() -> None:
    with pytest.raises(ValueError, match="one major"):
        fn.minor_gap("1.31.0", "2.0.0")


def test_days_between_counts_whole_days_and_goes_negative_for_the_future() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert fn.days_between(datetime(2026, 5, 1, tzinfo=UTC), now) == 31
    assert fn.days_between(datetime(2026, 6, 3, tzinfo=UTC), now) == -2
