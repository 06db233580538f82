"""Pinyin mixed with characters inside one term (fa轮gong): the text transliterated, its matches mapped back.

Instead of a pattern for every way of mixing a term's characters with their pinyin (2^n a term), the text is
written in pinyin (each character by its first reading, from the packaged table) and searched for the pinyin
variants already in the automaton: fa轮gong -> falungong. Only a text with an ASCII letter and a non-ASCII
character can mix, so most Chinese comments skip all this after one regex search, and pypinyin is never
imported at screen time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import accumulate
from typing import Final, Protocol

from appcomply.content.engine.normalise import native_windows
from appcomply.content.engine.variants import reading_table

_LETTER: Final = re.compile("[a-z]")  # screened text is folded: lower case, full width folded to ASCII
_RUN: Final = re.compile("[a-z]+")
MIXED_REACH: Final = 8
"""Characters searched either side of a run of pinyin letters: a term mixed with pinyin is found if its
characters reach at most this far beyond its pinyin (terms of up to 9 characters in any case). Measured on
COLD's texts with letters, 16 cost about a third more time on that path than 8, for no recall on the bench."""
_Match = tuple[int, int, int]  # (pattern index, start, end)


class _Searcher(Protocol):
    def find_matches_as_indexes(self, haystack: str, overlapping: bool = ...) -> list[_Match]: ...


def may_mix(text: str) -> bool:
    """True if the (normalised) text has both an ASCII letter and a non-ASCII character."""
    return not text.isascii() and _LETTER.search(text) is not None


@cache
def _first_readings() -> dict[str, str]:
    return {ch: readings[0] for ch, readings in reading_table().items()}


def transliterate(text: str) -> tuple[str, list[int]]:
    """`text` with each character that has a reading replaced by its first one, and where the pieces start.

    Character k of `text` became `out[starts[k]:starts[k + 1]]`; `starts` has `len(text) + 1` offsets, the
    last `len(out)`. Characters without a reading (ASCII, punctuation, rare characters) stay as they are.
    """
    table = _first_readings()
    pieces = [table.get(ch, ch) for ch in text]
    return "".join(pieces), [0, *accumulate(map(len, pieces))]


def mixed_matches(text: str, *searches: tuple[_Searcher, Callable[[int, str], bool]]) -> list[list[_Match]]:
    """For each (automaton, keep) search, the matches in the transliterated `text` that mix pinyin and
    characters and that `keep(pattern index, span)` accepts, in `text` offsets.

    A match counts only if it starts and ends on character boundaries (not inside a transliterated
    character's syllable) and its span holds an ASCII letter and a non-ASCII character: all-character and
    all-pinyin text is matched by the plain search already, and a match of transliterated characters alone
    would be a homophone of the term, not the term. Only windows around runs of letters that are whole
    pinyin syllables are transliterated and searched (see `_windows`).
    """
    found: list[list[_Match]] = [[] for _ in searches]
    for low, high in _windows(text):
        out, starts = transliterate(text[low:high])
        offset = {o: k + low for k, o in enumerate(starts)}
        for (automaton, keep), kept in zip(searches, found, strict=True):
            for index, start, end in automaton.find_matches_as_indexes(out, overlapping=True):
                first, last = offset.get(start), offset.get(end)
                if first is None or last is None:
                    continue
                span = text[first:last]
                if not span.isascii() and _LETTER.search(span) is not None and keep(index, span):
                    kept.append((index, first, last))
    return found


def _windows(text: str) -> list[tuple[int, int]]:
    """Spans of `text` reaching MIXED_REACH characters either side of each run of letters made of syllables.

    The native `windows` (normalise.py) when built, else `_py_windows`: the same spans.
    """
    if native_windows is not None:
        return native_windows(text, _syllables(), MIXED_REACH)
    return _py_windows(text)


def _py_windows(text: str) -> list[tuple[int, int]]:
    """Spans of `text` reaching MIXED_REACH characters either side of each run of letters made of syllables.

    A Latin pattern only matches between non-alphanumerics, so a run of letters inside a mixed match is
    wholly inside it and is some of the term's syllables: runs such as `hhh`, `nba` or English words are
    skipped, which leaves most texts with letters (10 % of COLD) nothing to search.
    """
    windows: list[tuple[int, int]] = []
    for run in _RUN.finditer(text):
        if not _is_syllables(run.group()):
            continue
        low, high = max(0, run.start() - MIXED_REACH), min(len(text), run.end() + MIXED_REACH)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    return windows


@lru_cache(maxsize=4096)  # the same few runs recur (hhh, nba, ok); the cost is linear in any case
def _is_syllables(run: str) -> bool:
    """True if `run` is a sequence of toneless pinyin syllables (dynamic programming: no regex backtracking)."""
    syllables = _syllables()
    if run in syllables:
        return True
    ends = {0}  # offsets where a sequence of whole syllables ends
    for start in range(len(run)):
        if start in ends:
            ends.update(end for end in range(start + 1, min(start + 7, len(run) + 1)) if run[start:end] in syllables)
    return len(run) in ends


@cache
def _syllables() -> frozenset[str]:
    return frozenset(r for readings in reading_table().values() for r in readings)
