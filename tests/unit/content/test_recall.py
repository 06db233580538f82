"""Recall on the evasions of issue 12: polyphonic pinyin, pinyin mixed with characters, many-part splits."""

from __future__ import annotations

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
