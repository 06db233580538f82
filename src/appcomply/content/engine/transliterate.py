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
from functools import cache
from itertools import accumulate
from typing import Final, Protocol

from appcomply.content.engine.variants import reading_table

_LETTER: Final = re.compile("[a-z]")  # screened text is folded: lower case, full width folded to ASCII
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


def mixed_matches(automaton: _Searcher, text: str, keep: Callable[[int], bool]) -> list[_Match]:
    """Matches of kept patterns in the transliterated `text` that mix pinyin and characters, in `text` offsets.

    A match counts only if it starts and ends on character boundaries (not inside a transliterated
    character's syllable) and its span holds an ASCII letter and a non-ASCII character: all-character and
    all-pinyin text is matched by the plain search already, and a match of transliterated characters alone
    would be a homophone of the term, not the term.
    """
    out, starts = transliterate(text)
    offset = {o: k for k, o in enumerate(starts)}
    found = []
    for index, start, end in automaton.find_matches_as_indexes(out, overlapping=True):
        first, last = offset.get(start), offset.get(end)
        if first is None or last is None or not keep(index):
            continue
        span = text[first:last]
        if not span.isascii() and _LETTER.search(span) is not None:
            found.append((index, first, last))
    return found
