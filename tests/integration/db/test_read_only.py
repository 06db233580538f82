"""Read-only transactions: what a reading request gets. They refuse writes in the ORM before the database sees them,
and the database refuses them too (SQLite's query_only, PostgreSQL's READ ONLY); the connection is writable again
for the next transaction that wants to write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, exc, insert, select, text

from appcomply import audit
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import App
from appcomply.audit.models import AuditHead
from appcomply.db import session as session_module
from appcomply.db.session import WriteInReadOnlyTransaction, is_sqlite, make_engine, make_session_factory, transaction
from appcomply.kernel.actor import cli_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx

pytestmark = pytest.mark.db


def test_the_orm_refuses_a_flush_and_a_write_statement(engine: Engine) -> None:
    reading = make_session_factory(engine, read_only=True)
    with transaction(reading) as session:
        session.add(App(slug="never", name="never"))
        with pytest.raises(WriteInReadOnlyTransaction):
            session.flush()
        session.expunge_all()
    with transaction(reading) as session, pytest.raises(WriteInReadOnlyTransaction):
        session.execute(insert(App).values(slug="never", name="never"))


def test_an_audit_entry_is_refused(engine: Engine, clock: FixedClock) -> None:
    with transaction(make_session_factory(engine, read_only=True)) as s:
        ctx = Ctx(session=s, clock=clock, actor=cli_actor(), request_id="read")
        with pytest.raises(WriteInReadOnlyTransaction):
            audit.record(ctx, AppsEvent.API_KEY_CREATED, subject=audit.Subject("api_key", "x"))


def test_the_database_refuses_what_the_orm_does_not_see_and_the_connection_writes_again(engine: Engine) -> None:
    reading, writing = make_session_factory(engine, read_only=True), make_session_factory(engine)
    with transaction(reading) as session, pytest.raises(exc.DBAPIError, match=r"(?i)read.?only"):
        session.execute(text("UPDATE audit_head SET seq = seq"))
    # The pool hands the same connection back; it must not stay read-only.
    with transaction(writing) as session:
        session.execute(text("UPDATE audit_head SET seq = seq"))
    with transaction(reading) as session:
        assert session.scalar(select(AuditHead.seq)) is not None


@pytest.fixture
def reading_engine(engine: Engine) -> Iterator[Engine]:
    """The server's engine for reading requests: on PostgreSQL its own pool; on SQLite the engine itself."""
    if engine.dialect.name != "postgresql":
        yield engine
        return
    reading = make_engine(engine.url.render_as_string(hide_password=False), read_only=True)
    yield reading
    reading.dispose()


def test_the_reading_engine_refuses_writes_in_the_database(reading_engine: Engine) -> None:
    reading = make_session_factory(reading_engine, read_only=True)
    with transaction(reading) as session, pytest.raises(exc.DBAPIError, match=r"(?i)read.?only"):
        session.execute(text("UPDATE audit_head SET seq = seq"))


def test_a_read_is_its_one_statement_with_no_begin_or_commit(reading_engine: Engine) -> None:
    reading = make_session_factory(reading_engine, read_only=True)
    sent: list[str] = []
    event.listen(reading_engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with transaction(reading) as session:
        session.execute(select(AuditHead.seq)).all()
        raw = session.connection().connection.dbapi_connection
        assert raw is not None
        # Nothing left open to commit: the database ran the statement as its own read-only transaction.
        open_ = raw.in_transaction if is_sqlite(reading_engine) else raw.info.transaction_status.name != "IDLE"
        assert not open_
    # A pooled SQLite connection that last wrote is switched to query_only once; nothing else is sent.
    assert [s for s in sent if s != "PRAGMA query_only=1"] == [sent[-1]], sent
    assert sent[-1].startswith("SELECT"), sent


def test_a_connection_idle_in_the_pool_is_pinged_and_a_dead_one_replaced(
    reading_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if reading_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connection pool (a SQLite file has no server to lose)")
    with reading_engine.connect() as conn:
        first_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with reading_engine.connect() as conn:  # back at once: the same connection, not pinged
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == first_pid
    admin = make_engine(reading_engine.url.render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(first_pid)})")  # the server drops it while idle
    admin.dispose()
    monkeypatch.setattr(session_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with reading_engine.connect() as conn:  # the ping finds it dead; the pool connects anew, the caller sees nothing
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != first_pid
