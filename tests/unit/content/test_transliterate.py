"""Properties of the transliteration behind mixed pinyin: offsets map back inside the text, and texts without
an ASCII letter screen exactly as before."""

from __future__ import annotations

import dataclasses
import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from appcomply.content.engine import Category, Level, Lexicon, Term, compile_lexicon
from appcomply.content.engine.normalise import collapse, fold, strip
from appcomply.content.engine.transliterate import (
    _is_syllables,
    _py_windows,
    _syllables,
    _windows,
    may_mix,
    mixed_matches,
    transliterate,
)
from appcomply.content.engine.variants import reading_table

TERMS = (
    Term("法轮功", Category.RELIGION_CULTS_SUPERSTITION),
    Term("大麻", Category.OBSCENITY_GAMBLING_VIOLENCE),
    Term("行长", Category.CUSTOM, Level.REVIEW),
    Term("哈哈", Category.CUSTOM, Level.REVIEW),
    Term("宝贝", Category.CUSTOM, Level.REVIEW, stretch=False),
)
WITH_PINYIN = compile_lexicon(Lexicon("mixed", TERMS))
WITHOUT_PINYIN = compile_lexicon(Lexicon("plain", tuple(dataclasses.replace(t, pinyin=False) for t in TERMS)))
ALPHABET = st.sampled_from(list("法轮功大麻行长哈宝贝发马银fagonlumdaxinhbeoAＦ１2 .*\u200b，。😀輪亻尔"))
TEXTS = st.text(ALPHABET, max_size=30) | st.text(max_size=30)
NO_LETTERS = st.text(
    st.sampled_from(list("法轮功大麻行长哈宝贝发马银１2 .*\u200b，。😀輪亻尔")), max_size=30
) | st.text(st.characters(blacklist_categories=("Cs", "Lu", "Ll", "Lt", "Lm")), max_size=30)


@settings(max_examples=300)
@given(TEXTS)
def test_every_transliterated_piece_maps_back_to_one_character_of_the_text(text: str) -> None:
    out, starts = transliterate(text)
    assert len(starts) == len(text) + 1
    assert starts[0] == 0
    assert starts[-1] == len(out)
    for k, ch in enumerate(text):
        assert starts[k] < starts[k + 1]  # every character leaves a non-empty piece
        assert out[starts[k] : starts[k + 1]] == reading_table().get(ch, (ch,))[0]


@settings(max_examples=300)
@given(TEXTS)
def test_mixed_matches_lie_inside_the_text_and_mix_letters_with_other_characters(text: str) -> None:
    normalised = collapse(strip(text))
    pinyin = WITH_PINYIN._latin.automaton  # the automaton of the patterns with ASCII letters
    for _, start, end in mixed_matches(normalised, (pinyin, lambda _, __: True))[0]:
        assert 0 <= start < end <= len(normalised)
        span = normalised[start:end]
        assert re.search("[a-z]", span)
        assert not span.isascii()


@settings(max_examples=300)
@given(TEXTS)
def test_hits_of_mixed_text_map_inside_the_original_text(text: str) -> None:
    for hit in WITH_PINYIN.screen(text).hits:
        assert 0 <= hit.start < hit.end <= len(text)


@settings(max_examples=400)
@given(NO_LETTERS)
def test_texts_without_an_ascii_letter_screen_as_without_pinyin_variants(text: str) -> None:
    assume(re.search("[a-z]", fold(text)) is None)
    assert not may_mix(collapse(strip(text)))
    assert WITH_PINYIN.screen(text) == WITHOUT_PINYIN.screen(text)


@given(st.lists(st.sampled_from(sorted(_syllables())), min_size=1, max_size=12))
def test_any_sequence_of_syllables_is_recognised_as_pinyin(syllables: list[str]) -> None:
    assert _is_syllables("".join(syllables))


def test_letter_runs_that_are_not_pinyin_are_not_searched() -> None:
    assert [_is_syllables(run) for run in ("hhh", "hello", "ok", "falungong", "nba")] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert _windows("看hhh比赛") == []
    assert _windows("一二三四五六七八九十fa轮gong一二三四五六七八九十") == [(2, 25)]


@settings(max_examples=400)
@given(TEXTS | st.text(st.sampled_from(list("zhuangfalungongxinhao 中文")), max_size=60))
def test_native_and_python_windows_agree(text: str) -> None:
    normalised = collapse(strip(text))
    assert _windows(normalised) == _py_windows(normalised)
