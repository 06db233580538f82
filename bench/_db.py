"""Shared by the benchmarks: the process's services on a freshly migrated database."""

from __future__ import annotations

from sqlalchemy import text

from appcomply.bootstrap import Services, build_services
from appcomply.db.migrate import upgrade
from appcomply.settings import DatabaseSettings, Settings


def fresh_services(url: str) -> Services:
    """Services on `url`, migrated from scratch: a PostgreSQL database's public schema is dropped first (it must be
    one kept for benchmarks), a SQLite file is expected to be new."""
    services = build_services(Settings(database=DatabaseSettings(url=url)))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    return services
