"""The packaged PI catalogue: the 39-type items with identical labels, Art 28 sensitivity, and its loader."""

from __future__ import annotations

import copy
import importlib.resources
import json
from typing import Any

import pytest

from appcomply.apps.rules import load_catalogue
from appcomply.consent.rules import FACE_ITEM, PiGroup, load_pi_catalogue, parse_pi_catalogue


@pytest.fixture
def raw() -> dict[str, Any]:
    resource = importlib.resources.files("appcomply.consent") / "data" / "pi_catalogue.json"
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


def test_every_39_type_item_is_present_with_identical_labels() -> None:
    apps, pi = load_catalogue(), load_pi_catalogue()
    assert len(apps.pi_items) == 62
    for code, item in apps.pi_items.items():
        entry = pi.get(code)
        assert (entry.code, entry.zh, entry.en) == (code, item.zh, item.en)
        assert entry.sensitive >= item.sensitive, code


def test_catalogue_adds_25_to_40_items_beyond_the_necessary_lists() -> None:
    extras = set(load_pi_catalogue().items) - set(load_catalogue().pi_items)
    assert 25 <= len(extras) <= 40
    assert {"precise_location", "contacts", "device_id", "face", "health", "financial_account"} <= extras


@pytest.mark.parametrize(
    ("code", "sensitive"),
    [
        ("face", True),
        ("fingerprint", True),
        ("religious_belief", True),
        ("specific_identity", True),
        ("health", True),
        ("financial_account", True),
        ("precise_location", True),
        ("trajectory", True),
        ("contacts", True),
        ("approximate_location", False),
        ("device_id", False),
        ("mobile_number", False),
        ("nickname", False),
    ],
)
def test_sensitivity_follows_pipl_art_28(code: str, sensitive: bool) -> None:
    assert load_pi_catalogue().get(code).sensitive is sensitive


def test_groups_are_assigned() -> None:
    pi = load_pi_catalogue()
    assert pi.get("face").group is PiGroup.BIOMETRIC
    assert pi.get("bank_card_number").group is PiGroup.FINANCIAL
    assert {e.group for e in pi.items.values()} == set(PiGroup)


def test_unknown_lists_missing_codes_sorted_once() -> None:
    assert load_pi_catalogue().unknown(["zz", "mobile_number", "aa", "zz"]) == ["aa", "zz"]


def test_get_of_an_unknown_code_names_it() -> None:
    with pytest.raises(KeyError, match="nope"):
        load_pi_catalogue().get("nope")


def test_catalogue_is_versioned_and_loaded_once() -> None:
    assert load_pi_catalogue() is load_pi_catalogue()
    assert load_pi_catalogue().version


def test_a_relabelled_39_type_item_is_refused(raw: dict[str, Any]) -> None:
    raw["items"]["mobile_number"]["zh"] = "手机号"
    with pytest.raises(ValueError, match="labelled differently"):
        parse_pi_catalogue(raw, apps=load_catalogue())


def test_a_missing_39_type_item_is_refused(raw: dict[str, Any]) -> None:
    del raw["items"]["vin"]
    with pytest.raises(ValueError, match="missing the 39-type item 'vin'"):
        parse_pi_catalogue(raw, apps=load_catalogue())


def test_an_item_less_strict_than_the_39_type_catalogue_is_refused(raw: dict[str, Any]) -> None:
    raw["items"]["id_number"]["sensitive"] = False
    with pytest.raises(ValueError, match="sensitive in the 39-type"):
        parse_pi_catalogue(raw, apps=load_catalogue())


def test_the_face_item_is_required(raw: dict[str, Any]) -> None:
    del raw["items"][FACE_ITEM]
    with pytest.raises(ValueError, match="face"):
        parse_pi_catalogue(raw, apps=load_catalogue())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("zh", "", "non-empty"),
        ("en", 3, "non-empty"),
        ("sensitive", "yes", "true or false"),
        ("group", "misc", "'group'"),
    ],
)
def test_malformed_items_are_refused(raw: dict[str, Any], field: str, value: object, message: str) -> None:
    broken = copy.deepcopy(raw)
    broken["items"]["nickname"][field] = value
    with pytest.raises(ValueError, match=message):
        parse_pi_catalogue(broken, apps=load_catalogue())


@pytest.mark.parametrize("data", [[], {"version": "", "items": {}}, {"version": "1", "items": []}])
def test_malformed_roots_are_refused(data: object) -> None:
    with pytest.raises(ValueError, match="must be"):
        parse_pi_catalogue(data, apps=load_catalogue())
