"""Per-process memory of per-app reads that rarely change and that the per-request checks need on every call.

An entry is fresh for `seconds` (default 1 s). A flush in this process that writes an instance of one of the watched
models drops that app's entry at once, and again when the flush's transaction commits, so no reader in this process
keeps the old value once the change has committed; a change made by another process is seen when the entry expires.
A watched model's instances name the entry they change by their `app_id` column; a cache keyed by something else
(`KeyedCache`) says how to read its key off an instance. Values must be immutable (they are shared between threads).
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable, Hashable
from itertools import chain
from operator import attrgetter
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
DEFAULT_SECONDS: Final = 1.0
_MAX_APPS: Final = 100_000


class KeyedCache(Generic[K, T]):
    """Entries by any key; `key_of` reads the key of the entry a watched instance changes (see the module)."""

    def __init__(
        self,
        *models: type[Any],
        key_of: Callable[[Any], K],
        seconds: float = DEFAULT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds, self._monotonic, self.key_of = seconds, monotonic, key_of
        self._entries: dict[K, tuple[T, float]] = {}
        self._lock = threading.Lock()
        self._models = models
        for model in models:
            _WATCHERS[model].add(self)

    def _pending_change(self, session: Session) -> bool:
        if not (session.new or session.deleted or session.dirty):  # the usual case on a per-request check
            return False
        return any(isinstance(o, self._models) for o in chain(session.new, session.dirty, session.deleted))

    def get(self, session: Session, key: K, load: Callable[[], T]) -> T:
        """The key's value: from memory while fresh, else `load()` (which reads the database) remembered. A session
        holding unflushed changes to a watched model reads through (`load()` autoflushes them) and remembers nothing."""
        if self._pending_change(session):
            return load()
        entry = self._entries.get(key)
        now = self._monotonic()
        if entry is not None and entry[1] > now:
            return entry[0]
        value = load()
        if self._seconds > 0:
            with self._lock:
                if len(self._entries) >= _MAX_APPS:
                    self._entries.clear()
                self._entries[key] = (value, now + self._seconds)
        return value

    def peek(self, key: K) -> T | None:
        """The key's value if this process holds it fresh, else None: for a check that can answer without a session
        (a request with no unflushed changes, so `get`'s read-through cannot apply)."""
        entry = self._entries.get(key)
        if entry is not None and entry[1] > self._monotonic():
            return entry[0]
        return None

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)


class AppCache(KeyedCache[uuid.UUID, T]):
    """Entries by app id, changed by watched instances' `app_id`."""

    def __init__(
        self, *models: type[Any], seconds: float = DEFAULT_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(*models, key_of=_APP_ID, seconds=seconds, monotonic=monotonic)


_APP_ID: Final = attrgetter("app_id")
_WATCHERS: defaultdict[type[Any], weakref.WeakSet[KeyedCache[Any, Any]]] = defaultdict(weakref.WeakSet)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context: Any) -> None:
    # In after_flush the session's new/dirty/deleted still hold what this flush wrote.
    if not _WATCHERS:
        return
    changed = [
        (cache, cache.key_of(obj))
        for obj in chain(session.new, session.dirty, session.deleted)
        for cache in _WATCHERS.get(type(obj), ())
    ]
    if not changed:
        return

    def forget(*_args: object) -> None:
        for cache, key in changed:
            cache.forget(key)

    forget()
    event.listen(session, "after_commit", forget, once=True)
