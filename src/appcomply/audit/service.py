"""Audit use cases: append an entry in the caller's transaction, chain committed entries, walk and verify the chain,
list entries."""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

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
from appcomply.db.session import WriteInReadOnlyTransaction, is_read_only, transaction, used_database
from appcomply.kernel.background import DaemonLoop
from appcomply.kernel.context import Ctx

log = logging.getLogger(__name__)

_HEAD_ID = 1
CHAIN_BATCH = 1000  # entries one chainer statement reads and updates


# Built once: statement construction and cache-key generation cost more than the SQL itself here.
_INSERT_ENTRY = insert(cast(Table, AuditEntry.__table__))
_HEAD = select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == _HEAD_ID)
_LOCK_HEAD = _HEAD.with_for_update()
_LOCK_HEAD_OR_SKIP = _HEAD.with_for_update(skip_locked=True)
_MOVE_HEAD = (
    update(cast(Table, AuditHead.__table__))
    .where(AuditHead.id == _HEAD_ID)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_CHAIN_ENTRY = (
    update(cast(Table, AuditEntry.__table__))
    .where(AuditEntry.id == bindparam("entry_id"), AuditEntry.seq.is_(None))  # never rewrites a chained entry
    .values(seq=bindparam("new_seq"), prev_hash=bindparam("new_prev"), hash=bindparam("new_hash"))
)
_COUNT_UNCHAINED = select(func.count()).select_from(AuditEntry).where(AuditEntry.seq.is_(None))

_FIELD_NAMES = tuple(field.name for field in dataclass_fields(EntryFields))
_CONTENT_NAMES = tuple(name for name in _FIELD_NAMES if name not in {"seq", "prev_hash"})
# What the chainer reads of an unchained entry: its id and the content the hash covers.
_PENDING = (
    select(AuditEntry.id, *(getattr(AuditEntry, name) for name in _CONTENT_NAMES))
    .where(AuditEntry.seq.is_(None), AuditEntry.id > bindparam("after"))
    .order_by(AuditEntry.id)
    .limit(bindparam("batch"))
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """An entry as record() leaves it: inserted, waiting for the chainer to give it a seq and a hash."""

    id: int


def record(
    ctx: Ctx,
    event: enum.StrEnum,
    *,
    subject: Subject,
    data: Mapping[str, Any] | None = None,
    app_id: uuid.UUID | None = None,
) -> Recorded:
    """Append one entry inside the current transaction; it commits or rolls back with the change it records.

    `app_id` defaults to the acting app's id. Data must hold no clear PI (ClearPersonalInformation is raised
    before anything is written). Nothing is locked: the entry gets an insertion id from the database, and
    `chain_pending` (the server's background chainer, `appcomply audit chain`, `appcomply audit verify`) puts it
    on the hash chain after it has committed.
    """
    payload = dict(data or {})
    ensure_no_clear_pi(payload)
    session = ctx.session
    if is_read_only(session):
        raise WriteInReadOnlyTransaction(f"an audit entry ({event}) in a read-only transaction")
    # A Core statement, not an ORM entity: this runs in every state-changing transaction.
    inserted = session.connection().execute(
        _INSERT_ENTRY,
        {
            "at": ctx.clock.now(),
            "app_id": app_id if app_id is not None else ctx.actor.app_id,
            "actor_kind": ctx.actor.kind.value,
            "actor_id": str(ctx.actor.id) if ctx.actor.id else None,
            "actor_label": ctx.actor.label,
            "request_id": ctx.request_id,
            "event": event.value,
            "subject_kind": subject.kind,
            "subject_id": subject.id,
            "data": payload,
        },
    )
    return Recorded(id=cast("tuple[int]", inserted.inserted_primary_key)[0])


def chain_pending(session: Session, *, limit: int | None = None, wait: bool = True) -> int:
    """Put committed unchained entries on the chain, oldest insertion id first; return how many were chained.

    Runs in the caller's transaction, which must then commit. The head row is locked first, so chainers take turns
    and never fork the chain; each gives the entries it sees seq = head + 1, …, links and hashes them, and moves
    the head. An entry still uncommitted (a lower id than one already chained) is simply chained by a later run,
    and a rolled-back one never takes a seq. With `wait=False` a run finding another chainer at work chains
    nothing (PostgreSQL; SQLite's single writer has no such case). At most `limit` entries, if given.
    """
    if is_read_only(session):
        raise WriteInReadOnlyTransaction("chaining audit entries in a read-only transaction")
    conn = session.connection()
    head = conn.execute(_LOCK_HEAD if wait else _LOCK_HEAD_OR_SKIP).one_or_none()
    if head is None:
        return 0  # another chainer holds the head (or it is missing, which verify_chain reports)
    seq, prev = head
    chained, after = 0, 0
    while limit is None or chained < limit:
        batch = CHAIN_BATCH if limit is None else min(CHAIN_BATCH, limit - chained)
        rows = conn.execute(_PENDING, {"after": after, "batch": batch}).all()
        if not rows:
            break
        links = []
        for row in rows:
            seq += 1
            fields = EntryFields(seq=seq, prev_hash=prev, **dict(zip(_CONTENT_NAMES, row[1:], strict=True)))
            prev = entry_hash(fields)
            links.append({"entry_id": row[0], "new_seq": seq, "new_prev": fields.prev_hash, "new_hash": prev})
        conn.execute(_CHAIN_ENTRY, links)
        chained, after = chained + len(rows), rows[-1][0]
    if chained:
        conn.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return chained


def chain_all(session_factory: sessionmaker[Session], *, batch: int = 10 * CHAIN_BATCH, wait: bool = True) -> int:
    """Chain every committed unchained entry, `batch` entries per committed transaction (so the head is never
    held for long); return how many were chained."""
    total = 0
    while True:
        with transaction(session_factory) as session:
            chained = chain_pending(session, limit=batch, wait=wait)
        total += chained
        if chained < batch:
            return total


class AuditChainer(DaemonLoop):
    """A daemon thread of `appcomply serve` that chains committed entries every `interval` seconds until stopped.

    Every server process runs one; they take turns at the head row, and one that finds another at work skips
    the round. Until an entry is chained it is protected only by database permissions: `interval` is that window.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, interval: float) -> None:
        super().__init__(name="appcomply-audit-chainer")
        self._factory, self._interval = session_factory, interval

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, then chain what the last requests committed (the server is shutting down)."""
        super().stop(timeout)
        self._step()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._step()

    def _step(self) -> None:
        try:
            chain_all(self._factory, wait=False)
        except Exception as exc:  # the database is unreachable: entries wait for the next round
            log.warning("audit chainer: step failed (%s); retrying in %.1f s", type(exc).__name__, self._interval)


def count_unchained(session: Session) -> int:
    """Entries recorded (and committed, as far as this session can see) that the chainer has not chained yet."""
    return int(session.connection().execute(_COUNT_UNCHAINED).scalar_one())


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
    # constant memory and several times faster than loading entities. Unchained entries (seq NULL) are not part
    # of the chain yet; `seq > last` leaves them out.
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
    """Walk the whole chain; return (chained entries checked, first fault or None). Also checks the head row.

    The walk finds edits, gaps and broken links; only the head can tell that the newest entries were deleted,
    that entries were chained behind the chainer's back, or that the newest entry was rewritten with a fresh hash.
    Entries not chained yet are not covered (`count_unchained`; `appcomply audit verify` chains them first).

    On PostgreSQL a session that has not used the database yet reads everything from one snapshot (REPEATABLE
    READ), so a chainer moving the head during the walk cannot look like a truncated chain.
    """
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not used_database(session):
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
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
    head = session.execute(_HEAD).one_or_none()
    if head is None:
        return count, ChainFault(count + 1, "the chain's head row is missing")
    if head.seq > count:
        return count, ChainFault(
            count + 1, f"chain ends at {count} but the head records {head.seq} entries (truncated)"
        )
    if head.seq < count:
        return count, ChainFault(
            head.seq + 1, f"entries after the head's seq {head.seq} were not chained by the chainer"
        )
    if head.hash != tip:
        return count, ChainFault(max(count, 1), "the newest entry is not the one the head records (rewritten)")
    return count, None


def list_entries(
    ctx: Ctx, *, app_id: uuid.UUID | None, limit: int = 50, before_id: int | None = None
) -> list[AuditEntry]:
    """Newest recorded first (by insertion id: entries not chained yet have no seq), scoped to one app (or all,
    for staff with no app filter); `before_id` pages on from the last entry of the page before."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if app_id is not None:
        query = query.where(AuditEntry.app_id == app_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(ctx.session.scalars(query))
