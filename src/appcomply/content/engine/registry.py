"""Per-key cache of compiled lexicons: compile once per (key, version), swap atomically, read without locks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from appcomply.content.engine.lexicon import Lexicon
from appcomply.content.engine.matcher import CompiledLexicon, compile_lexicon


class EngineRegistry:
    """Holds the current compiled lexicon per key (an app id, or "default").

    Reads are a dict lookup and a version compare, with no lock. A miss takes the key's lock, so
    concurrent callers for one key wait for a single compile; other keys compile independently.
    """

    def __init__(self, compiler: Callable[[Lexicon], CompiledLexicon] = compile_lexicon) -> None:
        self._compiler = compiler
        self._current: dict[Hashable, CompiledLexicon] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def peek(self, key: Hashable, version: str) -> CompiledLexicon | None:
        """The compiled lexicon for `key` if it is at `version`, else None; never compiles (no lock, no wait)."""
        current = self._current.get(key)
        return current if current is not None and current.version == version else None

    def get(self, key: Hashable, version: str, loader: Callable[[], Lexicon]) -> CompiledLexicon:
        """The compiled lexicon for `key` at `version`; `loader` is called only when it must be compiled."""
        current = self._current.get(key)
        if current is not None and current.version == version:
            return current
        with self._lock_for(key):
            current = self._current.get(key)
            if current is not None and current.version == version:
                return current
            compiled = self._compiler(loader())
            self._current[key] = compiled  # one dict store: readers see the old or the new, never a mix
            return compiled

    def _lock_for(self, key: Hashable) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())
