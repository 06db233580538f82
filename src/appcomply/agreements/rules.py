"""Pure rules of published documents: kinds, clause numbering, text hashes, the version lifecycle, notice
periods, what a user must (re-)accept, and readable diffs. No database, no web."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import enum
import hashlib
import html
import ipaddress
import re
from collections.abc import Iterable, Sequence
from typing import Final


class DocumentKind(enum.StrEnum):
    """What a document is for (Art 16; PIPL Arts 14, 17, 31). The value is also its public path."""

    MANAGEMENT_RULES = "management_rules"  # 管理规则
    USER_AGREEMENT = "user_agreement"  # 用户服务协议
    PRIVACY_POLICY = "privacy_policy"  # 个人信息处理规则
    CHILDREN_PI_RULES = "children_pi_rules"  # 儿童个人信息保护规则
    COMMUNITY_CONVENTION = "community_convention"  # 社区公约
    CUSTOM = "custom"  # named by a slug


KIND_TITLES: Final[dict[DocumentKind, tuple[str, str]]] = {
    DocumentKind.MANAGEMENT_RULES: ("管理规则", "Management rules"),
    DocumentKind.USER_AGREEMENT: ("用户服务协议", "User service agreement"),
    DocumentKind.PRIVACY_POLICY: ("个人信息处理规则", "Privacy policy"),
    DocumentKind.CHILDREN_PI_RULES: ("儿童个人信息保护规则", "Children's personal information rules"),
    DocumentKind.COMMUNITY_CONVENTION: ("社区公约", "Community convention"),
    DocumentKind.CUSTOM: ("其他规则", "Other rules"),
}

# The public page of each kind: /p/{app_slug}/{path}; custom documents live under /custom/{slug}.
PUBLIC_PATHS: Final[dict[str, DocumentKind]] = {
    "rules": DocumentKind.MANAGEMENT_RULES,
    "agreement": DocumentKind.USER_AGREEMENT,
    "privacy": DocumentKind.PRIVACY_POLICY,
    "children": DocumentKind.CHILDREN_PI_RULES,
    "convention": DocumentKind.COMMUNITY_CONVENTION,
}


class Language(enum.StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


class VersionState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"


class Channel(enum.StrEnum):
    """Where the user accepted: it must be stated, acceptance is never implied."""

    APP = "app"
    WEB = "web"
    MINI_PROGRAM = "mini_program"
    DESKTOP = "desktop"
    OFFLINE = "offline"  # on paper, at a service counter


DEFAULT_NOTICE_DAYS: Final = 7
DEFAULT_REQUIRED: Final = (DocumentKind.USER_AGREEMENT, DocumentKind.PRIVACY_POLICY)
USER_AGENT_MAX: Final = 255
# "Effective now" typed into a form (minute precision) or computed just before publishing is a few seconds old by
# the time it is checked; within this grace it still counts as now rather than as the past.
PAST_GRACE: Final = dt.timedelta(minutes=5)
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")


def slug_problem(kind: DocumentKind, slug: str) -> str | None:
    """Custom documents need a slug (their public path); the fixed kinds have none."""
    if kind is DocumentKind.CUSTOM:
        return None if _SLUG.fullmatch(slug) else "a custom document needs a slug of 1–40 a-z, 0-9 or '-'"
    return None if slug == "" else "only custom documents have a slug"


def kind_path(kind: DocumentKind, slug: str = "") -> str:
    """`kind` in a clause address: the kind itself, or `custom:{slug}`."""
    return f"custom:{slug}" if kind is DocumentKind.CUSTOM else kind.value


# --- text -----------------------------------------------------------------------------------------------------------


def text_sha256(body: str) -> str:
    """SHA-256 of the exact UTF-8 text: what an acceptance ties the user to."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Clause:
    number: str  # "1", "1.2", or "3" for 第三条
    heading: str  # the line that opens it, without the number
    line: int  # 1-based line in the body


_CN_DIGITS: Final = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS: Final = {"十": 10, "百": 100, "千": 1000}
_ARTICLE = re.compile(r"^\s*(?:#{1,6}\s*)?第([零〇一二两三四五六七八九十百千\d]+)条\s*(.*)$")
_DOTTED = re.compile(r"^\s*(?:#{1,6}\s*)?(\d{1,3}(?:\.\d{1,3}){0,3})[.、)]?\s+(\S.*)$")
_DOTTED_ONLY = re.compile(r"^\s*(?:#{1,6}\s*)?(\d{1,3}(?:\.\d{1,3}){0,3})[.、)]\s*$")


def chinese_number(text: str) -> int:
    """二十三 -> 23, 十 -> 10, 一百零五 -> 105; plain digits pass through."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        else:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
    return total + digit


def parse_clauses(body: str) -> list[Clause]:
    """Numbered clauses in document order: `第一条`, `1.`, `1.2` (optionally as Markdown headings).

    A number seen twice keeps its first clause, so every address names exactly one place.
    """
    found: list[Clause] = []
    seen: set[str] = set()
    in_code = False
    for index, line in enumerate(body.splitlines(), start=1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        clause = None if in_code else _clause(line, index)
        if clause is not None and clause.number not in seen:
            seen.add(clause.number)
            found.append(clause)
    return found


def _clause(line: str, index: int) -> Clause | None:
    if match := _ARTICLE.match(line):
        return Clause(str(chinese_number(match.group(1))), match.group(2).strip(), index)
    if match := _DOTTED.match(line):
        return Clause(match.group(1), match.group(2).strip(), index)
    if match := _DOTTED_ONLY.match(line):
        return Clause(match.group(1), "", index)
    return None


def clause_address(kind: DocumentKind, slug: str, version: int, clause: str) -> str:
    """`{kind}/{version}/{clause}`: how other modules cite a rule (a sanction names the clause broken)."""
    return f"{kind_path(kind, slug)}/{version}/{clause}"


# --- lifecycle ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class VersionFacts:
    number: int
    published: bool
    effective_at: dt.datetime | None
    material: bool


def states(versions: Sequence[VersionFacts], now: dt.datetime) -> dict[int, VersionState]:
    """Each version's state, computed rather than stored, so no job has to flip it at the effective time.

    Published versions with `effective_at <= now` have taken effect: the latest of them is in force and the
    earlier ones are superseded. Published versions still ahead are scheduled; the rest are drafts.
    """
    effective = sorted(
        (v for v in versions if v.published and v.effective_at is not None and v.effective_at <= now),
        key=lambda v: (v.effective_at, v.number),
    )
    current = effective[-1].number if effective else None
    out: dict[int, VersionState] = {}
    for v in versions:
        if not v.published:
            out[v.number] = VersionState.DRAFT
        elif v.number == current:
            out[v.number] = VersionState.IN_FORCE
        elif v.effective_at is not None and v.effective_at <= now:
            out[v.number] = VersionState.SUPERSEDED
        else:
            out[v.number] = VersionState.SCHEDULED
    return out


def is_editable(state: VersionState) -> bool:
    """Only drafts change; a published version is the record of what users were shown."""
    return state is VersionState.DRAFT


def is_acceptable(state: VersionState) -> bool:
    """A user accepts the version in force, or one already scheduled (agreeing ahead of its date)."""
    return state in (VersionState.IN_FORCE, VersionState.SCHEDULED)


class ScheduleProblem(enum.StrEnum):
    NO_EFFECTIVE_DATE = "no_effective_date"
    IN_THE_PAST = "in_the_past"
    NOTICE_PERIOD = "notice_period"
    OUT_OF_ORDER = "out_of_order"


def schedule_problem(
    *,
    effective_at: dt.datetime | None,
    material: bool,
    now: dt.datetime,
    notice_days: int,
    latest_effective: dt.datetime | None,
) -> ScheduleProblem | None:
    """Why a draft cannot be published with this effective time, or None.

    A material change must give users the app's notice period (default 7 days) before it binds them; other
    changes may take effect at once. Versions take effect in their numbering order.
    """
    if effective_at is None:
        return ScheduleProblem.NO_EFFECTIVE_DATE
    if effective_at < now - PAST_GRACE:
        return ScheduleProblem.IN_THE_PAST
    if material and effective_at < now + dt.timedelta(days=notice_days):
        return ScheduleProblem.NOTICE_PERIOD
    if latest_effective is not None and effective_at <= latest_effective:
        return ScheduleProblem.OUT_OF_ORDER
    return None


def required_number(versions: Sequence[VersionFacts], now: dt.datetime) -> int | None:
    """The oldest version number whose acceptance still satisfies the document, or None if nothing is in force.

    The first version ever in force must be accepted; after that only material changes ask again.
    """
    taken = sorted(
        (v for v in versions if v.published and v.effective_at is not None and v.effective_at <= now),
        key=lambda v: v.number,
    )
    if not taken:
        return None
    material = [v.number for v in taken if v.material]
    return max([taken[0].number, *material])


def is_satisfied(required: int | None, accepted: Iterable[int]) -> bool:
    return required is None or any(number >= required for number in accepted)


# --- personal information in an acceptance --------------------------------------------------------------------------


def mask_ip(ip: str) -> str:
    """203.0.113.7 -> 203.0.113.*; 2001:db8::1 -> 2001:db8::/48 prefix with the rest hidden."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv4Address):
        return ".".join(str(address).split(".")[:3]) + ".*"
    network = ipaddress.ip_network(f"{address}/48", strict=False)
    return f"{network.network_address}*"


def truncate_user_agent(value: str) -> str:
    return value[:USER_AGENT_MAX]


# --- diff -----------------------------------------------------------------------------------------------------------


def diff_html(before: str, after: str) -> str:
    """A line diff as escaped HTML: <ins> for added lines, <del> for removed ones, context lines in between."""
    rows: list[str] = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        text = html.escape(line[1:])
        if line.startswith("@@"):
            rows.append('<span class="diff-hunk">…</span>')
        elif line.startswith("+"):
            rows.append(f"<ins>{text or '&nbsp;'}</ins>")
        elif line.startswith("-"):
            rows.append(f"<del>{text or '&nbsp;'}</del>")
        else:
            rows.append(f"<span>{text or '&nbsp;'}</span>")
    return "".join(rows)  # block elements; newlines would show as blank lines in the pre-wrapped diff
