"""Contact and link detectors: phones, QQ and WeChat handles, e-mail, URLs and short links, in obfuscated forms.

Phone, QQ and WeChat patterns run on the folded text, where every noise character is NUL, so `1 3 8-0013`,
`①③⑧` and `v❤: abc123` need no extra alternatives. Rules that keep ordinary numbers out:
- a phone is exactly 11 digits `1[3-9]…` (optionally after 86); a digit run that goes on, or that has
  another digit one separator before or after it, is a date, time, price or order number, not a phone;
- a QQ number needs a QQ keyword (`qq`, `扣扣`, `企鹅`, `加q`) right before it;
- a WeChat handle needs a WeChat keyword; the bare `v` keyword also needs a digit in the handle.
URLs and e-mail run on the original text, since their dots and slashes are noise to the fold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from appcomply.content.engine.normalise import NUL

PHONE: Final = "phone"
QQ: Final = "qq"
WECHAT: Final = "wechat"
EMAIL: Final = "email"
URL: Final = "url"
SHORT_LINK: Final = "short_link"

_SEP = "\x00{0,2}"
# Each pattern starts with a literal or a character class so `re` can skip ahead quickly; the
# "not part of a longer number" test on the left is done in Python on the few candidates.
_PHONE: Final = re.compile(rf"1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}(?!\x00?[0-9])")
_QQ: Final = re.compile(
    rf"(?:qq|扣扣|企鹅|加q|q号|q群)(?:号|群)?\x00{{0,3}}([1-9](?:{_SEP}[0-9]){{4,10}})(?!\x00?[0-9])"
)
_WECHAT: Final = re.compile(
    r"(?:微信|威信|薇信|徽信|维信|wechat|weixin|vx|wx|v信|加v|加微|薇)(?:号)?\x00{0,3}([a-z0-9]{4,20})(?![a-z0-9])"
    r"|(?<![a-z0-9])v\x00{1,3}((?=[a-z]*[0-9])[a-z0-9]{4,20})(?![a-z0-9])"
)
_DIGITS: Final = re.compile("[0-9]{5}")
_QQ_AFTER: Final = ("号", "群", *"123456789")
CONTACT_HINTS: Final = (
    *(f"1{d}" for d in "3456789"),  # a phone: 1[3-9]
    *(f"{k}{a}" for k in ("q", "扣") for a in _QQ_AFTER),  # qq / 扣扣 (collapsed), then 号, 群 or the number
    *("企鹅", "v", "wx", "wechat", "weixin", "微信", "威信", "薇信", "徽信", "维信", "薇", "加微"),
)
"""Strings one of which the stripped text (folded, noise removed, repeats collapsed) contains whenever a phone,
QQ or WeChat pattern can match; they ride in the automaton, so other texts skip these regexes."""
_SHORTENERS = (
    r"t\.cn|url\.cn|w\.url\.cn|dwz\.cn|dwz\.mk|suo\.im|bit\.ly|t\.co|tinyurl\.com|is\.gd|goo\.gl|reurl\.cc|qr\.net"
)
_TLDS = r"com|cn|net|org|cc|top|xyz|vip|info|me|io|co|tk|app|shop|site|club|link"
_LINKS: Final = re.compile(
    rf"(?P<short_link>(?:https?://)?(?:{_SHORTENERS})/[a-z0-9_-]+)"
    r"|(?P<email>[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
    rf"|(?P<url>(?:https?://|www\.)[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[!-~]*)?"
    rf"|(?<![a-z0-9.@-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})(?![a-z0-9])(?:/[!-~]*)?)",
    re.IGNORECASE | re.ASCII,
)


_LINK_HINT: Final = re.compile(r"[.@][0-9A-Za-z-]")


def may_link(text: str) -> bool:
    """URLs and e-mail addresses need an ASCII dot or at sign followed by a letter, digit or hyphen."""
    return ("." in text or "@" in text) and _LINK_HINT.search(text) is not None  # `in` first: far cheaper


def detect(text: str, folded: str, stripped: str) -> Iterator[tuple[str, str, int, int]]:
    """Yield `(detector, canonical value, start, end)` with offsets into the original text."""
    if _DIGITS.search(stripped) is not None:
        for m in _PHONE.finditer(folded):
            if not _continues_number(folded, m.start()):
                yield PHONE, m.group().replace(NUL, ""), m.start(), m.end()
        for m in _QQ.finditer(folded):
            yield QQ, m.group(1).replace(NUL, ""), m.start(1), m.end(1)
    if "v" in stripped or "微" in stripped or "信" in stripped:
        for m in _WECHAT.finditer(folded):
            group = 1 if m.group(1) is not None else 2
            yield WECHAT, m.group(group), m.start(group), m.end(group)
    if may_link(text):
        for m in _LINKS.finditer(text):
            yield str(m.lastgroup), m.group().lower(), m.start(), m.end()  # every alternative is a named group


def _continues_number(folded: str, start: int) -> bool:
    """True if digits run on just before `start` (at most one separator), unless they are exactly 86."""
    i = start - 1
    if i >= 0 and folded[i] == NUL:
        i -= 1
    if i < 0 or not folded[i].isdigit():
        return False
    head = i
    while head > 0 and folded[head - 1].isdigit():
        head -= 1
    return folded[head : i + 1] != "86" or (head > 0 and folded[head - 1].isdigit())
