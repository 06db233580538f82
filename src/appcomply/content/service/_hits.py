"""The screening hit log, written behind the request: a screening answers first, its hits reach the table after.

A screening that hits queues its rows here; the request hands a flush to run after its response is sent. Flushes
take whatever is queued, so under load one transaction writes the hits of many screenings (group commit), and a
flush that fails keeps its rows for the next one. The server flushes what is left when it stops.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from appcomply.content.models import ScreeningHit
from appcomply.db.session import transaction

log = logging.getLogger(__name__)

MAX_QUEUED: Final = 100_000  # rows; past it (the database gone for long) the oldest are dropped, and counted
_BATCH: Final = 1_000  # rows per INSERT statement


class HitLog:
    """A process's queue of hit rows not yet written. Thread-safe; one per process (in ContentEnv)."""

    def __init__(self, *, max_queued: int = MAX_QUEUED) -> None:
        self._rows: deque[dict[str, Any]] = deque(maxlen=max_queued)
        self._max = max_queued
        self._lock = threading.Lock()  # guards the queue's length check and the dropped count
        self._flushing = threading.Lock()  # one flush at a time per process; the others leave the work to it
        self.dropped = 0

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            for row in rows:
                if len(self._rows) == self._max:
                    self.dropped += 1
                self._rows.append(row)

    @property
    def queued(self) -> int:
        return len(self._rows)

    def flush(self, factory: sessionmaker[Session]) -> int:
        """Write what is queued, in one transaction per round, until the queue is empty; the rows written. If a
        flush is already running in this process it will take these rows too, so this one returns 0 at once."""
        if not self._flushing.acquire(blocking=False):
            return 0
        written = 0
        try:
            while self._rows:
                batch = self._take()
                try:
                    with transaction(factory) as session:
                        for start in range(0, len(batch), _BATCH):
                            session.execute(insert(ScreeningHit), batch[start : start + _BATCH])
                except Exception:
                    log.exception("screening hits not written; %d rows kept for the next flush", len(batch))
                    self._put_back(batch)
                    return written
                written += len(batch)
        finally:
            self._flushing.release()
        return written

    def _take(self) -> list[dict[str, Any]]:
        with self._lock:
            batch = list(self._rows)
            self._rows.clear()
        return batch

    def _put_back(self, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            room = self._max - len(self._rows)
            kept = batch[-room:] if room > 0 else []
            self.dropped += len(batch) - len(kept)
            self._rows.extendleft(reversed(kept))
