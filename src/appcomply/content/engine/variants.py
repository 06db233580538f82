"""Term variants generated when a lexicon is compiled: pinyin, split characters and homophones.

Screening never calls pypinyin: every variant is just another pattern in the automaton. Pinyin is
generated without spaces only, because spaces are noise and are removed from the text before matching,
so `fa lun gong` and `falungong` are the same input. Initials (`flg`) are not generated: three or four
Latin letters match too much ordinary text to be worth it by default. Readings come from pypinyin's
dictionaries directly (the whole term from its phrase table, else each character's first reading):
`lazy_pinyin` costs ~100 µs a term, which would take 10 s for 100k terms.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from typing import Final

from appcomply.content.engine.normalise import normalise_term

PINYIN: Final = "pinyin"
SPLIT: Final = "split"
HOMOPHONE: Final = "homophone"
MAX_VARIANTS_PER_FAMILY: Final = 8
MAX_SPLIT_POSITIONS: Final = 12  # characters split one at a time; covers every position of most terms
SPLIT_MAX_CHARS: Final = 4
"""For big lexicons, split variants only for terms up to this length. Every variant adds automaton states,
compile time and memory (100k terms: ~1.4 split variants a term even at this limit); short terms are where
splitting is common. `compile_lexicon(..., split_max_chars=50)` covers all."""
SPLIT_ALL_MAX_TERMS: Final = 20_000
"""Lexicons up to this many terms (the packaged default has ~850) get split variants for every term length:
at that size they cost a few milliseconds, and recall on longer terms needs them."""
_HAN: Final = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@cache
def split_table() -> dict[str, str]:
    """Character → its components (人尔 for 你, 言身寸 for 谢; radicals folded), from 漢語拆字字典 (CC BY 3.0).

    Two components where the dictionary has such a decomposition, else three or more (data/SOURCE.txt).
    """
    text = (files("appcomply.content.engine") / "data" / "split.txt").read_text(encoding="utf-8")
    return dict(line.split("\t") for line in text.splitlines())


@cache
def _pinyin_tables() -> tuple[dict[int, str], dict[str, list[list[str]]]]:
    # Compile time only; a loaded compiled lexicon never imports pypinyin.
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict, phrases_dict


@cache
def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")  # lǜ -> lv, as typed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def pinyin_variant(term: str) -> str | None:
    """The term in toneless pinyin without spaces, for terms with at least two Han characters."""
    if len(_HAN.findall(term)) < 2:
        return None
    readings = _pinyin_tables()[1].get(term)
    if readings is None:
        return normalise_term("".join(map(_char_pinyin, term)))  # cached per character, not per term
    return normalise_term("".join([_toneless(r[0]) for r in readings]))


@cache
def _char_pinyin(ch: str) -> str:
    reading = _pinyin_tables()[0].get(ord(ch))
    return _toneless(reading.split(",")[0]) if reading else ch


def split_variants(term: str, table: Mapping[str, str], *, max_chars: int) -> Iterator[str]:
    """Each splittable character split on its own, then all of them split at once (terms up to `max_chars`)."""
    if len(term) > max_chars:
        return
    positions = [i for i, ch in enumerate(term) if ch in table][:MAX_SPLIT_POSITIONS]
    for i in positions:
        yield term[:i] + table[term[i]] + term[i + 1 :]
    if len(positions) > 1:
        yield "".join(table.get(ch, ch) for ch in term)


def homophone_variants(term: str, table: Mapping[str, Sequence[str]]) -> Iterator[str]:
    """One character at a time replaced by each of its listed homophones."""
    count = 0
    for i, ch in enumerate(term):
        for alt in table.get(ch, ()):
            if count == MAX_VARIANTS_PER_FAMILY:
                return
            count += 1
            yield term[:i] + alt + term[i + 1 :]
