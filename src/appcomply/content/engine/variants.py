"""Term variants generated when a lexicon is compiled: pinyin, split characters and homophones.

Screening never calls pypinyin: every variant is just another pattern in the automaton (text mixing pinyin
and characters is transliterated with the packaged reading table instead, see transliterate.py). Pinyin is
generated without spaces only, because spaces are noise and are removed from the text before matching,
so `fa lun gong` and `falungong` are the same input. Initials (`flg`) are not generated: three or four
Latin letters match too much ordinary text to be worth it by default. Readings come from pypinyin's
phrase table (the whole term) and the packaged per-character table built from its pinyin_dict, not from
`lazy_pinyin`, which costs ~100 µs a term and would take 10 s for 100k terms.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib.resources import files
from importlib.util import find_spec
from itertools import combinations, product
from pathlib import Path
from typing import Final

from appcomply.content.engine.normalise import normalise_term

PINYIN: Final = "pinyin"
SPLIT: Final = "split"
HOMOPHONE: Final = "homophone"
MAX_VARIANTS_PER_FAMILY: Final = 8
POLYPHONIC_MAX_BIG: Final = 2
"""For lexicons over SPLIT_ALL_MAX_TERMS terms, pinyin variants per term with other readings of polyphonic
characters (beside the first form). Measured: on konsheng's 51k terms 8 add 20.7k patterns (+17 %), 2 add 13.5k,
1 adds 9.9k; on the default lexicon's polyphonic evasions 2 keep recall at 47/47, 1 drops it to 43/47."""
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
def reading_table() -> dict[str, tuple[str, ...]]:
    """CJK character → toneless pinyin readings: pypinyin's first, then its other common ones (data/pinyin.txt)."""
    text = (files("appcomply.content.engine") / "data" / "pinyin.txt").read_text(encoding="utf-8")
    return {line[0]: tuple(line[2:].split(",")) for line in text.splitlines()}


@cache
def _phrases() -> dict[str, tuple[str, ...]]:
    """pypinyin's phrase table: each phrase's first reading of every character, toneless.

    Compile time only; a loaded compiled lexicon never imports pypinyin. Read from pypinyin's own JSON file
    without importing the package: `import pypinyin` keeps the table as nested lists (~50 MB for 47k phrases,
    most of a 100k-term compile's memory besides the automaton); tuples of shared syllables take a few MB.
    """
    spec = find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - a required dependency
        raise ModuleNotFoundError("pypinyin")
    root = Path(next(iter(spec.submodule_search_locations)))
    phrases = json.loads((root / "phrases_dict.json").read_text(encoding="utf-8"))
    return {phrase: tuple(_toneless(r[0]) for r in readings) for phrase, readings in phrases.items()}


@cache
def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")  # lǜ -> lv, as typed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def pinyin_variant(term: str) -> str | None:
    """The term in toneless pinyin without spaces, for terms with at least two Han characters."""
    return next(pinyin_variants(term, limit=0), None)


def pinyin_variants(term: str, *, limit: int = MAX_VARIANTS_PER_FAMILY) -> Iterator[str]:
    """The term's pinyin (`pinyin_variant`), then up to `limit` more with polyphonic characters read otherwise.

    The first form reads the whole term from pypinyin's phrase table, else each character by its first
    reading. The others put the characters' other common readings in (行 as xing, hang and heng): one
    character changed at a time first, then two and so on, because an evader usually changes one and
    every variant is an automaton pattern. Terms with fewer than two Han characters have none.
    """
    if len(_HAN.findall(term)) < 2:
        return
    table = reading_table()
    readings = [table.get(ch, (ch,)) for ch in term]
    phrase = _phrases().get(term)
    primary = list(phrase) if phrase else [r[0] for r in readings]
    first = normalise_term("".join(primary))
    yield first
    # Most characters have one reading, the primary one: skip them without building a list (100k terms: -0.1 s).
    others = [
        (i, alts)
        for i, rs in enumerate(readings)
        if len(rs) > 1 or rs[0] != primary[i]
        if (alts := _alts(rs, primary[i]))
    ]
    seen, count = {first}, 0
    for i, alts in others:  # one character changed, as below but without combinations: most terms need no more
        for pick in alts:
            if count >= limit:
                return
            syllables = primary.copy()
            syllables[i] = pick
            if (form := normalise_term("".join(syllables))) not in seen:
                seen.add(form)
                count += 1
                yield form
    for changed in range(2, len(others) + 1):
        for chosen in combinations(others, changed):
            for picks in product(*(alts for _, alts in chosen)):
                if count >= limit:
                    return
                syllables = list(primary)
                for (i, _), pick in zip(chosen, picks, strict=True):
                    syllables[i] = pick
                if (form := normalise_term("".join(syllables))) not in seen:
                    seen.add(form)
                    count += 1
                    yield form


def _alts(readings: tuple[str, ...], primary: str) -> list[str]:
    return [r for r in readings if r != primary]


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
