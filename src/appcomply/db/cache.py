"""Per-process memory of per-app reads that rarely change and that the per-request checks need on every call.

An entry is fresh for `seconds` (default 1 s). A flush in this process that writes an instance of one of the watched
models drops that app's entry at once, and again when the flush's transaction commits, so no reader in this process
keeps the old value once the change has committed; a change made by another process is seen when the entry expires.
Only models with an `app_id` column can be watched. Values must be immutable (they are shared between threads).
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

T = TypeVar("T")
DEFAULT_SECONDS: Final = 1.0
_MAX_APPS: Final = 100_000


class AppCache(Generic[T]):
    def __init__(
        self, *models: type[Any], seconds: float = DEFAULT_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds, self._monotonic = seconds, monotonic
        self._entries: dict[uuid.UUID, tuple[T, float]] = {}
        self._lock = threading.Lock()
        self._models = models
        for model in models:
            _WATCHERS[model].add(self)

    def _pending_change(self, session: Session) -> bool:
        if not (session.new or session.deleted or session.dirty):  # the usual case on a per-request check
            return False
        return any(isinstance(o, self._models) for o in chain(session.new, session.dirty, session.deleted))

    def get(self, session: Session, app_id: uuid.UUID, load: Callable[[], T]) -> T:
        """The app's value: from memory while fresh, else `load()` (which reads the database) remembered. A session
        holding unflushed changes to a watched model reads through (`load()` autoflushes them) and remembers nothing."""
        if self._pending_change(session):
            return load()
        entry = self._entries.get(app_id)
        now = self._monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        value = load()
        if self._seconds > 0:
            with self._lock:
                if len(self._entries) >= _MAX_APPS:
                    self._entries.clear()
                self._entries[app_id] = (value, now + self._seconds)
        return value

    def peek(self, app_id: uuid.UUID) -> T | None:
        """The app's value if this process holds it fresh, else None: for a check that can answer without a session
        (a request with no unflushed changes, so `get`'s read-through cannot apply)."""
        entry = self._entries.get(app_id)
        if entry is not None and entry[1] > self._monotonic():
            return entry[0]
        return None

    def forget(self, app_id: uuid.UUID) -> None:
        with self._lock:
            self._entries.pop(app_id, None)


_WATCHERS: defaultdict[type[Any], weakref.WeakSet[AppCache[Any]]] = defaultdict(weakref.WeakSet)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context: Any) -> None:
    # In after_flush the session's new/dirty/deleted still hold what this flush wrote.
    if not _WATCHERS:
        return
    changed = [
        (cache, obj.app_id)
        for obj in chain(session.new, session.dirty, session.deleted)
        for cache in _WATCHERS.get(type(obj), ())
    ]
    if not changed:
        return

    def forget(*_args: object) -> None:
        for cache, app_id in changed:
            cache.forget(app_id)

    forget()
    event.listen(session, "after_commit", forget, once=True)
