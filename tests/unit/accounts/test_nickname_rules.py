"""Nickname policy: protected terms are found through evasions, ordinary names pass, organisations may use theirs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appcomply.accounts import rules

SEPARATORS = [" ", "\u3000", "·", "-", "_", ".", "*", "|", "/", "\u200b", "\u200d", "\ufeff", "★", "\u3164", "\u0336"]


@given(st.sampled_from(rules.load_protected_terms()), st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=6),
       st.booleans())  # fmt: skip
def test_separators_and_invisible_characters_do_not_hide_a_protected_term(
    term: rules.ProtectedTerm, separators: list[str], full_width: bool
) -> None:
    spelled = "".join(c + separators[i % len(separators)] for i, c in enumerate(term.term))
    if full_width:
        spelled = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in spelled)
    nickname = spelled + "官方号"
    assert rules.Hit(term.term, term.category) in rules.impersonation_hits(nickname)


@pytest.mark.parametrize(
    ("nickname", "terms"),
    [
        ("中 国 日 报", ["中国", "日报"]),
        ("ＣＣＴＶ新闻", ["新闻", "cctv"]),
        ("⼈⺠⽇报", ["日报"]),
        ("中國日報", ["中國", "日報"]),
        ("北京市公安局", ["公安"]),
        ("国务院客服", ["国务院"]),
    ],
)
def test_impersonating_nicknames_are_reported_with_their_terms(nickname: str, terms: list[str]) -> None:
    assert sorted(hit.term for hit in rules.impersonation_hits(nickname)) == sorted(terms)


ORDINARY_NICKNAMES = [
    "小明同学", "快乐的鱼", "阳光男孩", "爱吃火锅的猫", "晴天", "Tom_Lee", "北京吃货", "上海小笼包", "风之子",
    "一只小企鹅", "追梦人2024", "李白的酒", "月光下的舞者", "简单生活", "程序员老张", "奶茶续命", "喜欢旅行的人",
    "深夜食堂", "国风少女", "我爱中国",
]  # fmt: skip


@pytest.mark.parametrize("nickname", ORDINARY_NICKNAMES)
def test_ordinary_nicknames_are_not_flagged(nickname: str) -> None:
    assert rules.impersonation_hits(nickname) == []


def test_a_state_word_counts_only_at_the_start_of_a_name() -> None:
    assert rules.impersonation_hits("中国移动客服") == [rules.Hit("中国", "state_word")]
    assert rules.impersonation_hits("我爱中国") == []


def test_operator_terms_are_matched_as_the_packaged_ones() -> None:
    extra = [rules.ProtectedTerm(term="腾讯", category="enterprise")]
    assert rules.impersonation_hits("腾 讯 客 服", extra_terms=extra) == [rules.Hit("腾讯", "enterprise")]


def test_the_packaged_list_is_modest_and_every_term_has_a_declared_category() -> None:
    terms = rules.load_protected_terms()
    assert 40 <= len(terms) <= 80
    assert len({t.term for t in terms}) == len(terms)
    with pytest.raises(ValueError, match="undeclared category"):
        rules.parse_protected_terms({"categories": {}, "terms": [{"term": "国务院", "category": "x"}]})
    with pytest.raises(ValueError, match="letters or digits"):
        rules.parse_protected_terms({"categories": {"x": ""}, "terms": [{"term": " · ", "category": "x"}]})


def test_an_organisation_may_use_the_terms_in_its_own_verified_name() -> None:
    hits = rules.impersonation_hits("人民日报")
    assert hits
    assert rules.allowed_for_organisation(hits, "人民日报社")
    assert not rules.allowed_for_organisation(hits, "某某科技有限公司")
    assert not rules.allowed_for_organisation(hits, None)
