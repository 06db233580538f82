"""Screening behaviour per evasion family, with exact original spans; allow-lists, repeats, scopes, verdicts."""

from __future__ import annotations

import pytest

from appcomply.content.engine import Category, Hit, Level, Lexicon, Term, Verdict, compile_lexicon

LEXICON = Lexicon(
    "test-1",
    (
        Term("大麻", Category.OBSCENITY_GAMBLING_VIOLENCE),
        Term("敏感词", Category.CUSTOM, Level.REVIEW),
        Term("法轮功", Category.RELIGION_CULTS_SUPERSTITION),
        Term("哈哈", Category.VULGAR, Level.REVIEW),
        Term("你好", Category.CUSTOM, Level.REVIEW),
        Term("代开发票", Category.FRAUD, Level.REVIEW, scopes=frozenset({"listing"})),
        Term("sm", Category.SEXUAL_INNUENDO, Level.REVIEW),
        Term("宝宝", Category.CUSTOM, Level.REVIEW, stretch=False),
        Term("宝贝", Category.CUSTOM, Level.REVIEW, stretch=False),
    ),
    allow=("大麻烦",),
)
ENGINE = compile_lexicon(LEXICON)


def only_hit(text: str, kind: str | None = None) -> Hit:
    hits = [h for h in ENGINE.screen(text, kind).hits if h.detector is None]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize(
    ("text", "span", "evasions"),
    [
        ("买大麻吗", (1, 3), ()),
        ("这是敏*感 词吧", (2, 7), ("noise",)),
        ("敏.感.词", (0, 5), ("noise",)),
        ("敏\u200b感\u200d词", (0, 5), ("noise",)),
        ("说敏😀感🔥词", (1, 6), ("noise",)),
        ("敏\u0301感词", (0, 4), ("noise",)),
        ("法輪功", (0, 3), ("traditional",)),
        ("看看敏敏敏感感词呀", (2, 8), ("repeat",)),
    ],
)
def test_each_evasion_family_is_matched_with_its_exact_original_span(
    text: str, span: tuple[int, int], evasions: tuple[str, ...]
) -> None:
    hit = only_hit(text)
    assert (hit.start, hit.end) == span
    assert hit.evasions == evasions


def test_width_and_case_are_folded_for_latin_terms() -> None:
    hit = only_hit("玩 ＳＭ 吗")
    assert (hit.start, hit.end, hit.evidence) == (2, 4, "sm")
    assert hit.evasions == ("width",)
    assert only_hit("玩 SM 吗").evasions == ("case",)


def test_latin_terms_match_only_as_whole_words() -> None:
    assert ENGINE.screen("small is more").hits == ()
    assert ENGINE.screen("is more").verdict is Verdict.PASS_


def test_confusable_digits_and_letters_are_folded() -> None:
    hit = only_hit("玩 ѕｍ 吗")  # Cyrillic dze, full-width m
    assert "confusable" in hit.evasions


def test_pinyin_with_and_without_spaces_hits_the_term() -> None:
    for text in ("我练falungong", "我练 Fa Lun Gong!", "fa-lun-gong"):
        hit = only_hit(text)
        assert hit.term == "法轮功"
        assert "pinyin" in hit.evasions
        assert hit.evidence == "falungong"


def test_split_character_forms_hit_the_term() -> None:
    hit = only_hit("亻尔好呀")
    assert (hit.term, hit.start, hit.end) == ("你好", 0, 3)
    assert "split" in hit.evasions
    assert only_hit("法车仑功").term == "法轮功"


def test_homophone_table_adds_variants() -> None:
    engine = compile_lexicon(LEXICON, homophones={"麻": ["马", "蔴"]})
    hits = engine.screen("买大马").hits
    assert [(h.term, h.start, h.end, h.evasions) for h in hits] == [("大麻", 1, 3, ("homophone",))]


def test_allow_list_phrase_wins_over_a_term_inside_it() -> None:
    assert ENGINE.screen("今天真是大麻烦").verdict is Verdict.PASS_
    assert ENGINE.screen("大 麻 烦").verdict is Verdict.PASS_
    assert ENGINE.screen("大大麻麻烦烦").verdict is Verdict.PASS_
    assert ENGINE.screen("大麻烦，买大麻").hits[0].start == 5


def test_repeats_never_break_terms_that_contain_repeats() -> None:
    hits = ENGINE.screen("哈哈哈哈").hits
    assert [(h.start, h.end) for h in hits] == [(0, 2), (2, 4)]
    assert ENGINE.screen("哈").hits == ()
    assert ENGINE.screen("哈，哈").hits[0].term == "哈哈"


def test_stretching_is_not_matched_for_a_term_that_disallows_it() -> None:
    assert ENGINE.screen("宝宝").verdict is Verdict.REVIEW
    assert ENGINE.screen("宝").verdict is Verdict.PASS_


def test_a_term_that_disallows_stretching_still_matches_exactly_in_text_with_repeats() -> None:
    assert [(h.start, h.end) for h in ENGINE.screen("宝贝").hits] == [(0, 2)]
    assert [(h.start, h.end, h.evasions) for h in ENGINE.screen("好好的宝贝").hits] == [(3, 5, ())]
    assert [(h.term, h.start, h.end) for h in ENGINE.screen("宝宝贝").hits] == [("宝宝", 0, 2), ("宝贝", 1, 3)]
    assert [(h.term, h.start, h.end) for h in ENGINE.screen("宝贝贝").hits] == [("宝贝", 0, 2)]  # not stretched


def test_scoped_term_applies_only_to_its_content_kind() -> None:
    assert ENGINE.screen("专业代开发票", "listing").verdict is Verdict.REVIEW
    assert ENGINE.screen("专业代开发票", "comment").verdict is Verdict.PASS_
    assert ENGINE.screen("专业代开发票").verdict is Verdict.PASS_


def test_verdict_is_block_when_any_hit_blocks() -> None:
    result = ENGINE.screen("你好，买大麻")
    assert result.verdict is Verdict.BLOCK
    assert [h.term for h in result.hits] == ["你好", "大麻"]
    assert ENGINE.screen("你好").verdict is Verdict.REVIEW
    assert ENGINE.screen("今天天气不错").verdict is Verdict.PASS_


def test_plain_hit_reports_no_evasion_and_its_evidence() -> None:
    hit = only_hit("买大麻")
    assert hit == Hit("大麻", Category.OBSCENITY_GAMBLING_VIOLENCE, Level.BLOCK, 1, 3, "大麻", ())


def test_compiled_lexicon_reports_its_size() -> None:
    assert ENGINE.version == "test-1"
    assert ENGINE.term_count == len(LEXICON.terms)
    assert ENGINE.variant_count > ENGINE.term_count  # pinyin and split variants


def test_empty_and_noise_only_texts_pass() -> None:
    assert ENGINE.screen("").verdict is Verdict.PASS_
    assert ENGINE.screen("，。！ \u200b").verdict is Verdict.PASS_
