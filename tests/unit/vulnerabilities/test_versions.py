"""Version numbers and ranges of app releases (VUL-04): parsed by `packaging`, compared in plain version order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from appcomply.vulnerabilities.errors import VersionInvalid, VersionRangeInvalid
from appcomply.vulnerabilities.rules import (
    UpgradeStatus,
    highest,
    in_range,
    normalise_range,
    parse_range,
    parse_version,
    upgrade_status,
)

versions = st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=4).map(
    lambda parts: ".".join(map(str, parts))
)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("5.2.1", "==5.2.1"),
        (">=5.0.0 <5.2.3", ">=5.0.0 <5.2.3"),
        ("<5.2.3, >=5.0.0", ">=5.0.0 <5.2.3"),
        ("  >=5.0,<6  ", ">=5.0 <6"),
        ("!=5.1.0 >=5 <6", ">=5 !=5.1.0 <6"),
    ],
)
def test_ranges_are_normalised(text: str, normal: str) -> None:
    assert normalise_range(text) == normal
    assert normalise_range(normal) == normal


@pytest.mark.parametrize("text", ["", "abc", ">=5 <x", "5.2.1-0x2", "~=5.0", "==5.*", "===5.0", ">" * 101])
def test_what_is_not_a_range_is_refused(text: str) -> None:
    with pytest.raises(VersionRangeInvalid):
        parse_range(text)


@pytest.mark.parametrize("text", ["", "v", "5.2.1-build 7", "x" * 65])
def test_what_is_not_a_version_is_refused(text: str) -> None:
    with pytest.raises(VersionInvalid):
        parse_version(text)


def test_order_is_numeric_and_a_beta_is_below_its_release() -> None:
    assert parse_version("5.2.10") > parse_version("5.2.9")
    assert in_range(parse_version("6.0.0b1"), "<6.0.0")  # PEP 440 specifiers would say no; apps mean yes
    assert not in_range(parse_version("6.0.0"), "<6.0.0")
    assert highest(["5.2.9", "5.2.10", "5.10"]) == "5.10"
    assert highest([]) is None


@given(versions, versions, versions)
def test_a_half_open_range_holds_exactly_the_versions_between(low: str, high: str, probe: str) -> None:
    a, b, v = Version(low), Version(high), Version(probe)
    assert in_range(v, f">={low} <{high}") == (a <= v < b)
    assert in_range(v, probe)
    assert in_range(v, low) == (v == a)


@given(versions, st.one_of(st.none(), versions), st.one_of(st.none(), versions))
def test_required_wins_over_recommended(probe: str, required: str | None, recommended: str | None) -> None:
    status = upgrade_status(Version(probe), minimum_required=required, minimum_recommended=recommended)
    if required is not None and Version(probe) < Version(required):
        assert status is UpgradeStatus.REQUIRED
    elif recommended is not None and Version(probe) < Version(recommended):
        assert status is UpgradeStatus.RECOMMENDED
    else:
        assert status is UpgradeStatus.OK
