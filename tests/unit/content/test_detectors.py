"""Contact and link detectors: obfuscated hits and ordinary numbers that must not hit."""

from __future__ import annotations

import pytest

from appcomply.content.engine import Category, Level, Lexicon, Verdict, compile_lexicon

ENGINE = compile_lexicon(Lexicon("empty", ()))


def detected(text: str) -> list[tuple[str | None, str, str]]:
    return [(h.detector, h.term, text[h.start : h.end]) for h in ENGINE.screen(text).hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话 13800138000", [("phone", "13800138000", "13800138000")]),
        ("打 1 3 8-0013-8000 找我", [("phone", "13800138000", "1 3 8-0013-8000")]),
        ("①③⑧⓪⓪①③⑧⓪⓪⓪", [("phone", "13800138000", "①③⑧⓪⓪①③⑧⓪⓪⓪")]),
        ("+86 138 0013 8000", [("phone", "13800138000", "138 0013 8000")]),
        ("v❤: abc123", [("wechat", "abc123", "abc123")]),
        ("加微 x123", [("wechat", "x123", "x123")]),
        ("微信号：Hello_2024", [("wechat", "hello", "Hello")]),
        ("qq 12345678", [("qq", "12345678", "12345678")]),
        ("扣扣：1234 5678", [("qq", "12345678", "1234 5678")]),
        ("点 t.cn/A6xyz 领取", [("short_link", "t.cn/a6xyz", "t.cn/A6xyz")]),
        ("看 https://example.com/x?a=1", [("url", "https://example.com/x?a=1", "https://example.com/x?a=1")]),
        ("发 foo@example.com", [("email", "foo@example.com", "foo@example.com")]),
    ],
)
def test_obfuscated_contacts_and_links_are_detected(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert detected(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023-11-29 13:00 见",
        "2023年11月29日",
        "价格 ¥138.00 元，原价 1380 元",
        "订单号 202311291380013800",
        "订单号：1380013800012",
        "时间 13:00-14:00 18:30",
        "电话 12800138000",  # 12x is not a mobile segment
        "very good v 2",
        "好评 5 星",
    ],
)
def test_dates_prices_and_order_numbers_are_not_contacts(text: str) -> None:
    assert ENGINE.screen(text).hits == ()


def test_detector_hits_are_review_level_contact_or_advertising() -> None:
    result = ENGINE.screen("加微 abc123 或看 t.cn/abc")
    assert result.verdict is Verdict.REVIEW
    assert {(h.category, h.level) for h in result.hits} == {
        (Category.CONTACT, Level.REVIEW),
        (Category.ADVERTISING, Level.REVIEW),
    }
