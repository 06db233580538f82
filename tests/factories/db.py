"""Test connections and their sessions: an outer transaction rolled back at the end, sessions whose transactions
are savepoints inside it (the app's real commit path, X2), and read-only ones for reading requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.db.session import READ_ONLY


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back when the block ends, whatever was committed inside."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


def savepoint_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions on `connection` whose commits release a savepoint: the outer transaction decides in the end."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


def read_only_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A factory like `factory` (same bind, same options) whose sessions are read-only: the test connection is
    already in a transaction, so only the ORM and audit guards refuse writes, not the database."""
    return sessionmaker(**{**factory.kw, "info": {**(factory.kw.get("info") or {}), READ_ONLY: True}})
