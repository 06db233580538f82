"""One writer at a time on a SQLite file, queued by the kernel instead of by SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the file locked sleeps in SQLite's busy handler
(1, 2, 5, 10 … 100 ms, polling) until it is free: under load, most writers are asleep when the lock comes free, the
file sits idle between transactions, and the unlucky ones wait a second or more (public intake measured 500
reports/s with a p99 of 1.3 s that way). The gate makes writers queue instead: a thread takes the process's lock,
then an exclusive `flock` on a file beside the database, which every appcomply process on the machine shares; the
kernel wakes the next waiter the moment the holder lets go. The gate is taken before `BEGIN IMMEDIATE`, so SQLite's
own lock is then normally free, and its busy timeout still covers writers outside appcomply (the `sqlite3` shell).

The engine's connections are `GatedConnection`s: one takes the gate when a writing transaction begins (see
`session._configure_sqlite`) and lets go of it as soon as the transaction has committed or rolled back, or the
connection is closed. A thread that holds the gate and begins a second writing transaction on another connection
waits `timeout` seconds and gets "database is locked", as SQLite would tell it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Final

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the process's lock only, SQLite's busy handler between processes
    fcntl = None  # type: ignore[assignment]

SUFFIX: Final = "-writer.lock"


class WriterGate:
    """The gate of one database file in this process (`gate_for` shares it between the process's engines)."""

    def __init__(self, database: Path, *, timeout: float) -> None:
        self.path = database.with_name(database.name + SUFFIX)
        self._timeout = timeout
        self._pid = -1
        self._lock = threading.Lock()
        self._fd = -1

    def _reset_after_fork(self) -> None:
        # Opened on first use in each process: a forked child shares its parent's open file, and with it the
        # parent's flock (and perhaps a lock some parent thread held at the fork), so it needs its own of both.
        pid = os.getpid()
        if self._pid == pid:
            return
        with _GATES_LOCK:
            if self._pid != pid:
                self._lock = threading.Lock()
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) if fcntl else -1
                self._pid = pid

    def acquire(self) -> None:
        self._reset_after_fork()
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError(f"database is locked (no turn to write within {self._timeout:g} s)")
        if self._fd >= 0:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


_GATES: dict[Path, WriterGate] = {}
_GATES_LOCK: Final = threading.Lock()


def gate_for(database: Path, *, timeout: float) -> WriterGate:
    """The process's gate for `database`: two engines on one file must queue on the same gate, or each would take
    the file's flock for itself and then wait on SQLite's lock, asleep."""
    key = database.resolve()
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = WriterGate(key, timeout=timeout)
        return gate


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that queues at its file's gate to write (`factory` of `sqlite3.connect`)."""

    gate: WriterGate | None = None  # set when the engine connects; None: an in-memory database, no gate
    holds_gate = False

    def take_turn(self) -> None:
        """Before BEGIN IMMEDIATE: wait for this connection's turn to write (at once if it has it)."""
        if self.gate is not None and not self.holds_gate:
            self.gate.acquire()
            self.holds_gate = True

    def _let_go(self) -> None:
        if self.holds_gate:
            self.holds_gate = False
            if self.gate is not None:
                self.gate.release()

    def commit(self) -> None:
        super().commit()  # a failed COMMIT leaves the transaction open: the turn lasts until its rollback
        self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()
