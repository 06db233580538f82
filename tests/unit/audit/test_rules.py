"""Properties of the pure audit rules: canonical encoding, entry hash, chain verification, the clear-PI guard."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from appcomply.audit.errors import ClearPersonalInformation
from appcomply.audit.rules import (
    GENESIS_HASH,
    EntryFields,
    canonical_json,
    ensure_no_clear_pi,
    entry_hash,
    verify_entries,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=6), json_values, max_size=5)
hex64 = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)

FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(min_value=1, max_value=2**53),
    "at": st.datetimes(timezones=st.just(dt.UTC)),
    "app_id": st.none() | st.uuids(),
    "actor_kind": st.sampled_from(["staff", "app", "public", "system"]),
    "actor_id": st.none() | st.text(max_size=36),
    "actor_label": st.text(max_size=40),
    "request_id": st.text(max_size=32),
    "event": st.from_regex(r"[a-z_]{1,8}(\.[a-z_]{1,8}){1,2}", fullmatch=True),
    "subject_kind": st.text(max_size=12),
    "subject_id": st.text(max_size=36),
    "data": json_objects,
    "prev_hash": hex64,
}
entries = st.builds(EntryFields, **FIELD_VALUES)
# Chains need many entries per example; small payloads keep those properties fast without losing anything: the
# chain logic never looks inside `data`.
chain_contents = st.lists(
    st.builds(EntryFields, **{**FIELD_VALUES, "data": st.dictionaries(st.text(max_size=4), scalars, max_size=2)}),
    min_size=1,
    max_size=6,
)


def _reordered(value: Any) -> Any:
    """The same value with every object's keys inserted in reverse order."""
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


def _chain(contents: list[EntryFields]) -> list[tuple[EntryFields, str]]:
    """A valid chain over `contents`: seq numbered from 1, each entry linked to the one before."""
    chain: list[tuple[EntryFields, str]] = []
    prev = GENESIS_HASH
    for seq, content in enumerate(contents, start=1):
        fields = dataclasses.replace(content, seq=seq, prev_hash=prev)
        prev = entry_hash(fields)
        chain.append((fields, prev))
    return chain


# --- canonical_json ----------------------------------------------------------------------------------------------


@given(json_objects)
def test_canonical_json_is_deterministic_and_independent_of_key_order(value: dict[str, Any]) -> None:
    encoded = canonical_json(value)
    assert canonical_json(value) == encoded
    assert canonical_json(_reordered(value)) == encoded
    assert orjson.loads(encoded) == value


@given(json_objects)
def test_canonical_json_sorts_keys_at_every_level(value: dict[str, Any]) -> None:
    def sorted_everywhere(decoded: Any) -> bool:
        if isinstance(decoded, dict):
            return list(decoded) == sorted(decoded) and all(sorted_everywhere(v) for v in decoded.values())
        if isinstance(decoded, list):
            return all(sorted_everywhere(v) for v in decoded)
        return True

    # json.loads keeps the order in which keys appear in the bytes.
    assert sorted_everywhere(json.loads(canonical_json(value)))


def test_canonical_json_is_compact_utf8() -> None:
    assert canonical_json({"b": [1, {"d": None, "c": True}], "a": "中文"}) == (
        '{"a":"中文","b":[1,{"c":true,"d":null}]}'.encode()
    )


def test_canonical_json_writes_datetimes_as_utc_with_microseconds() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 11, 29, 17, 0, tzinfo=shanghai)
    assert canonical_json({"at": at}) == b'{"at":"2026-11-29T09:00:00.000000+00:00"}'


# --- entry_hash ----------------------------------------------------------------------------------------------------


@given(entries, st.sampled_from(sorted(FIELD_VALUES)), st.data())
def test_any_single_field_change_changes_the_entry_hash(fields: EntryFields, name: str, data: st.DataObject) -> None:
    new = data.draw(FIELD_VALUES[name], label=name)
    assume(new != getattr(fields, name))
    assert entry_hash(dataclasses.replace(fields, **{name: new})) != entry_hash(fields)


@given(entries)
def test_the_entry_hash_ignores_key_order_and_timezone_of_the_same_instant(fields: EntryFields) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assume(fields.at.year < 9999)  # +08:00 of the last representable day overflows
    same = dataclasses.replace(fields, data=_reordered(dict(fields.data)), at=fields.at.astimezone(shanghai))
    assert entry_hash(same) == entry_hash(fields)
    assert len(entry_hash(fields)) == 64


# --- verify_entries ------------------------------------------------------------------------------------------------


@given(chain_contents)
def test_a_valid_chain_verifies(contents: list[EntryFields]) -> None:
    assert verify_entries(_chain(contents)) is None


@given(chain_contents, st.data())
def test_a_chain_with_one_mutated_entry_fails_at_exactly_that_entry(
    contents: list[EntryFields], data: st.DataObject
) -> None:
    chain = _chain(contents)
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 1), label="index")
    fields, stored = chain[index]
    name = data.draw(st.sampled_from([*sorted(FIELD_VALUES), "stored hash"]), label="field")
    if name == "stored hash":
        new_hash = data.draw(hex64, label="hash")
        assume(new_hash != stored)
        chain[index] = (fields, new_hash)
    else:
        new = data.draw(FIELD_VALUES[name], label=name)
        assume(new != getattr(fields, name))
        chain[index] = (dataclasses.replace(fields, **{name: new}), stored)

    fault = verify_entries(chain)

    assert fault is not None
    assert fault.seq == index + 1


@given(chain_contents, st.data())
def test_a_chain_missing_an_entry_fails_where_it_was(contents: list[EntryFields], data: st.DataObject) -> None:
    assume(len(contents) >= 2)
    chain = _chain(contents)
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 2), label="index")
    del chain[index]
    fault = verify_entries(chain)
    assert fault is not None
    assert fault.seq == index + 1


# --- ensure_no_clear_pi --------------------------------------------------------------------------------------------

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
id_numbers = st.from_regex(r"[1-9][0-9]{16}[0-9X]", fullmatch=True) | st.from_regex(r"[1-9][0-9]{14}", fullmatch=True)
# Whole tokens: what stands next to the number is not a Latin letter or digit (those would make it part of a longer
# token, such as an order number).
before_number = st.sampled_from(["", " ", "tel:", "电话", "电话：", "ID ", "身份证号", "(", "\n"])
after_number = st.sampled_from(["", " ", "。", ",", ")", "/", "\t"])


def _nest(leaf: Any, path: list[str | int]) -> Any:
    """`leaf` placed inside objects and lists along `path` (str: an object key, int: a list position)."""
    for step in reversed(path):
        leaf = {step: leaf} if isinstance(step, str) else [*[None] * step, leaf]
    return leaf


paths = st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=4) | st.integers(0, 2), max_size=4)


@given(mobiles | id_numbers, before_number, after_number, paths)
def test_a_clear_mobile_or_id_number_is_refused_anywhere_in_nested_data(
    number: str, before: str, after: str, path: list[str | int]
) -> None:
    data = {"outer": _nest(f"{before}{number}{after}", path)}
    with pytest.raises(ClearPersonalInformation) as refused:
        ensure_no_clear_pi(data)
    assert number not in str(refused.value.fields) + refused.value.detail


@given(mobiles | id_numbers.filter(lambda n: n.isdigit()), paths)
def test_a_clear_number_is_refused_as_a_json_number_or_as_a_key(number: str, path: list[str | int]) -> None:
    with pytest.raises(ClearPersonalInformation):
        ensure_no_clear_pi({"outer": _nest(int(number), path)})
    with pytest.raises(ClearPersonalInformation) as refused:
        ensure_no_clear_pi({"outer": _nest({number: "x"}, path)})
    assert number not in str(refused.value.fields)


@given(mobiles)
def test_a_mobile_with_the_country_code_is_refused(number: str) -> None:
    for written in (f"+86{number}", f"86{number}", f"+86 {number}"):
        with pytest.raises(ClearPersonalInformation):
            ensure_no_clear_pi({"phone": written})


@given(
    st.from_regex(r"1[3-9][0-9]\*{4}[0-9]{4}", fullmatch=True)
    | st.from_regex(r"[1-9][0-9]{2}\*{11}[0-9]{3}[0-9X]", fullmatch=True)
    | st.uuids().map(str)
    | st.uuids().map(lambda u: u.hex)
    | st.binary().map(lambda b: hashlib.sha256(b).hexdigest()),
    paths,
)
def test_masked_numbers_uuids_and_hashes_are_accepted(value: str, path: list[str | int]) -> None:
    ensure_no_clear_pi({"outer": _nest(value, path), "n": 3, "codes": [3, 4]})


@pytest.mark.parametrize(
    "value",
    [
        "138****0000",
        "110***********123X",
        "1380013800",  # ten digits: not a mobile
        "138001380001",  # twelve digits: not a mobile
        "1764403200000",  # a millisecond timestamp
        "order-13800138000x",  # inside a longer token
        "京ICP备12345678号-1",
    ],
)
def test_things_that_only_look_like_numbers_are_accepted(value: str) -> None:
    ensure_no_clear_pi({"value": value, "as_key": {value: 1}})
