"""Alembic environment: every module's models on one metadata; batch mode on SQLite (D6)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from appcomply.bootstrap import import_all_models
from appcomply.db.base import Base

import_all_models()
target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from appcomply.db.session import make_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from appcomply.settings import Settings

        url = Settings().database.url
    engine = make_engine(url)
    # engine.begin(): commits on success like db.migrate.upgrade(); the one explicit commit() stays in db/session.py.
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
