"""Audit use cases: append an entry in the caller's transaction, walk and verify the chain, list entries."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appcomply.audit.models import AuditEntry, AuditHead
from appcomply.audit.rules import ChainFault, EntryFields, Subject, ensure_no_clear_pi, entry_hash, verify_entries
from appcomply.kernel.context import Ctx

_HEAD_ID = 1


def record(
    ctx: Ctx,
    event: enum.StrEnum,
    *,
    subject: Subject,
    data: Mapping[str, Any] | None = None,
    app_id: uuid.UUID | None = None,
) -> AuditEntry:
    """Append one entry to the chain inside the current transaction.

    `app_id` defaults to the acting app's id. Data must hold no clear PI (ClearPersonalInformation is raised
    before anything is written). The head row is locked, so concurrent appends queue rather than fork.
    """
    payload = dict(data or {})
    ensure_no_clear_pi(payload)
    session = ctx.session
    # The head row is created by the initial migration, so appends never race to create it.
    head = session.execute(select(AuditHead).where(AuditHead.id == _HEAD_ID).with_for_update()).scalar_one()
    fields = EntryFields(
        seq=head.seq + 1,
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
        prev_hash=head.hash,
    )
    digest = entry_hash(fields)
    entry = AuditEntry(
        seq=fields.seq,
        at=fields.at,
        app_id=fields.app_id,
        actor_kind=fields.actor_kind,
        actor_id=fields.actor_id,
        actor_label=fields.actor_label,
        request_id=fields.request_id,
        event=fields.event,
        subject_kind=fields.subject_kind,
        subject_id=fields.subject_id,
        data=payload,
        prev_hash=fields.prev_hash,
        hash=digest,
    )
    session.add(entry)
    head.seq, head.hash = fields.seq, digest
    session.flush()
    return entry


def _walk(session: Session, batch: int) -> Iterator[tuple[EntryFields, str]]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row.fields(), row.hash
        last = rows[-1].seq
        session.expunge_all()


def verify_chain(session: Session, *, batch: int = 5000) -> tuple[int, ChainFault | None]:
    """Walk the whole chain; return (entries checked, first fault or None). Also checks the head row."""
    count = 0

    def counted() -> Iterator[tuple[EntryFields, str]]:
        nonlocal count
        for item in _walk(session, batch):
            count += 1
            yield item

    fault = verify_entries(counted())
    if fault is not None:
        return count, fault
    head = session.get(AuditHead, _HEAD_ID)
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()
    if head is not None and (last is None or head.seq != last.seq or head.hash != last.hash):
        # Deleting the newest entries leaves a consistent prefix; the head still remembers the true tip.
        return count, ChainFault(
            count + 1, f"chain ends at {count} but the head records {head.seq} entries (truncated)"
        )
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
