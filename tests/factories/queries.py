"""Counting the SQL a piece of code sends: the fast paths are held to a number of queries, not to a time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, event

_BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
_WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements(connection: Connection) -> Iterator[list[str]]:
    """The statements sent on the connection inside the block, less the tests' savepoint bookkeeping."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(_BOOKKEEPING):
            seen.append(" ".join(statement.split()))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", record)


def writes(seen: list[str]) -> list[str]:
    return [s for s in seen if s.upper().startswith(_WRITES)]
