"""Attachments of a report: decoded, sniffed by content (never by name), size-limited, stored as bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Final

import filetype

from appcomply.vulnerabilities.errors import AttachmentRejected, AttachmentTooLarge

# What a reporter reasonably sends: screenshots, a recording, a PDF write-up, a text or a zipped proof of concept.
# Anything else (executables, office macros, HTML) is refused: attachments are evidence, not something to open.
ALLOWED: Final = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "application/zip", "video/mp4"}
)
TEXT: Final = "text/plain"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes
    media_type: str
    sha256: str


def decode(filename: str, content_base64: str, *, max_bytes: int) -> Upload:
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise AttachmentRejected("attachment content is not valid base64", filename=safe_name(filename)) from None
    return check(filename, content, max_bytes=max_bytes)


def check(filename: str, content: bytes, *, max_bytes: int) -> Upload:
    """AttachmentRejected (empty, unknown or unsafe type), AttachmentTooLarge (over the limit)."""
    name = safe_name(filename)
    if not content:
        raise AttachmentRejected("attachment is empty", filename=name)
    if len(content) > max_bytes:
        raise AttachmentTooLarge(f"attachment {name!r} is larger than {max_bytes} bytes", limit=max_bytes)
    media_type = sniff(content)
    if media_type is None:
        raise AttachmentRejected(
            f"attachment {name!r} is not an accepted type (PNG, JPEG, GIF, WebP, PDF, ZIP, MP4 or UTF-8 text)",
            filename=name,
        )
    return Upload(filename=name, content=content, media_type=media_type, sha256=hashlib.sha256(content).hexdigest())


def sniff(content: bytes) -> str | None:
    kind = filetype.guess(content)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED else None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT if "\x00" not in text else None


def safe_name(filename: str) -> str:
    """The name to show and to offer on download: no path, no control characters, at most 200 characters."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", filename))[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .") or "attachment"
    return cleaned[:200]
