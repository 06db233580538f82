"""Each process's memory of which lexicon version every app is at, so that a screening needs no query at all.

A screening compiles nothing and reads nothing while its app's entry is fresh (`LEXICON_RECHECK_SECONDS`). A change
made in this process drops the app's entry at once (and again when it commits, so no screening between the two
keeps the old version); a change made by another process is seen when the entry expires.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import event
from sqlalchemy.orm import Session

LEXICON_RECHECK_SECONDS: Final = 1.0
_MAX_APPS: Final = 100_000


@dataclass(frozen=True, slots=True)
class KnownState:
    """An app's lexicon state as last read: None when the app never changed its lexicon (no row)."""

    version: int
    include_default: bool
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class _Entry:
    state: KnownState | None
    fresh_until: float


class StateCache:
    def __init__(
        self, *, seconds: float = LEXICON_RECHECK_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds, self._monotonic = seconds, monotonic
        self._entries: dict[uuid.UUID, _Entry] = {}
        self._lock = threading.Lock()
        _CACHES.add(self)

    def get(self, app_id: uuid.UUID) -> tuple[bool, KnownState | None]:
        """(known, state): known is False when the app's state must be read."""
        entry = self._entries.get(app_id)
        if entry is None or entry.fresh_until <= self._monotonic():
            return False, None
        return True, entry.state

    def put(self, app_id: uuid.UUID, state: KnownState | None) -> None:
        if self._seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= _MAX_APPS:
                self._entries.clear()
            self._entries[app_id] = _Entry(state, self._monotonic() + self._seconds)

    def forget(self, app_id: uuid.UUID) -> None:
        with self._lock:
            self._entries.pop(app_id, None)


_CACHES: weakref.WeakSet[StateCache] = weakref.WeakSet()


def lexicon_changed(session: Session, app_id: uuid.UUID) -> None:
    """Tell this process's caches that the app's lexicon is changing in `session`'s transaction."""

    def forget(*_args: object) -> None:
        for cache in list(_CACHES):
            cache.forget(app_id)

    forget()
    event.listen(session, "after_commit", forget, once=True)
