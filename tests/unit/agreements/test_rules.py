"""Pure rules of the agreements module: clause numbering, hashes, lifecycle, notice period, re-acceptance, diff."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from appcomply.agreements import rules
from appcomply.agreements.rules import DocumentKind, ScheduleProblem, VersionFacts, VersionState

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def test_chinese_article_numbers_become_clause_numbers() -> None:
    body = "# 规则\n\n## 第一章 总则\n第一条 目的。\n第十条 范围\n### 第二十三条 处置\n第一百零五条 附则"
    assert [c.number for c in rules.parse_clauses(body)] == ["1", "10", "23", "105"]
    assert rules.parse_clauses(body)[0].heading == "目的。"


def test_dotted_numbers_and_markdown_headings_are_clauses_but_code_blocks_are_not() -> None:
    body = "1. 范围\n1.1 定义\n## 2. 账号\n2.1.3) 细则\n```\n3. not a clause\n```\n4.\n"
    assert [c.number for c in rules.parse_clauses(body)] == ["1", "1.1", "2", "2.1.3", "4"]


def test_a_repeated_number_keeps_its_first_clause() -> None:
    clauses = rules.parse_clauses("第一条 甲\n1. 乙\n")
    assert [(c.number, c.heading) for c in clauses] == [("1", "甲")]


def test_plain_prose_and_years_are_not_clauses() -> None:
    assert rules.parse_clauses("2026年起施行。\n本规则共十条。\n- 列表项\n") == []


def test_chinese_number_reads_units() -> None:
    assert [rules.chinese_number(t) for t in ("十", "十一", "二十", "九十九", "一百", "两百零三", "12")] == [
        10, 11, 20, 99, 100, 203, 12,
    ]  # fmt: skip


def test_clause_address_names_kind_version_and_clause() -> None:
    assert rules.clause_address(DocumentKind.MANAGEMENT_RULES, "", 3, "5") == "management_rules/3/5"
    assert rules.clause_address(DocumentKind.CUSTOM, "live", 1, "2.1") == "custom:live/1/2.1"


def test_the_hash_is_over_the_exact_utf8_text() -> None:
    assert rules.text_sha256("协议") == hashlib.sha256("协议".encode()).hexdigest()
    assert rules.text_sha256("协议") != rules.text_sha256("协议\n")


def test_custom_documents_need_a_slug_and_others_have_none() -> None:
    assert rules.slug_problem(DocumentKind.CUSTOM, "live-rules") is None
    assert rules.slug_problem(DocumentKind.CUSTOM, "") is not None
    assert rules.slug_problem(DocumentKind.CUSTOM, "Bad Slug") is not None
    assert rules.slug_problem(DocumentKind.USER_AGREEMENT, "x") is not None
    assert rules.kind_path(DocumentKind.USER_AGREEMENT) == "user_agreement"


def _v(number: int, effective: dt.datetime | None, *, published: bool = True, material: bool = False) -> VersionFacts:
    return VersionFacts(number=number, published=published, effective_at=effective, material=material)


def test_states_are_computed_from_effective_times() -> None:
    versions = [_v(1, NOW - 9 * DAY), _v(2, NOW - DAY), _v(3, NOW + 8 * DAY), _v(4, None, published=False)]
    assert rules.states(versions, NOW) == {
        1: VersionState.SUPERSEDED,
        2: VersionState.IN_FORCE,
        3: VersionState.SCHEDULED,
        4: VersionState.DRAFT,
    }
    # Time passes: the scheduled version takes over without any job writing anything.
    later = rules.states(versions, NOW + 8 * DAY)
    assert (later[2], later[3]) == (VersionState.SUPERSEDED, VersionState.IN_FORCE)


def test_only_drafts_are_editable_and_only_live_versions_acceptable() -> None:
    assert [s for s in VersionState if rules.is_editable(s)] == [VersionState.DRAFT]
    assert {s for s in VersionState if rules.is_acceptable(s)} == {VersionState.IN_FORCE, VersionState.SCHEDULED}


@pytest.mark.parametrize(
    ("effective", "material", "latest", "expected"),
    [
        (None, False, None, ScheduleProblem.NO_EFFECTIVE_DATE),
        (NOW - DAY, False, None, ScheduleProblem.IN_THE_PAST),
        (NOW - rules.PAST_GRACE, False, None, None),  # "now", typed a moment ago
        (NOW + 6 * DAY, True, None, ScheduleProblem.NOTICE_PERIOD),
        (NOW + 7 * DAY, True, None, None),
        (NOW, False, None, None),
        (NOW + DAY, False, NOW + 2 * DAY, ScheduleProblem.OUT_OF_ORDER),
    ],
)
def test_schedule_problems(
    effective: dt.datetime | None, material: bool, latest: dt.datetime | None, expected: ScheduleProblem | None
) -> None:
    found = rules.schedule_problem(
        effective_at=effective, material=material, now=NOW, notice_days=7, latest_effective=latest
    )
    assert found == expected


def test_only_material_changes_ask_for_acceptance_again() -> None:
    first, minor, major = _v(1, NOW - 9 * DAY), _v(2, NOW - 5 * DAY), _v(3, NOW - DAY, material=True)
    assert rules.required_number([], NOW) is None
    assert rules.required_number([first, minor], NOW) == 1
    assert rules.required_number([first, minor, major], NOW) == 3
    assert rules.required_number([first, _v(2, NOW + DAY, material=True)], NOW) == 1  # not yet in force
    assert rules.is_satisfied(1, [1])
    assert rules.is_satisfied(None, [])
    assert not rules.is_satisfied(3, [1, 2])


def test_ip_addresses_are_masked() -> None:
    assert rules.mask_ip("203.0.113.7") == "203.0.113.*"
    assert rules.mask_ip("2001:db8:1:2::1") == "2001:db8:1::*"


def test_user_agents_are_truncated() -> None:
    assert len(rules.truncate_user_agent("x" * 1000)) == rules.USER_AGENT_MAX


def test_the_diff_marks_insertions_and_deletions_and_escapes_text() -> None:
    out = rules.diff_html("第一条 甲\n第二条 <b>乙</b>\n", "第一条 甲\n第二条 丙\n第三条 丁\n")
    assert "<del>第二条 &lt;b&gt;乙&lt;/b&gt;</del>" in out
    assert "<ins>第二条 丙</ins>" in out
    assert "<ins>第三条 丁</ins>" in out
    assert "<span>第一条 甲</span>" in out
    assert "<b>" not in out
    assert rules.diff_html("a\n\nb", "a\n\nc").count("&nbsp;") == 1
