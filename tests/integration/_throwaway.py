"""A migrated database of a test's own, for tests that need real commits from several connections at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from appcomply.db.migrate import upgrade
from appcomply.db.session import make_engine


@contextmanager
def throwaway_engine(
    kind: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory, *, label: str, pool_size: int
) -> Iterator[Engine]:
    """`kind` "sqlite-file": a migrated SQLite file. "postgresql": a new database beside the test database,
    dropped afterwards (skipped when the test run is on SQLite)."""
    if kind == "sqlite-file":
        throwaway = make_engine(f"sqlite:///{tmp_path_factory.mktemp(label) / f'{label}.db'}")
        try:
            upgrade(throwaway)
            yield throwaway
        finally:
            throwaway.dispose()
        return
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL run only (set APPCOMPLY_TEST_DATABASE_URL to a PostgreSQL database)")
    # A name of its own, so two runs on one server (developers, CI jobs) never drop each other's database.
    name = f"test_{label}_{uuid.uuid4().hex[:12]}"
    server = engine.execution_options(isolation_level="AUTOCOMMIT")  # CREATE/DROP DATABASE refuse transactions
    with server.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    throwaway = make_engine(engine.url.set(database=name).render_as_string(hide_password=False), pool_size=pool_size)
    try:
        upgrade(throwaway)
        yield throwaway
    finally:
        throwaway.dispose()
        with server.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
