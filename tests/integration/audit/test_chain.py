"""The audit chain on a real database: what record() appends (and the chainer chains) verifies, and every kind of
tampering with chained entries done directly in SQL is caught at the FIRST bad sequence number.

Verification always runs in a fresh session, as `appcomply audit verify` does, so nothing cached in the session
that appended can hide a changed row; like that command, it chains whatever is still unchained first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Table, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from appcomply import audit
from appcomply.audit.models import AuditEntry, AuditHead
from appcomply.audit.rules import EntryFields, entry_hash
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.audit import chain_and_verify

ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]
HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
CHAIN_LENGTH = 6


class ProbeEvent(enum.StrEnum):
    DONE = "audit.probe.done"


def _append(ctx: Ctx, clock: FixedClock, count: int) -> None:
    app_actor = Actor(kind=ActorKind.APP, label="app:probe:ak_x", id=uuid.uuid4(), app_id=uuid.uuid4())
    for n in range(count):
        actor = app_actor if n % 2 else ctx.actor
        audit.record(
            dataclasses.replace(ctx, actor=actor, request_id=f"req-{n}"),
            ProbeEvent.DONE,
            subject=audit.Subject("probe", str(n)),
            data={"n": n, "masked": "138****0000", "nested": {"list": [n, "二", None, True]}},
        )
        clock.advance(dt.timedelta(seconds=1, microseconds=7))
    audit.chain_pending(ctx.session)  # what the server's chainer does once these have committed


def _verify(session_factory: sessionmaker[Session]) -> tuple[int, audit.ChainFault | None]:
    with session_factory() as fresh:
        return chain_and_verify(fresh)


def _fields(connection: Connection, seq: int) -> EntryFields:
    row = connection.execute(select(ENTRIES).where(ENTRIES.c.seq == seq)).mappings().one()
    return EntryFields(**{f.name: row[f.name] for f in dataclasses.fields(EntryFields)})


def _insert_forged(connection: Connection, fields: EntryFields) -> None:
    connection.execute(insert(ENTRIES).values(**dataclasses.asdict(fields), hash=entry_hash(fields)))


def test_an_empty_chain_verifies(session_factory: sessionmaker[Session]) -> None:
    assert _verify(session_factory) == (0, None)


def test_appended_entries_verify(ctx: Ctx, clock: FixedClock, session_factory: sessionmaker[Session]) -> None:
    _append(ctx, clock, CHAIN_LENGTH)
    assert _verify(session_factory) == (CHAIN_LENGTH, None)


AWKWARD_DATA = {
    # PostgreSQL's JSONB stores numbers as numeric and gives back 1e16 as an integer and -0.0 as 0.0; these once
    # made a legitimate entry look edited there.
    "integral floats": {"big": 1e16, "negative zero": -0.0, "one": 1.0, "huge": 1e300, "tiny": 5e-324},
    "64-bit integers": {"max": 2**63 - 1, "min": -(2**63), "unsigned": 2**64 - 1},
    "text": {"zh": "中文，全角", "emoji": "🙂", "escapes": '"\\/\n\t\u2028', "empty": ""},
    "structure": {"deep": {"a": [{"b": [[], {}]}]}, "order": {"z": 1, "a": 2, "m": [3, 2, 1]}},
    "scalars": {"true": True, "false": False, "none": None, "zero": 0},
}


@pytest.mark.parametrize("data", AWKWARD_DATA.values(), ids=AWKWARD_DATA.keys())
def test_entries_verify_whatever_json_their_data_holds(
    ctx: Ctx, session_factory: sessionmaker[Session], data: dict[str, object]
) -> None:
    audit.record(ctx, ProbeEvent.DONE, subject=audit.Subject("probe", "awkward"), data=data)
    audit.record(ctx, ProbeEvent.DONE, subject=audit.Subject("probe", "after"))
    assert _verify(session_factory) == (2, None)


def test_clear_personal_information_is_refused_before_anything_is_written(
    ctx: Ctx, clock: FixedClock, session_factory: sessionmaker[Session], session: Session
) -> None:
    _append(ctx, clock, 1)
    with pytest.raises(audit.ClearPersonalInformation) as refused:
        audit.record(ctx, ProbeEvent.DONE, subject=audit.Subject("probe", "pi"), data={"user": {"phone": 13800138000}})
    assert "13800138000" not in str(refused.value.fields) + refused.value.detail
    assert session.scalar(select(func.count()).select_from(ENTRIES)) == 1
    assert _verify(session_factory) == (1, None)


# Each tampering, done in SQL on the test connection, and the sequence number verification must name.
Tamper = Callable[[Connection], int]


def _edit_data(seq: int) -> Tamper:
    def tamper(conn: Connection) -> int:
        conn.execute(update(ENTRIES).where(ENTRIES.c.seq == seq).values(data={"n": 999}))
        return seq

    return tamper


def _edit_actor_label(conn: Connection) -> int:
    conn.execute(text("UPDATE audit_entries SET actor_label = 'staff:someone-else' WHERE seq = 2"))
    return 2


def _edit_at(conn: Connection) -> int:
    at = conn.execute(select(ENTRIES.c.at).where(ENTRIES.c.seq == 4)).scalar_one()
    conn.execute(update(ENTRIES).where(ENTRIES.c.seq == 4).values(at=at + dt.timedelta(microseconds=1)))
    return 4


def _edit_event(conn: Connection) -> int:
    conn.execute(text("UPDATE audit_entries SET event = 'audit.probe.undone' WHERE seq = 5"))
    return 5


def _edit_stored_hash(conn: Connection) -> int:
    conn.execute(text("UPDATE audit_entries SET hash = :h WHERE seq = 3"), {"h": "f" * 64})
    return 3


def _edit_two_rows(conn: Connection) -> int:
    conn.execute(text("UPDATE audit_entries SET subject_id = 'x' WHERE seq IN (2, 5)"))
    return 2


def _delete_middle_row(conn: Connection) -> int:
    conn.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
    return 3


def _delete_newest_rows(conn: Connection) -> int:
    conn.execute(text("DELETE FROM audit_entries WHERE seq >= 5"))
    return 5


def _delete_every_row(conn: Connection) -> int:
    conn.execute(delete(ENTRIES))
    return 1


def _swap_two_rows(conn: Connection) -> int:
    conn.execute(text("UPDATE audit_entries SET seq = -2 WHERE seq = 2"))
    conn.execute(text("UPDATE audit_entries SET seq = 2 WHERE seq = 4"))
    conn.execute(text("UPDATE audit_entries SET seq = 4 WHERE seq = -2"))
    return 2


def _forge_next_row_with_wrong_link(conn: Connection) -> int:
    forged = dataclasses.replace(_fields(conn, CHAIN_LENGTH), seq=CHAIN_LENGTH + 1, prev_hash="e" * 64)
    _insert_forged(conn, forged)
    return CHAIN_LENGTH + 1


def _forge_next_row_behind_the_heads_back(conn: Connection) -> int:
    # A perfect forgery of the walk itself: right seq, right link, recomputed hash. Only the head knows.
    newest = conn.execute(select(ENTRIES.c.hash).where(ENTRIES.c.seq == CHAIN_LENGTH)).scalar_one()
    forged = dataclasses.replace(_fields(conn, CHAIN_LENGTH), seq=CHAIN_LENGTH + 1, prev_hash=newest)
    _insert_forged(conn, forged)
    return CHAIN_LENGTH + 1


def _replace_middle_row_with_a_forgery(conn: Connection) -> int:
    forged = dataclasses.replace(_fields(conn, 3), actor_label="staff:forger", prev_hash="e" * 64)
    conn.execute(delete(ENTRIES).where(ENTRIES.c.seq == 3))
    _insert_forged(conn, forged)
    return 3


def _rewrite_newest_row_with_a_fresh_hash(conn: Connection) -> int:
    rewritten = dataclasses.replace(_fields(conn, CHAIN_LENGTH), actor_label="staff:forger")
    conn.execute(
        update(ENTRIES)
        .where(ENTRIES.c.seq == CHAIN_LENGTH)
        .values(actor_label=rewritten.actor_label, hash=entry_hash(rewritten))
    )
    return CHAIN_LENGTH


def _delete_the_head(conn: Connection) -> int:
    conn.execute(delete(HEAD))
    return CHAIN_LENGTH + 1


TAMPERING: dict[str, Tamper] = {
    "edit data of the first row": _edit_data(1),
    "edit data of a middle row": _edit_data(3),
    "edit data of the newest row": _edit_data(CHAIN_LENGTH),
    "edit actor_label": _edit_actor_label,
    "edit at by a microsecond": _edit_at,
    "edit event": _edit_event,
    "edit a stored hash": _edit_stored_hash,
    "edit two rows": _edit_two_rows,
    "delete a middle row": _delete_middle_row,
    "delete the newest rows": _delete_newest_rows,
    "delete every row": _delete_every_row,
    "swap two rows' seq": _swap_two_rows,
    "forge a next row with a wrong prev_hash": _forge_next_row_with_wrong_link,
    "forge a next row behind the head's back": _forge_next_row_behind_the_heads_back,
    "replace a middle row with a forgery": _replace_middle_row_with_a_forgery,
    "rewrite the newest row with a fresh hash": _rewrite_newest_row_with_a_fresh_hash,
    "delete the head row": _delete_the_head,
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_tampering_is_found_at_the_first_bad_sequence_number(
    ctx: Ctx,
    clock: FixedClock,
    session: Session,
    connection: Connection,
    session_factory: sessionmaker[Session],
    tamper: Tamper,
) -> None:
    _append(ctx, clock, CHAIN_LENGTH)
    session.flush()
    assert _verify(session_factory) == (CHAIN_LENGTH, None)

    first_bad = tamper(connection)

    checked, fault = _verify(session_factory)
    assert fault is not None, "tampering went unnoticed"
    assert fault.seq == first_bad, fault.reason
    assert fault.reason
    assert checked <= CHAIN_LENGTH + 1
