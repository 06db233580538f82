"""Test fixtures: settings, a migrated database (once per session), a rolled-back connection per test, the app.

SQLite always; PostgreSQL when APPCOMPLY_TEST_DATABASE_URL is set. Each test runs inside an outer transaction
that is rolled back; the app's own `transaction()` becomes a SAVEPOINT on that connection (X2), so the real
commit path is exercised and nothing leaks between tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from appcomply.bootstrap import Services, create_app
from appcomply.content.engine import Lexicon, load_default_lexicon
from appcomply.db.migrate import upgrade
from appcomply.db.session import make_engine
from appcomply.kernel.actor import cli_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import AuditSettings, DatabaseSettings, Environment, NoticesSettings, Settings
from tests.factories.db import rolled_back, savepoint_factory
from tests.factories.services import services_over

# Timing is not correctness: under pytest-xdist on a loaded machine the strategies' generation time and a test's
# duration vary, so hypothesis's too-slow health check and per-example deadline are off (examples stay as many).
settings_profile = "appcomply"
hypothesis_settings.register_profile(
    settings_profile, deadline=None, suppress_health_check=[HealthCheck.too_slow], parent=hypothesis_settings.default
)
hypothesis_settings.load_profile(settings_profile)

REPORT = Path(os.environ.get("APPCOMPLY_TEST_DB_REPORT", "var/test-db-report.json"))
NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
_db_tests: dict[str, int] = {"count": 0}


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("APPCOMPLY_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own beside the configured one
    (`<name>_gw0`, …), created on first use; SQLite files are per worker already (tmp_path_factory)."""
    base = make_url(url)
    if base.get_backend_name() != "postgresql" or worker == "master":
        return url
    name = f"{base.database}_{worker}"
    server = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    return _worker_database(_database_url(tmp_path_factory.mktemp("db")), worker_id)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # The server's in-process outbox drain and audit chainer are off: tests deliver notices and chain audit entries
    # themselves, on the test connection, which a background thread must not share.
    return Settings(
        env=Environment.TEST,
        database=DatabaseSettings(url=database_url),
        notices=NoticesSettings(drain_in_process=False),
        audit=AuditSettings(chain_in_process=False),
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The test database, migrated once. PostgreSQL's schema is dropped first: CI's database is ours to reset."""
    url = make_url(settings.database.url)
    eng = make_engine(settings.database.url)
    if eng.dialect.name == "postgresql":
        if "test" not in (url.database or ""):
            pytest.exit(f"refusing to reset database {url.database!r}: its name must contain 'test'", returncode=3)
        with eng.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with rolled_back(engine) as conn:
        yield conn


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return savepoint_factory(connection)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def ctx(session: Session, clock: FixedClock) -> Ctx:
    """A Ctx acting as the CLI (admin) on the test connection; flushes are visible to the app under test."""
    return Ctx(session=session, clock=clock, actor=cli_actor(), request_id="test")


@pytest.fixture
def services(
    settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    default_lexicon: Lexicon,
) -> Services:
    return services_over(settings, engine, session_factory, clock, default_lexicon)


@pytest.fixture(scope="session")
def default_lexicon() -> Lexicon:
    """Loaded once; each test gets its own registry, so no compiled lexicon outlives the test that compiled it."""
    return load_default_lexicon()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services), base_url="http://testserver") as c:
        yield c


DB_PROPERTY = "appcomply_db"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that uses the database is a `db` test whether or not it says so, so `-m db` selects every one of
    them (the PostgreSQL run of .ci/run) and the counts of the two runs can be compared. The mark is also carried
    as a user property, which (unlike a keyword, which any directory name can match) reaches the controller's
    reports intact under pytest-xdist."""
    for item in items:
        uses_database = {"connection", "engine"} & set(getattr(item, "fixturenames", ()))
        if uses_database and item.get_closest_marker("db") is None:
            item.add_marker(pytest.mark.db)
        if item.get_closest_marker("db") is not None:
            item.user_properties.append((DB_PROPERTY, True))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the database tests that ran: passed or failed, not skipped (a test that skips itself on this
    database did not run on it). Under xdist the controller sees every worker's reports; a worker's own count
    is not used."""
    if report.when == "call" and not report.skipped and any(name == DB_PROPERTY for name, _ in report.user_properties):
        _db_tests["count"] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Leave a report of which database ran how many database tests: .ci/run refuses a PostgreSQL run of none."""
    if getattr(session.config, "workeroutput", None) is not None:  # an xdist worker: the controller reports
        return
    url = _database_url(Path("."))
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "dialect": make_url(url).get_backend_name(),
        "db_tests": _db_tests["count"],
        "failed": session.testsfailed,
    }
    REPORT.write_text(json.dumps(report))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    dialect = make_url(_database_url(Path("."))).get_backend_name()
    terminalreporter.write_line(f"database tests: {_db_tests['count']} ran on {dialect}")
