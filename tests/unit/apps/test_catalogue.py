"""The packaged 2021 necessary-PI catalogue of 39 app types and its loader."""

from __future__ import annotations

import copy
import importlib.resources
import json
from pathlib import Path
from typing import Any

import pytest

from appcomply.apps.rules import Catalogue, load_catalogue, parse_catalogue

SHARED_JSON = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / "cac-39-app-types"
    / "cac_39_app_types_necessary_pi.json"
)
NO_PI_TYPES = {21, *range(27, 39)}
CONDITIONAL_TYPES = {2, 9, 15, 22, 24}


@pytest.fixture
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def raw() -> dict[str, Any]:
    resource = importlib.resources.files("appcomply.apps") / "data" / "app_types.json"
    data: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return data


def items_of(catalogue: Catalogue, code: int) -> set[str]:
    return {entry.item for entry in catalogue.get(code).necessary_pi}


def test_catalogue_has_39_types_with_contiguous_codes(catalogue: Catalogue) -> None:
    assert list(catalogue.types) == list(range(1, 40))
    assert all(code == t.code for code, t in catalogue.types.items())


def test_exactly_types_21_and_27_to_38_need_no_pi(catalogue: Catalogue) -> None:
    no_pi = {t.code for t in catalogue.types.values() if t.no_pi_needed}
    assert no_pi == NO_PI_TYPES
    assert all(not catalogue.get(code).necessary_pi for code in NO_PI_TYPES)
    assert all(t.necessary_pi for t in catalogue.types.values() if t.code not in NO_PI_TYPES)


def test_instant_messaging_needs_mobile_account_and_contact_list(catalogue: Catalogue) -> None:
    assert items_of(catalogue, 3) == {"mobile_number", "im_account_id", "im_contact_list"}


def test_online_payment_needs_id_validity_period_and_bank_card(catalogue: Catalogue) -> None:
    assert {"mobile_number", "name", "id_document_type", "id_number", "id_validity_period", "bank_card_number"} == (
        items_of(catalogue, 5)
    )


def test_map_navigation_and_postal_delivery_need_no_mobile_number(catalogue: Catalogue) -> None:
    assert "mobile_number" not in items_of(catalogue, 1)
    assert "mobile_number" not in items_of(catalogue, 8)


def test_postal_delivery_keeps_sender_and_recipient_apart(catalogue: Catalogue) -> None:
    items = items_of(catalogue, 8)
    assert {"sender_name", "sender_id_number", "recipient_name", "recipient_address", "recipient_phone"} <= items
    assert "name" not in items


def test_ride_hailing_payment_info_is_conditional(catalogue: Catalogue) -> None:
    payment = next(e for e in catalogue.get(2).necessary_pi if e.item == "payment_info")
    assert payment.condition_zh == "网络预约出租汽车服务"
    assert payment.condition_en
    trajectory = next(e for e in catalogue.get(2).necessary_pi if e.item == "trajectory")
    assert trajectory.condition_zh is None


def test_every_type_named_in_the_implementation_notes_has_a_conditional_item(catalogue: Catalogue) -> None:
    for code in CONDITIONAL_TYPES:
        conditional = [e for e in catalogue.get(code).necessary_pi if e.condition_zh is not None]
        assert conditional, f"type {code} has no conditional item"
        assert all(e.condition_en for e in conditional)


@pytest.mark.parametrize(
    ("code", "item", "condition_zh"),
    [
        (9, "vehicle_plate_number", "ETC服务"),
        (9, "vehicle_plate_colour", "ETC服务"),
        (15, "id_number", "挂号时"),
        (15, "condition_description", "问诊时"),
        (22, "driving_licence_info", "使用共享汽车、租赁汽车服务时"),
        (22, "location", "使用共享单车、分时租赁汽车服务时"),
        (24, "payee_bank_card_number", "转账时"),
    ],
)
def test_conditional_items_carry_their_condition(catalogue: Catalogue, code: int, item: str, condition_zh: str) -> None:
    entry = next(e for e in catalogue.get(code).necessary_pi if e.item == item)
    assert entry.condition_zh == condition_zh


def test_every_referenced_pi_item_is_defined_and_every_defined_item_is_used(catalogue: Catalogue) -> None:
    used = {e.item for t in catalogue.types.values() for e in t.necessary_pi}
    assert used == set(catalogue.pi_items)


def test_pi_item_codes_are_lower_snake_case_and_match_their_keys(catalogue: Catalogue) -> None:
    for code, item in catalogue.pi_items.items():
        assert item.code == code
        assert code.isascii()
        assert code == code.lower()
        assert code.replace("_", "").isalnum()
        assert item.zh.strip()
        assert item.en.strip()


@pytest.mark.parametrize(
    ("code", "sensitive"),
    [
        ("id_number", True),
        ("bank_card_number", True),
        ("location", True),
        ("trajectory", True),
        ("condition_description", True),
        ("mobile_number", False),
        ("name", False),
    ],
)
def test_sensitive_flags_follow_pipl_article_28(catalogue: Catalogue, code: str, sensitive: bool) -> None:
    assert catalogue.pi_items[code].sensitive is sensitive


def test_every_type_has_bilingual_names_and_basic_function(catalogue: Catalogue) -> None:
    for t in catalogue.types.values():
        for text in (t.name_zh, t.name_en, t.basic_function_zh, t.basic_function_en):
            assert text.strip(), f"type {t.code} has an empty text field"
        assert t.name_zh.endswith("类")
    assert len({t.name_zh for t in catalogue.types.values()}) == 39
    assert len({t.name_en for t in catalogue.types.values()}) == 39


def test_names_and_basic_functions_match_the_shared_transcription(catalogue: Catalogue) -> None:
    if not SHARED_JSON.is_file():
        pytest.skip(f"shared transcription not present at {SHARED_JSON}")
    shared = json.loads(SHARED_JSON.read_text(encoding="utf-8"))
    assert len(shared["types"]) == 39
    for entry in shared["types"]:
        ours = catalogue.get(entry["no"])
        assert entry["type"] == ours.name_zh
        assert entry["no_personal_information_needed"] == ours.no_pi_needed
        if entry["basic_function"] is not None:
            assert entry["basic_function"] == ours.basic_function_zh


def test_get_rejects_an_unknown_code(catalogue: Catalogue) -> None:
    with pytest.raises(KeyError, match="40"):
        catalogue.get(40)


def test_unknown_codes_are_reported_once_in_order(catalogue: Catalogue) -> None:
    assert catalogue.unknown_codes([40, 1, 0, 39, 40, -3]) == [-3, 0, 40]
    assert catalogue.unknown_codes(range(1, 40)) == []


def test_load_catalogue_is_cached_and_versioned(catalogue: Catalogue, raw: dict[str, Any]) -> None:
    assert load_catalogue() is catalogue
    assert catalogue.version == raw["version"] == "2021-05-01.1"
    assert raw["document_no"] == "国信办秘字〔2021〕14号"
    assert raw["effective"] == "2021-05-01"


def test_data_directory_is_not_a_package() -> None:
    data_dir = importlib.resources.files("appcomply.apps") / "data"
    assert not (data_dir / "__init__.py").is_file()


def test_parse_accepts_the_packaged_data(raw: dict[str, Any]) -> None:
    assert parse_catalogue(raw).types.keys() == load_catalogue().types.keys()


def _broken(raw: dict[str, Any], how: str) -> dict[str, Any]:
    data = copy.deepcopy(raw)
    if how == "missing_type":
        del data["types"][5]
    elif how == "duplicate_code":
        data["types"][5]["code"] = 5
    elif how == "undefined_item":
        data["types"][0]["necessary_pi"].append({"item": "shoe_size", "condition": None})
    elif how == "no_pi_with_items":
        data["types"][0]["no_pi_needed"] = True
    elif how == "pi_needed_without_items":
        data["types"][20]["no_pi_needed"] = False
    elif how == "bool_code":
        data["types"][0]["code"] = True
    elif how == "empty_name":
        data["types"][0]["name_zh"] = " "
    elif how == "sensitive_not_bool":
        data["pi_items"]["name"]["sensitive"] = "no"
    elif how == "repeated_item":
        data["types"][3]["necessary_pi"].append({"item": "mobile_number", "condition": None})
    return data


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("missing_type", "expected 39 types"),
        ("duplicate_code", "codes 1..39"),
        ("undefined_item", "undefined PI items \\['shoe_size'\\]"),
        ("no_pi_with_items", "type 1: no_pi_needed"),
        ("pi_needed_without_items", "type 21: no_pi_needed"),
        ("bool_code", "'code' must be an integer"),
        ("empty_name", "'name_zh' must be a non-empty string"),
        ("sensitive_not_bool", "'sensitive' must be true or false"),
        ("repeated_item", "type 4: necessary_pi lists an item more than once"),
    ],
)
def test_parse_rejects_data_that_breaks_an_invariant(raw: dict[str, Any], how: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_catalogue(_broken(raw, how))
