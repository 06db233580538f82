"""Recall on the evasions of issue 12: polyphonic pinyin, pinyin mixed with characters, many-part splits."""

from __future__ import annotations

import pytest

from appcomply.content.engine import Category, CompiledLexicon, Hit, Level, Lexicon, Term, compile_lexicon
from appcomply.content.engine.variants import MAX_VARIANTS_PER_FAMILY, pinyin_variants, reading_table, split_table

ENGINE = compile_lexicon(
    Lexicon(
        "recall-1",
        (
            Term("学生妹", Category.CUSTOM, Level.REVIEW),
            Term("网赌", Category.OBSCENITY_GAMBLING_VIOLENCE),
            Term("长枪短炮", Category.OBSCENITY_GAMBLING_VIOLENCE),
        ),
    )
)


def only_hit(engine: CompiledLexicon, text: str) -> Hit:
    hits = [h for h in engine.screen(text).hits if h.detector is None]
    assert len(hits) == 1, hits
    return hits[0]


def test_characters_without_a_two_part_decomposition_split_into_three_or_more() -> None:
    assert split_table()["学"] == "小冖子"
    assert split_table()["网"] == "冂乂乂"
    hit = only_hit(ENGINE, "我说小冖子生妹。")
    assert (hit.term, hit.start, hit.end, hit.evasions) == ("学生妹", 2, 7, ("split",))
    hit = only_hit(ENGINE, "去冂乂乂赌吗")
    assert (hit.term, hit.start, hit.end, hit.evasions) == ("网赌", 1, 5, ("split",))


def test_a_polyphonic_character_matches_in_each_of_its_common_readings() -> None:
    assert reading_table()["长"] == ("zhang", "chang")
    for text in ("我说zhang qiang duan pao。", "我说changqiangduanpao。", "我说Chang Qiang Duan Pao。"):
        hit = only_hit(ENGINE, text)
        assert (hit.term, hit.start, hit.end) == ("长枪短炮", 2, len(text) - 1)
        assert "pinyin" in hit.evasions


def test_polyphonic_variants_change_one_character_first_and_are_capped() -> None:
    variants = list(pinyin_variants("行重"))  # xing/hang/heng x zhong/chong; not in the phrase table
    assert variants[0] == "xingzhong"
    assert set(variants[1:4]) == {"hangzhong", "hengzhong", "xingchong"}
    assert len(variants) == len(set(variants)) == 6
    assert list(pinyin_variants("行长"))[:2] == ["hangzhang", "xingzhang"]  # the phrase table's reading first
    assert len(list(pinyin_variants("行重行重行重行重"))) == 1 + MAX_VARIANTS_PER_FAMILY


MIXED = compile_lexicon(
    Lexicon(
        "mixed-1",
        (
            Term("法轮功", Category.RELIGION_CULTS_SUPERSTITION),
            Term("大麻", Category.OBSCENITY_GAMBLING_VIOLENCE),
            Term("你好", Category.CUSTOM, Level.REVIEW),
            Term("性感诱惑", Category.OBSCENITY_GAMBLING_VIOLENCE),
            Term("美逼", Category.OBSCENITY_GAMBLING_VIOLENCE),
            Term("银行卡", Category.FRAUD, Level.REVIEW, pinyin=False),
        ),
    )
)


@pytest.mark.parametrize(
    ("text", "term", "span", "evasions"),
    [
        ("我说fa轮gong。", "法轮功", (2, 9), ("pinyin",)),
        ("练法lun功吗", "法轮功", (1, 6), ("pinyin",)),
        ("练falun功吗", "法轮功", (1, 7), ("pinyin",)),
        ("买 DA麻", "大麻", (2, 5), ("case", "pinyin")),
        ("买大 ma", "大麻", (1, 5), ("noise", "pinyin")),
        ("看xinggan诱huo", "性感诱惑", (1, 12), ("pinyin",)),  # a doubled letter: an exact pattern
        ("ｎｉ好呀", "你好", (0, 3), ("width", "pinyin")),
        ("她mei逼", "美逼", (1, 5), ("pinyin",)),
    ],
)
def test_pinyin_mixed_with_characters_in_any_positions_hits_with_the_exact_span(
    text: str, term: str, span: tuple[int, int], evasions: tuple[str, ...]
) -> None:
    hit = only_hit(MIXED, text)
    assert (hit.term, (hit.start, hit.end), hit.evasions) == (term, span, evasions)


@pytest.mark.parametrize(
    "text",
    [
        "I saw a panda麻将 game",  # pandama: da starts inside an English word
        "Adam妈妈来了",
        "Yanni好棒",  # yannihao: ni starts inside a word
        "fa轮gongs",  # the pinyin ends inside a word
        "发轮功 and more",  # characters alone are a homophone, not the term written in pinyin
        "同学叫她Mei比较多",  # meibi: 比 sounds like 逼 but is not the term's character
        "yin行卡",  # a term without pinyin variants
        "hello world, nice to meet you",
    ],
)
def test_latin_words_and_homophones_beside_characters_are_not_hits(text: str) -> None:
    assert MIXED.screen(text).hits == ()
