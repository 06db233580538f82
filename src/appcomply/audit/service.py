"""Audit use cases: append an entry in the caller's transaction, walk and verify the chain, list entries."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from appcomply.audit.models import AuditEntry, AuditHead
from appcomply.audit.rules import (
    GENESIS_HASH,
    ChainFault,
    EntryFields,
    Subject,
    ensure_no_clear_pi,
    entry_hash,
    verify_entries,
)
from appcomply.db.session import WriteInReadOnlyTransaction, is_read_only
from appcomply.kernel.context import Ctx

_HEAD_ID = 1


# Built once: statement construction and cache-key generation cost more than the SQL itself here.
_LOCK_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD_ID).with_for_update()
_INSERT_ENTRY = insert(cast(Table, AuditEntry.__table__))
_MOVE_HEAD = (
    update(cast(Table, AuditHead.__table__))
    .where(AuditHead.id == _HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


_FIELD_NAMES = tuple(field.name for field in dataclass_fields(EntryFields))


def _params(entry: EntryFields) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _FIELD_NAMES}


@dataclass(frozen=True, slots=True)
class Recorded:
    seq: int
    hash: str


def record(
    ctx: Ctx,
    event: enum.StrEnum,
    *,
    subject: Subject,
    data: Mapping[str, Any] | None = None,
    app_id: uuid.UUID | None = None,
) -> Recorded:
    """Append one entry to the chain inside the current transaction.

    `app_id` defaults to the acting app's id. Data must hold no clear PI (ClearPersonalInformation is raised
    before anything is written). The head row is locked, so concurrent appends queue rather than fork.
    """
    payload = dict(data or {})
    ensure_no_clear_pi(payload)
    session = ctx.session
    if is_read_only(session):
        raise WriteInReadOnlyTransaction(f"an audit entry ({event}) in a read-only transaction")
    # The head row is created by the initial migration, so appends only ever lock and update it. Core
    # statements, not ORM entities: this runs in every state-changing transaction.
    conn = session.connection()
    seq, prev = conn.execute(_LOCK_HEAD).one()
    fields = EntryFields(
        seq=seq + 1,
        at=ctx.clock.now(),
        app_id=app_id if app_id is not None else ctx.actor.app_id,
        actor_kind=ctx.actor.kind.value,
        actor_id=str(ctx.actor.id) if ctx.actor.id else None,
        actor_label=ctx.actor.label,
        request_id=ctx.request_id,
        event=event.value,
        subject_kind=subject.kind,
        subject_id=subject.id,
        data=payload,
        prev_hash=prev,
    )
    digest = entry_hash(fields)
    conn.execute(_INSERT_ENTRY, {**_params(fields), "hash": digest})
    conn.execute(_MOVE_HEAD, {"new_seq": fields.seq, "new_hash": digest})
    return Recorded(seq=fields.seq, hash=digest)


_FIELD_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.app_id,
    AuditEntry.actor_kind,
    AuditEntry.actor_id,
    AuditEntry.actor_label,
    AuditEntry.request_id,
    AuditEntry.event,
    AuditEntry.subject_kind,
    AuditEntry.subject_id,
    AuditEntry.data,
    AuditEntry.prev_hash,
    AuditEntry.hash,
)


def _walk(session: Session, batch: int) -> Iterator[tuple[EntryFields, str]]:
    # Plain column tuples in keyset-paginated batches: no ORM identity map, so a million entries walk in
    # constant memory and several times faster than loading entities.
    last = 0
    conn = session.connection()  # Core execution: the ORM's row loading would double the walk's cost
    while True:
        rows = conn.execute(
            select(*_FIELD_COLUMNS).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield EntryFields(*row[:-1]), row[-1]
        last = rows[-1][0]


def verify_chain(session: Session, *, batch: int = 5000) -> tuple[int, ChainFault | None]:
    """Walk the whole chain; return (entries checked, first fault or None). Also checks the head row.

    The walk finds edits, gaps and broken links; only the head can tell that the newest entries were deleted,
    that entries were appended behind record()'s back, or that the newest entry was rewritten with a fresh hash.
    """
    count, tip = 0, GENESIS_HASH

    def counted() -> Iterator[tuple[EntryFields, str]]:
        nonlocal count, tip
        for item in _walk(session, batch):
            count, tip = count + 1, item[1]
            yield item

    fault = verify_entries(counted())
    if fault is not None:
        return count, fault
    # Columns, not the entity: an AuditHead already in this session's identity map would hide a changed row.
    head = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD_ID)).one_or_none()
    if head is None:
        return count, ChainFault(count + 1, "the chain's head row is missing")
    if head.seq > count:
        return count, ChainFault(
            count + 1, f"chain ends at {count} but the head records {head.seq} entries (truncated)"
        )
    if head.seq < count:
        return count, ChainFault(head.seq + 1, f"entries after the head's seq {head.seq} were not appended by record()")
    if head.hash != tip:
        return count, ChainFault(max(count, 1), "the newest entry is not the one the head records (rewritten)")
    return count, None


def list_entries(
    ctx: Ctx, *, app_id: uuid.UUID | None, limit: int = 50, before_seq: int | None = None
) -> list[AuditEntry]:
    """Newest first, scoped to one app (or all, for staff with no app filter)."""
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if app_id is not None:
        query = query.where(AuditEntry.app_id == app_id)
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return list(ctx.session.scalars(query))
