"""Pure audit rules: canonical encoding, the chain hash, chain verification and the clear-PI guard."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from appcomply.audit.errors import ClearPersonalInformation

GENESIS_HASH = "0" * 64


class Subject(NamedTuple):
    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class EntryFields:
    """The hashed content of one entry: everything but the hash itself."""

    seq: int
    at: dt.datetime
    app_id: uuid.UUID | None
    actor_kind: str
    actor_id: str | None
    actor_label: str
    request_id: str
    event: str
    subject_kind: str
    subject_id: str
    data: Mapping[str, Any]
    prev_hash: str


@dataclass(frozen=True, slots=True)
class ChainFault:
    seq: int
    reason: str


def _default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return _timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON-encodable in audit data: {type(value).__name__}")


def _timestamp(value: dt.datetime) -> str:
    # Always microseconds and an explicit offset, so the text (and the hash) never depends on whether the
    # value happened to fall on a whole second.
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_json(value: object) -> bytes:
    """Sorted keys, UTF-8, no insignificant whitespace: the same bytes on every database (orjson)."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME)


def entry_hash(fields: EntryFields) -> str:
    body = {
        "seq": fields.seq,
        "at": _timestamp(fields.at),
        "app_id": str(fields.app_id) if fields.app_id else None,
        "actor": [fields.actor_kind, fields.actor_id, fields.actor_label],
        "request_id": fields.request_id,
        "event": fields.event,
        "subject": [fields.subject_kind, fields.subject_id],
        "data": _as_stored(fields.data),
        "prev": fields.prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _as_stored(value: object) -> object:
    # PostgreSQL's JSONB keeps numbers as `numeric`: 1e16 comes back as the integer 10000000000000000 and -0.0 as
    # 0.0, so an entry hashed over the float would fail verification there. Integral floats hash as the integers
    # they equal (as RFC 8785 prints them) within orjson's 64-bit range; JSONB returns larger ones as floats.
    if isinstance(value, float):
        return int(value) if value.is_integer() and -(2**63) <= value < 2**64 else value
    if isinstance(value, Mapping):
        return {key: _as_stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(item) for item in value]
    return value


def verify_entries(entries: Iterable[tuple[EntryFields, str]]) -> ChainFault | None:
    """First fault in a walk ordered by seq, or None. Detects edits, deletions, insertions and reordering."""
    expected_seq, prev = 1, GENESIS_HASH
    for fields, stored_hash in entries:
        if fields.seq != expected_seq:
            return ChainFault(expected_seq, f"sequence gap: expected {expected_seq}, found {fields.seq}")
        if fields.prev_hash != prev:
            return ChainFault(fields.seq, "previous-hash link does not match the entry before it")
        if entry_hash(fields) != stored_hash:
            return ChainFault(fields.seq, "entry content does not match its hash (edited)")
        prev, expected_seq = stored_hash, expected_seq + 1
    return None


# Mainland mobile numbers (bare or +86) and resident ID numbers, as whole tokens. Audit data holds ids, codes and
# masked values; a bare mobile or 15/18-character ID number there is a leak by construction.
_CLEAR_PI = re.compile(r"(?<![\dA-Za-z])(?:(?:\+?86)?1[3-9]\d{9}|\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")


def ensure_no_clear_pi(data: Mapping[str, Any]) -> None:
    for path, text in _strings(data, "data"):
        if _CLEAR_PI.search(text):
            raise ClearPersonalInformation(f"audit value at {path} looks like a clear phone or ID number", path=path)


def _strings(value: object, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, int) and not isinstance(value, bool):
        # A mobile or ID number sent as a JSON number (13800138000) is as clear as the same digits in a string.
        yield path, str(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            # Keys are data too. The key is checked before its value, so a path that would repeat a leaking key
            # (and carry it into the error's fields) is never built.
            yield f"{path} (a key)", str(key)
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
