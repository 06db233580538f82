"""Read-only transactions: what a reading request gets. They refuse writes in the ORM before the database sees them,
and the database refuses them too (SQLite's query_only, PostgreSQL's READ ONLY); the connection is writable again
for the next transaction that wants to write."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, exc, insert, select, text

from appcomply import audit
from appcomply.apps.events import AppsEvent
from appcomply.apps.models import App
from appcomply.audit.models import AuditHead
from appcomply.db.session import WriteInReadOnlyTransaction, make_session_factory, transaction
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
