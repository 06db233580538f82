"""Migrations and the database layer: models and migrations agree (D7), the migrations run down and up again,
UTCDateTime gives back aware UTC, and SAVEPOINTs work with our SQLite driver settings (X2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, inspect, select, text
from sqlalchemy.exc import StatementError

from appcomply.bootstrap import import_all_models
from appcomply.db.base import Base, UTCDateTime
from appcomply.db.migrate import alembic_config, current_revisions, head_revisions, upgrade
from appcomply.db.session import make_engine

SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    """A throwaway SQLite file built by our own make_engine (WAL, foreign keys, the SAVEPOINT workaround)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    yield engine
    engine.dispose()


def _differences(conn: Connection) -> list[Any]:
    import_all_models()
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _app_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


# --- models and migrations agree -----------------------------------------------------------------------------------


def test_the_migrated_test_database_matches_the_models(connection: Connection) -> None:
    """`alembic check` in code, on the suite's database: SQLite by default, PostgreSQL in CI."""
    assert _differences(connection) == []


def test_a_fresh_sqlite_file_matches_the_models(sqlite_file: Engine) -> None:
    upgrade(sqlite_file)
    with sqlite_file.connect() as conn:
        assert _differences(conn) == []


def test_the_comparison_would_notice_a_missing_column(sqlite_file: Engine) -> None:
    upgrade(sqlite_file)
    with sqlite_file.begin() as conn:
        conn.execute(text("ALTER TABLE apps DROP COLUMN entity_name"))
        assert [d[0] for d in _differences(conn)] == ["add_column"]


# --- downgrade and upgrade -----------------------------------------------------------------------------------------


def test_downgrade_to_base_then_upgrade_round_trips(sqlite_file: Engine) -> None:
    upgrade(sqlite_file)
    tables = _app_tables(sqlite_file)
    assert {"apps", "audit_entries", "audit_head", "staff"} <= tables

    config = alembic_config()
    with sqlite_file.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert _app_tables(sqlite_file) == set()
    with sqlite_file.connect() as conn:
        assert current_revisions(conn) == frozenset()

    upgrade(sqlite_file)
    assert _app_tables(sqlite_file) == tables
    with sqlite_file.connect() as conn:
        assert current_revisions(conn) == head_revisions()
        assert conn.execute(text("SELECT seq, hash FROM audit_head")).all() == [(0, "0" * 64)]
        assert _differences(conn) == []


# --- UTCDateTime ---------------------------------------------------------------------------------------------------

_probe = Table(
    "utc_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
    Column("note", String(20)),
)


def test_utc_datetime_gives_back_aware_utc_for_any_offset_it_was_given(connection: Connection) -> None:
    _probe.create(connection)  # inside the test's transaction: rolled back with it
    shanghai_morning = dt.datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    connection.execute(_probe.insert().values(id=1, at=shanghai_morning))

    back = connection.execute(select(_probe.c.at)).scalar_one()

    assert back == shanghai_morning
    assert back.utcoffset() == dt.timedelta(0)
    assert back.tzinfo is dt.UTC
    assert back.hour == 1  # 09:30 in Shanghai is 01:30 UTC
    if connection.dialect.name == "sqlite":
        # SQLite has no time zones: the stored text is the UTC wall time, so ordering by it orders by instant.
        raw = connection.execute(text("SELECT at FROM utc_probe")).scalar_one()
        assert raw.startswith("2026-11-29 01:30:15.123456")


def test_utc_datetime_refuses_a_naive_datetime(connection: Connection) -> None:
    _probe.create(connection)
    with pytest.raises(StatementError, match="naive datetime"):
        connection.execute(_probe.insert().values(id=1, at=dt.datetime(2026, 11, 29, 9, 30)))  # noqa: DTZ001


def test_utc_datetime_keeps_null(connection: Connection) -> None:
    _probe.create(connection)
    connection.execute(_probe.insert().values(id=1, at=None))
    assert connection.execute(select(_probe.c.at)).scalar_one() is None


# --- SAVEPOINTs ----------------------------------------------------------------------------------------------------


def test_a_rolled_back_savepoint_undoes_only_its_own_work(connection: Connection) -> None:
    """The per-test isolation (X2) and the app's transaction() inside it both rest on this."""
    _probe.create(connection)
    connection.execute(_probe.insert().values(id=1, note="outer"))
    savepoint = connection.begin_nested()
    connection.execute(_probe.insert().values(id=2, note="inner"))
    savepoint.rollback()
    connection.execute(_probe.insert().values(id=3, note="after"))
    assert connection.execute(select(_probe.c.note).order_by(_probe.c.id)).scalars().all() == ["outer", "after"]


def test_savepoints_and_ddl_are_transactional_with_our_sqlite_settings(sqlite_file: Engine) -> None:
    """pysqlite left to itself commits before DDL and never emits BEGIN, which defeats SAVEPOINT; make_engine's
    workaround must make all of this transactional."""
    with sqlite_file.connect() as conn:
        outer = conn.begin()
        _probe.create(conn)
        conn.execute(_probe.insert().values(id=1, note="kept"))
        savepoint = conn.begin_nested()
        conn.execute(_probe.insert().values(id=2, note="undone"))
        conn.execute(text("CREATE TABLE undone_table (id INTEGER)"))
        savepoint.rollback()
        assert "undone_table" not in inspect(conn).get_table_names()
        assert conn.execute(select(_probe.c.note)).scalars().all() == ["kept"]
        outer.commit()
    with sqlite_file.connect() as conn:
        assert conn.execute(select(_probe.c.note)).scalars().all() == ["kept"]
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1

    with sqlite_file.connect() as conn:
        outer = conn.begin()
        conn.execute(text("CREATE TABLE rolled_back_table (id INTEGER)"))
        outer.rollback()
    assert "rolled_back_table" not in _app_tables(sqlite_file)
