"""Sessions for tests that need a reading request's transaction on the test connection."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from appcomply.db.session import READ_ONLY


def read_only_factory(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """A factory like `factory` (same bind, same options) whose sessions are read-only: the test connection is
    already in a transaction, so only the ORM and audit guards refuse writes, not the database."""
    return sessionmaker(**{**factory.kw, "info": {**(factory.kw.get("info") or {}), READ_ONLY: True}})
