"""Text normalisation for screening: a one-to-one fold, noise and repeat removal, and maps back to offsets.

The fold (width, case, traditional→simplified, confusables, compatibility forms, radicals) is one table
lookup per character. `fold` keeps every offset (noise becomes NUL); `strip` (= `normalise_term`) also
deletes noise; `collapse` reduces repeat runs. `positions` and `runs` map indices of the shortened strings
back, as sequences of int indices (native: a uint32 memoryview over one bytes object).

`prepare` strips and collapses a text to screen at once and says whether it has ASCII letters and other
characters (the prefilters of the Latin automaton and of mixed pinyin). The optional `_fold` extension does
each in one C pass: `str.translate` looks each character up through
the mapping protocol, ~70 ns a CJK character, which alone cost as much as the whole automaton search
(measured on COLD: 3.5 µs a message against 0.25 µs). Without the extension the same functions run in
pure Python with identical results (`PURE_PYTHON` tells which is in use).
"""

from __future__ import annotations

import operator
import re
from array import array
from collections.abc import Callable, Sequence
from importlib.resources import files
from typing import Any, Final

IndexMap = Sequence[int]

NUL: Final = "\x00"
_DATA = files("appcomply.content.engine") / "data"
_TABLE_SIZE: Final = 0x30000  # characters above fold to themselves (translate treats IndexError as "keep")


def _load() -> tuple[list[int], dict[str, str]]:
    table = list(range(_TABLE_SIZE))
    families: dict[str, str] = {}
    for line in (_DATA / "fold.txt").read_text(encoding="utf-8").splitlines():
        src, dst, family = line.split("\t")
        table[int(src, 16)] = int(dst, 16)
        families[chr(int(src, 16))] = family
    for line in (_DATA / "noise.txt").read_text(encoding="utf-8").splitlines():
        first, last = line.split("\t")
        for cp in range(int(first, 16), int(last, 16) + 1):
            table[cp] = 0
    table[0] = 0
    return table, families


_CODES, FOLD_FAMILY = _load()
# Tables are lists with an entry for every code point below _TABLE_SIZE, holding one-character strings:
# a dict raises and swallows KeyError for every unmapped character, and ints cost a conversion; measured
# on COLD, 3.5 µs a message against 4.4 µs (list of ints) and 6.8 µs (dict). None deletes the character.
FOLD_TABLE: Final[list[str]] = [chr(cp) for cp in _CODES]
STRIP_TABLE: Final[list[str | None]] = [None if ch == NUL else ch for ch in FOLD_TABLE]  # shares the strings
NUL_RUN: Final = re.compile("\x00+")
REPEAT_RUN: Final = re.compile(r"(.)\1+", re.DOTALL)
_FIRST_GROUP: Final = operator.methodcaller("group", 1)


def _py_fold(text: str) -> str:
    """Fold `text` one-to-one: same length, noise characters become NUL."""
    return text.translate(FOLD_TABLE)


def _py_strip(text: str) -> str:
    """The form a term (or any text) is matched in: folded, with noise removed."""
    return text.translate(STRIP_TABLE)


def _py_collapse(text: str) -> str:
    """Each run of one repeated character reduced to one character; `text` itself when there is none."""
    return REPEAT_RUN.sub(_FIRST_GROUP, text) if REPEAT_RUN.search(text) else text  # C callable, not a template


def _py_positions(text: str) -> IndexMap:
    """Item k is the index in `text` of character k of `strip(text)`."""
    return [i for i, ch in enumerate(text.translate(FOLD_TABLE)) if ch != NUL]


def _py_runs(text: str) -> tuple[IndexMap, IndexMap]:
    """For character k of `collapse(text)`, its run is `text[starts[k]:ends[k]]`."""
    bounds = [m.span() for m in _ANY_RUN.finditer(text)]
    return [s for s, _ in bounds], [e for _, e in bounds]


_ANY_RUN: Final = re.compile(r"(.)\1*", re.DOTALL)
HAS_LETTER: Final = 1
HAS_NON_ASCII: Final = 2
_ASCII_LETTER: Final = re.compile("[a-z]")


def _py_prepare(text: str) -> tuple[str, str, int]:
    """`(strip(text), collapse(stripped), flags)`: HAS_LETTER if it has an ASCII letter a-z, HAS_NON_ASCII if it
    has any other than ASCII (the stripped and the collapsed text alike)."""
    stripped = _py_strip(text)
    collapsed = _py_collapse(stripped)
    letter = HAS_LETTER if _ASCII_LETTER.search(collapsed) is not None else 0
    return stripped, collapsed, letter | (0 if collapsed.isascii() else HAS_NON_ASCII)


try:
    from appcomply.content.engine import _fold  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - exercised by the fallback tests with the extension hidden
    _fold = None
fold: Callable[[str], str]
strip: Callable[[str], str]
prepare: Callable[[str], tuple[str, str, int]]
collapse: Callable[[str], str]
record_factory: Callable[[type, tuple[str, ...]], Callable[..., Any]] | None
# matcher.py's `_collect` and `_hits` as C loops (the Python functions there are the fallback).
native_collect: Callable[..., bool] | None
native_hits: Callable[..., list[Any]] | None
native_windows: Callable[[str, frozenset[str], int], list[tuple[int, int]]] | None  # transliterate._windows
if _fold is not None:
    _table = array("I", _CODES)
    assert _table.itemsize == 4  # noqa: S101 - the extension reads uint32
    _fold.configure(_table.tobytes())
    fold, strip, collapse, prepare = _fold.fold, _fold.strip, _fold.collapse, _fold.prepare
    record_factory = _fold.record_factory
    native_collect, native_hits, native_windows = _fold.collect, _fold.hits, _fold.windows
else:
    fold, strip, collapse, prepare = _py_fold, _py_strip, _py_collapse, _py_prepare
    record_factory = native_collect = native_hits = native_windows = None
PURE_PYTHON: Final = _fold is None
normalise_term = strip
collapse_repeats = collapse


def positions(text: str) -> IndexMap:
    """Item k is the index in `text` of character k of `strip(text)`."""
    if _fold is None:
        return _py_positions(text)
    return memoryview(_fold.positions(text)).cast("I")


def runs(text: str) -> tuple[IndexMap, IndexMap]:
    """`(starts, ends)`: for character k of `collapse(text)`, its run is `text[starts[k]:ends[k]]`."""
    if _fold is None:
        return _py_runs(text)
    starts, ends = _fold.runs(text)
    return memoryview(starts).cast("I"), memoryview(ends).cast("I")


def has_inner_repeat(text: str) -> bool:
    return REPEAT_RUN.search(text) is not None
