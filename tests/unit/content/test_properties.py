"""Properties: offsets always map inside the original text, evidence is in the span, allow-lists always win."""
# The span's ends must be the evidence's ends (stretched repeats of the last character are part of the span).

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from appcomply.content.engine import Category, Level, Lexicon, Term, Verdict, compile_lexicon
from appcomply.content.engine.normalise import normalise_term

ENGINE = compile_lexicon(
    Lexicon(
        "prop",
        (
            Term("大麻", Category.OBSCENITY_GAMBLING_VIOLENCE),
            Term("麻烦", Category.CUSTOM, Level.REVIEW),
            Term("敏感词", Category.CUSTOM, Level.REVIEW),
            Term("哈哈", Category.CUSTOM, Level.REVIEW),
            Term("法轮功", Category.CUSTOM),
            Term("ab", Category.CUSTOM, Level.REVIEW),
        ),
        allow=("大麻烦", "大麻烦事"),
    )
)
ALPHABET = st.sampled_from(list("大麻烦敏感词哈法轮功你好aAbB１２3 .*\u200b，。😀\u0301輪ｆ亻尔"))
TEXTS = st.text(ALPHABET, max_size=40) | st.text(max_size=40)  # biased towards near-hits, plus any unicode
NOISE = st.text(st.sampled_from(list(" .*-_\u200b\u200d，。！😀❤\u0301")), max_size=3)


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


@settings(max_examples=400)
@given(TEXTS, st.sampled_from([None, "post", "comment"]))
def test_every_hit_maps_inside_the_text_and_its_span_contains_the_evidence(text: str, kind: str | None) -> None:
    result = ENGINE.screen(text, kind)
    for hit in result.hits:
        assert 0 <= hit.start < hit.end <= len(text)
        span = normalise_term(text[hit.start : hit.end])
        assert is_subsequence(hit.evidence, span)
        assert (span[0], span[-1]) == (hit.evidence[0], hit.evidence[-1])  # tight: no extra characters around it


@settings(max_examples=400)
@given(TEXTS)
def test_verdict_is_consistent_with_hits(text: str) -> None:
    result = ENGINE.screen(text)
    if not result.hits:
        assert result.verdict is Verdict.PASS_
    elif any(h.level is Level.BLOCK for h in result.hits):
        assert result.verdict is Verdict.BLOCK
    else:
        assert result.verdict is Verdict.REVIEW


@settings(max_examples=400)
@given(TEXTS, st.lists(NOISE, min_size=3, max_size=3), TEXTS)
def test_allow_phrase_always_wins_over_terms_inside_it(before: str, noise: list[str], after: str) -> None:
    phrase = "大" + noise[0] + "麻" + noise[1] + "烦"
    text = before + noise[2] + phrase + noise[2] + after
    start = len(before) + len(noise[2])
    end = start + len(phrase)
    for hit in ENGINE.screen(text).hits:
        assert not (start <= hit.start and hit.end <= end), hit
