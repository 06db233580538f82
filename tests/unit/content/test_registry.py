"""The engine registry compiles once per (key, version) under concurrency and swaps on a new version."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from appcomply.content.engine import Category, CompiledLexicon, EngineRegistry, Lexicon, Term, compile_lexicon


def counting_compiler() -> tuple[list[str], EngineRegistry]:
    compiled: list[str] = []
    lock = threading.Lock()

    def compiler(lexicon: Lexicon) -> CompiledLexicon:
        time.sleep(0.05)  # long enough that every thread arrives while the first compile runs
        with lock:
            compiled.append(lexicon.version)
        return compile_lexicon(lexicon)

    return compiled, EngineRegistry(compiler)


def lexicon(version: str) -> Lexicon:
    return Lexicon(version, (Term("大麻", Category.CUSTOM),))


def test_concurrent_gets_from_eight_threads_compile_once() -> None:
    compiled, registry = counting_compiler()
    barrier = threading.Barrier(8)

    def get(_: int) -> CompiledLexicon:
        barrier.wait()
        return registry.get("app-1", "v1", lambda: lexicon("v1"))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(get, range(8)))
    assert compiled == ["v1"]
    assert all(r is results[0] for r in results)


def test_new_version_swaps_and_old_version_is_not_recompiled_per_call() -> None:
    compiled, registry = counting_compiler()
    first = registry.get("app-1", "v1", lambda: lexicon("v1"))
    assert registry.get("app-1", "v1", lambda: lexicon("v1")) is first
    second = registry.get("app-1", "v2", lambda: lexicon("v2"))
    assert second is not first
    assert second.version == "v2"
    assert registry.get("app-1", "v2", lambda: lexicon("v2")) is second
    assert compiled == ["v1", "v2"]


def test_keys_are_independent() -> None:
    compiled, registry = counting_compiler()
    registry.get("app-1", "v1", lambda: lexicon("v1"))
    registry.get("app-2", "v1", lambda: lexicon("v1"))
    assert compiled == ["v1", "v1"]
