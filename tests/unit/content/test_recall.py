"""Recall on the evasions of issue 12: polyphonic pinyin, pinyin mixed with characters, many-part splits."""

from __future__ import annotations

from appcomply.content.engine import Category, CompiledLexicon, Hit, Level, Lexicon, Term, compile_lexicon
from appcomply.content.engine.variants import split_table

ENGINE = compile_lexicon(
    Lexicon(
        "recall-1",
        (
            Term("学生妹", Category.CUSTOM, Level.REVIEW),
            Term("网赌", Category.OBSCENITY_GAMBLING_VIOLENCE),
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
