"""security.txt (RFC 9116): where and how to report a vulnerability, rendered from settings and the app."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Final

_URI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@dataclass(frozen=True, slots=True)
class SecurityTxt:
    """The fields of RFC 9116 §2.5 that we publish. Contact and Expires are required; the rest may be empty."""

    contacts: tuple[str, ...]
    expires: dt.datetime
    policy: tuple[str, ...] = ()
    preferred_languages: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    encryption: tuple[str, ...] = ()
    acknowledgments: tuple[str, ...] = ()
    hiring: tuple[str, ...] = ()
    csaf: tuple[str, ...] = ()  # CSAF 2.0 §7.1.8: provider-metadata.json URLs (a field of the IANA registry)
    comment: tuple[str, ...] = field(default=())


def render_security_txt(doc: SecurityTxt, *, now: dt.datetime) -> str:
    """The file's text. ValueError for what RFC 9116 forbids: no contact, a value that is not a URI (a bare e-mail
    address is not: it needs mailto:), a web URI that is not https (§2.5: "MUST begin with https://"), or an
    Expires not after `now` (§2.5.5)."""
    if not doc.contacts:
        raise ValueError("security.txt needs at least one Contact (RFC 9116 §2.5.3)")
    for uri in (
        *doc.contacts,
        *doc.policy,
        *doc.canonical,
        *doc.encryption,
        *doc.acknowledgments,
        *doc.hiring,
        *doc.csaf,
    ):
        if not _URI.match(uri):
            raise ValueError(f"every security.txt value is a URI (mailto:, https:, tel:, …): {uri!r}")
        if uri.lower().startswith("http:"):
            raise ValueError(f"a web URI in security.txt must begin with https:// (RFC 9116 §2.5): {uri!r}")
    if doc.expires <= now:
        raise ValueError("Expires must lie in the future (RFC 9116 §2.5.5)")
    lines = [f"# {line}" for line in doc.comment]
    lines += [f"Contact: {c}" for c in doc.contacts]
    lines.append(f"Expires: {doc.expires.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    lines += [f"Encryption: {u}" for u in doc.encryption]
    lines += [f"Acknowledgments: {u}" for u in doc.acknowledgments]
    if doc.preferred_languages:
        lines.append(f"Preferred-Languages: {', '.join(doc.preferred_languages)}")
    lines += [f"Canonical: {u}" for u in doc.canonical]
    lines += [f"Policy: {u}" for u in doc.policy]
    lines += [f"Hiring: {u}" for u in doc.hiring]
    lines += [f"CSAF: {u}" for u in doc.csaf]
    return "\n".join(lines) + "\n"
