"""Engine, session factory and ``transaction()`` — the only ``commit()`` in the code base (D2)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import orjson
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from appcomply.db import _writers
from appcomply.kernel.actor import Actor
from appcomply.kernel.clock import Clock
from appcomply.kernel.context import Ctx

READ_ONLY = "appcomply_read_only"  # execution option and session info key: this connection / session only reads


class WriteInReadOnlyTransaction(RuntimeError):
    """A programming error: code that writes ran in a transaction opened to read only (a GET, or a route marked
    `reads_only`). Mark the route `writes` or move the write into its own transaction."""


SQLITE_BUSY_SECONDS: Final = 30.0
"""How long a SQLite writer waits for its turn before "database is locked"."""
PING_AFTER_IDLE_SECONDS: Final = 2.0
"""A PostgreSQL connection idle in the pool longer than this is pinged before use (see `_ping_when_idle`)."""


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10, read_only: bool = False) -> Engine:
    """One engine per process (D1); on PostgreSQL a second one, `read_only`, for reading requests: its connections are
    in autocommit and PostgreSQL makes their transactions read-only (see `make_session_factory`). SQLite has one engine
    (`read_only` is ignored there) and gets WAL, foreign keys and real SAVEPOINT support."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        on_disk = bool(database) and database != ":memory:"
        if on_disk:
            Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
        # A file gets the same capacity as PostgreSQL's (the web layer's in-flight limit matches it); an in-memory
        # database keeps SQLAlchemy's one connection per thread.
        pool_args: dict[str, int] = {"pool_size": pool_size, "max_overflow": pool_size} if on_disk else {}
        engine = create_engine(
            url,
            echo=echo,
            **pool_args,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_SECONDS,
                "factory": _writers.GatedConnection,
            },
            json_serializer=_json_dumps,
            json_deserializer=orjson.loads,
        )
        gate = _writers.gate_for(Path(str(database)), timeout=SQLITE_BUSY_SECONDS) if on_disk else None
        _configure_sqlite(engine, gate)
        return engine
    engine = create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
        **({"isolation_level": "AUTOCOMMIT"} if read_only else {}),
    )
    _ping_when_idle(engine)
    if read_only:
        _refuse_writes(engine)
        return engine.execution_options(**{READ_ONLY: True})
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a connection before use only if it sat in the pool for `PING_AFTER_IDLE_SECONDS`: a dead one (the server
    restarted, a firewall dropped it) is replaced before a request sees it, and a busy pool, whose connections come
    back within milliseconds, pays no round trip per checkout as `pool_pre_ping` would. A connection that dies while
    in use fails its request; SQLAlchemy then invalidates the pool, so the next checkouts reconnect."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError(str(error)) from error  # the pool connects anew and tries again
            raise


def _refuse_writes(engine: Engine) -> None:
    # Autocommit: each statement is its own transaction, and PostgreSQL makes those read-only. Set once per connection.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")


def _json_dumps(value: object) -> str:
    # orjson: several times faster than the stdlib on the audit hot path, and strict (no NaN, str keys).
    return orjson.dumps(value).decode()


def _configure_sqlite(engine: Engine, gate: _writers.WriterGate | None) -> None:
    # pysqlite's own transaction handling defeats SAVEPOINT (it commits before DDL and never emits
    # BEGIN itself); SQLAlchemy documents this workaround: disable pysqlite's handling and emit BEGIN.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.gate = gate
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading read locks;
        # it also serialises audit-chain appends on SQLite (A4). Connections marked read-only (readiness
        # probes, reading requests) begin nothing: each statement is its own read transaction, which in WAL mode never
        # waits for a writer (what PostgreSQL's reading engine does too), and SQLite itself refuses their writes
        # (query_only); the pragma is set only when it changes, so a connection pays for it once.
        read_only = bool(conn.get_execution_options().get(READ_ONLY, False))
        info = conn.connection.info
        if info.get("query_only", False) != read_only:
            conn.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
            info["query_only"] = read_only
        if not read_only:
            # Writers queue at the file's gate, not asleep in SQLite's busy handler (see db/_writers.py); the
            # connection lets go of it when the transaction ends.
            try:
                conn.connection.dbapi_connection.take_turn()
            except sqlite3.OperationalError as error:  # as SQLAlchemy wraps SQLite's own "database is locked"
                raise exc.OperationalError("BEGIN IMMEDIATE", None, error) from error
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on the engine; `read_only` ones refuse every write: the ORM guard below refuses it before the database
    sees it, and the database refuses it too.

    On SQLite a reading session begins no transaction: each statement is its own (it never waits for the write lock),
    under query_only. On PostgreSQL, on an engine from `make_engine(..., read_only=True)` (the server's), each
    statement is its own read-only transaction in autocommit: a one-query check is one round trip instead of three
    (BEGIN READ ONLY, the query, COMMIT). It sees what a READ COMMITTED transaction would, which takes a new snapshot
    for each statement anyway. On any other PostgreSQL engine the session is a READ ONLY transaction.
    """
    if not read_only:
        return sessionmaker(bind=engine, expire_on_commit=False)
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql" and not engine.get_execution_options().get(READ_ONLY, False):
        options["postgresql_readonly"] = True
    return sessionmaker(bind=engine.execution_options(**options), expire_on_commit=False, info={READ_ONLY: True})


def is_read_only(session: Session) -> bool:
    """Whether the session was opened to read only (a write in it raises WriteInReadOnlyTransaction)."""
    return bool(session.info.get(READ_ONLY, False))


_USED: Final = "appcomply_used_database"


@event.listens_for(Session, "after_begin")
def _mark_used(session: Session, _transaction: Any, _connection: Any) -> None:
    session.info[_USED] = True


def used_database(session: Session) -> bool:
    """Whether the session's transaction has taken a connection (so ending it means talking to the database)."""
    return bool(session.info.get(_USED, False))


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if is_read_only(session) and (session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)):
        raise WriteInReadOnlyTransaction("a flush in a read-only transaction")


@event.listens_for(Session, "do_orm_execute")
def _refuse_write_statement(state: ORMExecuteState) -> None:
    if is_read_only(state.session) and (state.is_insert or state.is_update or state.is_delete):
        raise WriteInReadOnlyTransaction(f"a {type(state.statement).__name__.lower()} in a read-only transaction")


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on clean exit, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def transaction_on_use(factory: sessionmaker[Session]) -> Iterator[Session]:
    """`transaction()` for a request that may never touch the database: the transaction begins with the session's
    first statement (autobegin), so a request answered from memory creates no transaction to end; one that did
    begin is committed on clean exit and rolled back on any exception, as `transaction()` does. A read-only session
    is only closed: it wrote nothing, and its statements ran as their own transactions (`make_session_factory`), so a
    commit would be a third of its cost for nothing."""
    with factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if session.in_transaction() and not is_read_only(session):
            session.commit()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, clock: Clock, actor: Actor, request_id: str) -> Iterator[Ctx]:
    """A transaction wrapped in the Ctx that use cases take: for CLI commands and background jobs."""
    with transaction(factory) as session:
        yield Ctx(session=session, clock=clock, actor=actor, request_id=request_id)
