"""Pure rules of the content module around the engine: the content kinds screened and the request limits."""

from __future__ import annotations

import enum
import re

MAX_SCREEN_CHARS = 10_000  # longer texts are refused with 413: split them, or submit them as content items
MAX_TERM_CHARS = 50
MAX_IMPORT_LINES = 20_000


class ContentKind(enum.StrEnum):
    """What a text is, so a term can be scoped to some kinds (a contact detail is fine in a private message to a
    merchant, not in a nickname)."""

    NICKNAME = "nickname"
    PROFILE = "profile"
    POST = "post"
    COMMENT = "comment"
    MESSAGE = "message"
    LIVE_COMMENT = "live_comment"
    LISTING = "listing"
    OTHER = "other"


def term_problem(text: str) -> str | None:
    """Why a term cannot be stored, or None. The engine normalises; here only what no normalisation can fix."""
    stripped = text.strip()
    if not stripped:
        return "a term cannot be empty"
    if len(stripped) > MAX_TERM_CHARS:
        return f"a term has at most {MAX_TERM_CHARS} characters"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in stripped):
        return "a term cannot contain control characters"
    return None


_LONG_DIGITS = re.compile(r"\d{7,}")


def audit_text(text: str) -> str:
    """A term as the audit log may hold it: a lexicon may deny a fraudster's phone or an ID number, but the audit
    log never holds one in clear, so every run of seven or more digits keeps only its first 3 and last 4."""
    return _LONG_DIGITS.sub(lambda m: f"{m.group()[:3]}{'*' * (len(m.group()) - 7)}{m.group()[-4:]}", text)
