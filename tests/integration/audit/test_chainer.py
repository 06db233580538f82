"""The chainer: record() only inserts; chain_pending() puts committed entries on the chain in the order it sees them.

The tests on the rolled-back test connection run on both databases; the ones that need commits from two connections
interleaved (only PostgreSQL lets two writers be open at once) get a throwaway PostgreSQL database.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from appcomply import audit
from appcomply.audit.models import AuditEntry
from appcomply.audit.rules import GENESIS_HASH, EntryFields, entry_hash
from appcomply.bootstrap import build_services, create_app
from appcomply.db.base import PortableJSON, UTCDateTime
from appcomply.db.migrate import alembic_config, upgrade
from appcomply.db.session import WriteInReadOnlyTransaction, make_session_factory, transaction
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import AuditSettings, DatabaseSettings, Environment, NoticesSettings, Settings
from tests.conftest import NOW
from tests.factories.audit import chain_and_verify
from tests.factories.db import read_only_factory
from tests.integration._throwaway import throwaway_engine


class ProbeEvent(enum.StrEnum):
    DONE = "audit.probe.done"


class _Abort(Exception):
    pass


def _record(ctx: Ctx, n: int) -> audit.Recorded:
    return audit.record(ctx, ProbeEvent.DONE, subject=audit.Subject("probe", str(n)), data={"n": n})


def _chain(session: Session) -> list[tuple[int, int | None, str]]:
    """(id, seq, subject_id) of every entry, by id."""
    return [
        (row.id, row.seq, row.subject_id)
        for row in session.execute(select(AuditEntry.id, AuditEntry.seq, AuditEntry.subject_id).order_by(AuditEntry.id))
    ]


def test_recorded_entries_wait_unchained_until_the_chainer_runs(ctx: Ctx, session: Session) -> None:
    recorded = [_record(ctx, n) for n in range(3)]
    assert [r.id for r in recorded] == sorted(r.id for r in recorded)
    assert audit.count_unchained(session) == 3
    assert audit.verify_chain(session) == (0, None)  # exact over what is chained: nothing yet
    assert {seq for _, seq, _ in _chain(session)} == {None}

    assert audit.chain_pending(session) == 3

    assert audit.count_unchained(session) == 0
    assert audit.verify_chain(session) == (3, None)
    assert [(seq, subject) for _, seq, subject in _chain(session)] == [(1, "0"), (2, "1"), (3, "2")]
    assert audit.chain_pending(session) == 0  # nothing left: the head does not move


def test_the_chainer_continues_the_chain_and_respects_a_limit(ctx: Ctx, session: Session) -> None:
    for n in range(5):
        _record(ctx, n)
    assert audit.chain_pending(session, limit=2) == 2
    assert (audit.verify_chain(session), audit.count_unchained(session)) == ((2, None), 3)
    assert audit.chain_pending(session) == 3
    assert chain_and_verify(session) == (5, None)


def test_a_rolled_back_entry_leaves_no_hole_in_the_chain(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    def rolled_back() -> None:
        with transaction(session_factory) as other:
            _record(Ctx(session=other, clock=clock, actor=ctx.actor, request_id="rolled-back"), 1)
            raise _Abort

    _record(ctx, 0)
    with pytest.raises(_Abort):
        rolled_back()
    _record(ctx, 2)

    assert chain_and_verify(session) == (2, None)
    assert [(seq, subject) for _, seq, subject in _chain(session)] == [(1, "0"), (2, "2")]


def test_an_entry_edited_after_it_was_chained_is_caught(ctx: Ctx, session: Session) -> None:
    for n in range(3):
        _record(ctx, n)
    assert chain_and_verify(session) == (3, None)
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(data={"n": 99}))
    _, fault = audit.verify_chain(session)
    assert fault is not None
    assert fault.seq == 2


def test_unchaining_a_chained_entry_is_caught(ctx: Ctx, session: Session) -> None:
    """Setting an entry's chain columns back to NULL does not get it re-chained in place: the chain has a gap."""
    for n in range(3):
        _record(ctx, n)
    chain_and_verify(session)
    session.execute(text("UPDATE audit_entries SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = 3"))
    _, fault = chain_and_verify(session)  # the unchained entry is chained again, as seq 4 after the head's 3
    assert fault is not None
    assert fault.seq == 3


def test_an_entry_edited_before_it_is_chained_is_not_caught(ctx: Ctx, session: Session) -> None:
    """The window of exposure (settings.audit.chain_interval_seconds): until chained, an entry is protected only
    by database permissions. This records that limit, so it is not mistaken for a guarantee."""
    _record(ctx, 0)
    session.execute(update(AuditEntry).values(data={"n": 99}))
    assert chain_and_verify(session) == (1, None)


def test_read_only_transactions_neither_record_nor_chain(session_factory: sessionmaker[Session]) -> None:
    with read_only_factory(session_factory)() as reading:
        ctx = Ctx(session=reading, clock=FixedClock(NOW), actor=system_actor("reader"), request_id="ro")
        with pytest.raises(WriteInReadOnlyTransaction):
            _record(ctx, 0)
        with pytest.raises(WriteInReadOnlyTransaction):
            audit.chain_pending(reading)


def test_listing_is_newest_recorded_first_chained_or_not(ctx: Ctx, session: Session) -> None:
    for n in range(3):
        _record(ctx, n)
    audit.chain_pending(session, limit=1)
    listed = audit.list_entries(ctx, app_id=None, limit=2)
    assert [(e.subject_id, e.seq) for e in listed] == [("2", None), ("1", None)]
    older = audit.list_entries(ctx, app_id=None, limit=2, before_id=listed[-1].id)
    assert [(e.subject_id, e.seq) for e in older] == [("0", 1)]
    assert audit.AuditEntryRead.model_validate(older[0]).seq == 1


# --- two connections (PostgreSQL) ----------------------------------------------------------------------------------


@pytest.fixture
def pg_engine(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with throwaway_engine("postgresql", engine, tmp_path_factory, label="audit_chainer", pool_size=6) as throwaway:
        yield throwaway


def _ctx(session: Session, name: str) -> Ctx:
    return Ctx(session=session, clock=FixedClock(NOW), actor=system_actor(name), request_id=name)


def test_an_entry_committed_after_a_later_one_is_chained_after_it(pg_engine: Engine) -> None:
    """T1 records first but commits last: the chain follows commits, not ids, and still verifies."""
    factory = make_session_factory(pg_engine)
    with factory() as first:
        first.begin()
        early = _record(_ctx(first, "t1"), 1)
        with transaction(factory) as second:
            late = _record(_ctx(second, "t2"), 2)
        assert early.id < late.id

        assert audit.chain_all(factory) == 1  # only T2's entry has committed
        first.commit()
    assert audit.chain_all(factory) == 1

    with factory() as session:
        assert audit.verify_chain(session) == (2, None)
        assert audit.count_unchained(session) == 0
        assert [(i, seq) for i, seq, _ in _chain(session)] == [(early.id, 2), (late.id, 1)]


def test_concurrent_chainers_take_turns_and_never_fork_the_chain(pg_engine: Engine) -> None:
    factory = make_session_factory(pg_engine)
    total = 300
    for start in range(0, total, 100):
        with transaction(factory) as session:
            for n in range(start, start + 100):
                _record(_ctx(session, "writer"), n)
    go, failures, counts = threading.Barrier(3), [], []

    def chainer() -> None:
        try:
            go.wait(timeout=30)
            # Small transactions, so the two interleave many times.
            counts.append(sum(audit.chain_all(factory, batch=7) for _ in range(3)))
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=chainer) for _ in range(2)]
    for thread in threads:
        thread.start()
    go.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert sum(counts) == total

    with factory() as session:
        assert audit.verify_chain(session) == (total, None)
        assert [seq for _, seq, _ in _chain(session)] == list(range(1, total + 1))


# --- the server's chainer ------------------------------------------------------------------------------------------


def test_the_server_chains_in_process_and_chains_the_rest_on_shutdown(tmp_path: Path) -> None:
    settings = Settings(
        env=Environment.TEST,
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'serve.db'}"),
        notices=NoticesSettings(drain_in_process=False),
        audit=AuditSettings(chain_interval_seconds=0.05),
    )
    services = build_services(settings)
    upgrade(services.engine)

    def verified() -> tuple[tuple[int, audit.ChainFault | None], int]:
        with services.session_factory() as session:
            return audit.verify_chain(session), audit.count_unchained(session)

    try:
        with TestClient(create_app(services=services)):
            assert any(t.name == "appcomply-audit-chainer" for t in threading.enumerate())
            with transaction(services.session_factory) as session:
                _record(_ctx(session, "request"), 1)
            deadline = time.monotonic() + 20
            while verified() != ((1, None), 0) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert verified() == ((1, None), 0)
            with transaction(services.session_factory) as session:
                _record(_ctx(session, "last request"), 2)
        assert not any(t.name == "appcomply-audit-chainer" for t in threading.enumerate())
        assert verified() == ((2, None), 0)
    finally:
        services.engine.dispose()


def test_the_chain_interval_is_validated() -> None:
    assert AuditSettings().chain_interval_seconds == 1.0
    for outside in (0, 0.01, 61):
        with pytest.raises(ValidationError):
            AuditSettings(chain_interval_seconds=outside)


# --- migration 0012 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite-file", "postgresql"])
def test_a_chain_written_before_the_migration_still_verifies_and_continues(
    kind: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with throwaway_engine(kind, engine, tmp_path_factory, label="audit_0012", pool_size=2) as old:
        config = alembic_config()
        with old.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
        prev, at = GENESIS_HASH, NOW
        with old.begin() as conn:  # three entries exactly as record() wrote them before 0012
            for seq in (1, 2, 3):
                fields = EntryFields(
                    seq=seq, at=at, app_id=None, actor_kind="system", actor_id=None, actor_label="system:old",
                    request_id=f"old-{seq}", event="audit.probe.done", subject_kind="probe", subject_id=str(seq),
                    data={"n": seq}, prev_hash=prev,
                )  # fmt: skip
                digest = entry_hash(fields)
                conn.execute(
                    text(
                        "INSERT INTO audit_entries (seq, at, app_id, actor_kind, actor_id, actor_label, request_id,"
                        " event, subject_kind, subject_id, data, prev_hash, hash) VALUES (:seq, :at, NULL, 'system',"
                        " NULL, 'system:old', :request_id, 'audit.probe.done', 'probe', :subject_id, :data, :prev,"
                        " :hash)"
                    ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("data", type_=PortableJSON)),
                    {"seq": seq, "at": at, "request_id": f"old-{seq}", "subject_id": str(seq), "data": {"n": seq},
                     "prev": prev, "hash": digest},
                )  # fmt: skip
                prev = digest
            conn.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": prev})
        upgrade(old)

        factory = make_session_factory(old)
        with factory() as session:
            assert audit.verify_chain(session) == (3, None)
            assert [(i, seq) for i, seq, _ in _chain(session)] == [(1, 1), (2, 2), (3, 3)]
        with transaction(factory) as session:
            recorded = _record(_ctx(session, "new"), 4)
        assert recorded.id == 4  # ids continue after the migrated entries
        assert audit.chain_all(factory) == 1
        with factory() as session:
            assert audit.verify_chain(session) == (4, None)
