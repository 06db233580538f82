"""SQLite writers queue at the file's gate (db/_writers.py): a writer waits for the turn while another holds it, in
this process or another, and gets it as soon as the holder's transaction ends by commit, rollback or close; a turn
that never comes is "database is locked", as from SQLite itself. Each test has its own file: the gate is SQLite's."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, exc, text

from appcomply.db import _writers
from appcomply.db.session import make_engine

WAIT = 10.0  # seconds a writer that should get its turn is given; it gets it at once


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "gate.db"


@pytest.fixture
def engine(database: Path) -> Iterator[Engine]:
    _writers.gate_for(database, timeout=1.0)  # before the engine, which then shares it: a lost turn fails in 1 s
    eng = make_engine(f"sqlite:///{database}")
    with eng.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield eng
    eng.dispose()


def _holds(conn: Connection) -> bool:
    return bool(conn.connection.dbapi_connection.holds_gate)  # type: ignore[union-attr]


def _write_in_thread(engine: Engine, n: int) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, done


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_writer_waits_while_another_holds_the_turn_and_gets_it_when_that_transaction_ends(
    engine: Engine, end: str
) -> None:
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t VALUES (1)"))
    assert _holds(holder)
    thread, done = _write_in_thread(engine, 2)
    assert not done.wait(0.3)  # queued at the gate, not failed and not through
    dbapi_connection = holder.connection.dbapi_connection
    getattr(holder, end)()
    assert done.wait(WAIT)
    thread.join()
    assert not dbapi_connection.holds_gate  # type: ignore[union-attr]
    holder.close()
    with engine.connect() as conn:
        rows = sorted(conn.scalars(text("SELECT n FROM t")))
    assert rows == ([1, 2] if end == "commit" else [2])


def test_reading_takes_no_turn(engine: Engine) -> None:
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t VALUES (1)"))
    reading = make_engine(f"sqlite:///{engine.url.database}", read_only=True).execution_options(
        appcomply_read_only=True
    )
    with reading.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM t")) == 0  # WAL: the reader does not wait for the writer
    holder.rollback()
    holder.close()
    reading.dispose()


def test_a_second_write_in_the_thread_that_holds_the_turn_is_refused_as_locked(engine: Engine) -> None:
    with engine.begin() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(exc.OperationalError, match="database is locked"), engine.begin() as second:
            second.execute(text("INSERT INTO t VALUES (2)"))
    with engine.connect() as conn:
        assert list(conn.scalars(text("SELECT n FROM t"))) == [1]


def test_writers_in_another_process_queue_at_the_same_gate(engine: Engine, database: Path) -> None:
    child = textwrap.dedent(
        """
        import sys
        from sqlalchemy import text
        from appcomply.db.session import make_engine
        engine = make_engine(sys.argv[1])
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            print("holding", flush=True)
            sys.stdin.readline()
        print("committed", flush=True)
        """
    )
    with subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", child, f"sqlite:///{database}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    ) as process:  # fmt: skip
        assert process.stdout is not None
        assert process.stdin is not None
        try:
            assert process.stdout.readline().strip() == "holding"
            thread, done = _write_in_thread(engine, 2)
            assert not done.wait(0.3)  # the other process holds the file's flock
            process.stdin.write("\n")
            process.stdin.flush()
            assert process.stdout.readline().strip() == "committed"
            assert done.wait(WAIT)
            thread.join()
        finally:
            process.kill()
    with engine.connect() as conn:
        assert sorted(conn.scalars(text("SELECT n FROM t"))) == [1, 2]
