"""Pure rules of the apps module: the 2021 catalogue of 39 common app types and their necessary PI.

The catalogue is package data (``data/app_types.json``), validated once when first loaded.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import importlib.resources
import json
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from appcomply.kernel.actor import Role

CATALOGUE_TYPE_COUNT = 39

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PiItem:
    code: str
    zh: str
    en: str
    sensitive: bool


@dataclass(frozen=True, slots=True)
class NecessaryPi:
    """One necessary PI item; a condition means it is necessary only in that case."""

    item: str
    condition_zh: str | None
    condition_en: str | None


@dataclass(frozen=True, slots=True)
class AppType:
    code: int
    name_zh: str
    name_en: str
    basic_function_zh: str
    basic_function_en: str
    no_pi_needed: bool
    necessary_pi: tuple[NecessaryPi, ...]
    # Names whose data the generic PI codes refer to (passenger, borrower, patient...).
    scope_note_zh: str | None = None
    scope_note_en: str | None = None


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    pi_items: Mapping[str, PiItem]
    types: Mapping[int, AppType]

    def get(self, code: int) -> AppType:
        try:
            return self.types[code]
        except KeyError:
            raise KeyError(f"unknown app type code {code!r}") from None

    def unknown_codes(self, codes: Iterable[int]) -> list[int]:
        """Codes not in the catalogue, deduplicated and sorted."""
        return sorted({code for code in codes if code not in self.types})


@functools.cache
def load_catalogue() -> Catalogue:
    resource = importlib.resources.files("appcomply.apps") / "data" / "app_types.json"
    return parse_catalogue(json.loads(resource.read_text(encoding="utf-8")))


def parse_catalogue(data: object) -> Catalogue:
    """Build a catalogue from decoded JSON; raises ValueError when the data breaks an invariant."""
    root = _obj(data, "catalogue")
    raw_items = _obj(root.get("pi_items"), "pi_items")
    pi_items = {code: _pi_item(code, raw) for code, raw in raw_items.items()}
    raw_types = _typed(root.get("types"), list, where="catalogue: 'types'", expected="a list")
    types = [_app_type(raw, index) for index, raw in enumerate(raw_types)]
    _check_codes([t.code for t in types])
    for app_type in types:
        _check_type(app_type, pi_items)
    return Catalogue(
        version=_str(root, "version", where="catalogue"),
        pi_items=MappingProxyType(pi_items),
        types=MappingProxyType({t.code: t for t in types}),
    )


def _check_codes(codes: list[int]) -> None:
    expected = list(range(1, CATALOGUE_TYPE_COUNT + 1))
    if codes != expected:
        raise ValueError(
            f"catalogue: expected {CATALOGUE_TYPE_COUNT} types with codes 1..{CATALOGUE_TYPE_COUNT} in order, "
            f"got {len(codes)} types with codes {codes}"
        )


def _check_type(app_type: AppType, pi_items: Mapping[str, PiItem]) -> None:
    where = f"type {app_type.code}"
    if app_type.no_pi_needed != (not app_type.necessary_pi):
        count = len(app_type.necessary_pi)
        raise ValueError(f"{where}: no_pi_needed is {app_type.no_pi_needed} but necessary_pi has {count} items")
    items = [entry.item for entry in app_type.necessary_pi]
    undefined = sorted(set(items) - pi_items.keys())
    if undefined:
        raise ValueError(f"{where}: necessary_pi refers to undefined PI items {undefined}")
    if len(set(items)) != len(items):
        raise ValueError(f"{where}: necessary_pi lists an item more than once")


def _pi_item(code: str, raw: object) -> PiItem:
    where = f"pi_items[{code!r}]"
    obj = _obj(raw, where)
    sensitive = _typed(obj.get("sensitive"), bool, where=f"{where}: 'sensitive'", expected="true or false")
    return PiItem(code=code, zh=_str(obj, "zh", where=where), en=_str(obj, "en", where=where), sensitive=sensitive)


def _app_type(raw: object, index: int) -> AppType:
    obj = _obj(raw, f"types[{index}]")
    code = obj.get("code")
    # bool is an int subclass; `true` must not pass as code 1.
    if type(code) is not int:
        raise ValueError(f"types[{index}]: 'code' must be an integer")
    where = f"type {code}"
    no_pi_needed = _typed(obj.get("no_pi_needed"), bool, where=f"{where}: 'no_pi_needed'", expected="true or false")
    raw_pi = _typed(obj.get("necessary_pi"), list, where=f"{where}: 'necessary_pi'", expected="a list")
    return AppType(
        code=code,
        name_zh=_str(obj, "name_zh", where=where),
        name_en=_str(obj, "name_en", where=where),
        basic_function_zh=_str(obj, "basic_function_zh", where=where),
        basic_function_en=_str(obj, "basic_function_en", where=where),
        no_pi_needed=no_pi_needed,
        necessary_pi=tuple(_necessary_pi(entry, where) for entry in raw_pi),
        scope_note_zh=_optional_str(obj, "scope_note_zh", where=where),
        scope_note_en=_optional_str(obj, "scope_note_en", where=where),
    )


def _necessary_pi(raw: object, where: str) -> NecessaryPi:
    obj = _obj(raw, f"{where} necessary_pi entry")
    item = _str(obj, "item", where=where)
    condition = obj.get("condition")
    if condition is None:
        return NecessaryPi(item=item, condition_zh=None, condition_en=None)
    cond_where = f"{where} condition of {item!r}"
    cond = _obj(condition, cond_where)
    return NecessaryPi(
        item=item,
        condition_zh=_str(cond, "zh", where=cond_where),
        condition_en=_str(cond, "en", where=cond_where),
    )


def _obj(value: object, where: str) -> dict[str, object]:
    return _typed(value, dict, where=where, expected="a JSON object")


def _typed(value: object, kind: type[_T], *, where: str, expected: str) -> _T:
    if not isinstance(value, kind):
        # A wrong JSON type is bad data like any other broken invariant: callers handle one ValueError.
        raise ValueError(f"{where} must be {expected}")
    return value


def _str(obj: Mapping[str, object], key: str, *, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string")
    return value


def _optional_str(obj: Mapping[str, object], key: str, *, where: str) -> str | None:
    return None if obj.get(key) is None else _str(obj, key, where=where)


# --- Tenant rules: slugs, service kinds, licences, operating entity, keys and passwords -----------------


class ServiceKind(enum.StrEnum):
    """Information services named in Art 2 of the Provisions and the content rules."""

    TEXT = "text"
    PICTURE = "picture"
    VOICE = "voice"
    VIDEO = "video"
    INSTANT_MESSAGING = "instant_messaging"
    NEWS = "news"
    FORUM = "forum"
    LIVE_STREAMING = "live_streaming"
    E_COMMERCE = "e_commerce"
    SEARCH = "search"
    ALGORITHM_RECOMMENDATION = "algorithm_recommendation"
    GENERATIVE_AI = "generative_ai"
    OTHER = "other"


class LicenceKind(enum.StrEnum):
    """Licences and filings an app displays or relies on (Art 7, Art 17, LIC-*)."""

    ICP_LICENCE = "icp_licence"  # 增值电信业务经营许可证
    ICP_FILING = "icp_filing"  # ICP 备案
    APP_FILING = "app_filing"  # App 备案 (MIIT, 2023)
    NEWS_LICENCE = "news_licence"  # 互联网新闻信息服务许可
    AV_LICENCE = "av_licence"  # 信息网络传播视听节目许可证
    CULTURE_LICENCE = "culture_licence"  # 网络文化经营许可证
    PUBLISHING_LICENCE = "publishing_licence"  # 网络出版服务许可证
    ALGORITHM_FILING = "algorithm_filing"  # 算法备案
    SECURITY_ASSESSMENT = "security_assessment"  # 安全评估 (public-opinion features)
    OTHER = "other"


_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
RESERVED_SLUGS = frozenset(
    {"admin", "api", "console", "static", "p", "v1", "well-known", "healthz", "readyz", "metrics"}
)


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name an app in URLs (`/p/{slug}/…`), or None when it can."""
    # fullmatch, not match with `$`: `$` also matches before a trailing newline, which let "demo\n" through.
    if not _SLUG.fullmatch(slug):
        return "use 1–40 lower-case letters, digits and inner hyphens"
    if slug in RESERVED_SLUGS:
        return f"'{slug}' is reserved"
    return None


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code (GB 32100-2015), or None. python-stdnum checks it."""
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    try:
        uscc.validate(code)
    except ValidationError as exc:
        return str(exc) or type(exc).__name__
    return None


def normalise_uscc(code: str) -> str:
    from stdnum.cn import uscc

    return str(uscc.compact(code))


API_KEY_PREFIX = "ak_"
STAFF_TOKEN_PREFIX = "st_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD_LENGTH = 12
GENERATED_PASSWORD_LENGTH = 20
_PASSWORD_ALPHABET = string.ascii_letters + string.digits + "-_"


def new_secret(prefix: str) -> str:
    """A 256-bit random secret, URL-safe, with a prefix that says what it is (and lets scanners find leaks)."""
    return prefix + secrets.token_urlsafe(32)


# Writing a credential's last use on every request would turn each read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def last_use_due(last_used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a use of a credential at `now` is worth writing down: last use is kept to the minute."""
    return last_used_at is None or now - last_used_at >= LAST_USED_PRECISION


def secret_digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret. Enough for random 256-bit keys; passwords use argon2 instead."""
    return hashlib.sha256(secret.encode()).hexdigest()


def grantable_roles(held: Iterable[str]) -> frozenset[Role]:
    """Roles a staff member may use or delegate to a token: admin implies every role."""
    roles = frozenset(Role(r) for r in held)
    return frozenset(Role) if Role.ADMIN in roles else roles


def password_problem(password: str, *, username: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    if username and username.lower() in password.lower():
        return "the password must not contain the username"
    if len(set(password)) < 5:
        return "use more varied characters"
    return None


def new_password(*, username: str) -> str:
    """A random password (about 119 bits) that `password_problem` accepts for `username`.

    The username's first character is left out of the alphabet, so the username can never occur in the
    password: a plain token_urlsafe() contained a 2-letter username about once in 50 and was then refused.
    """
    first = username[:1].lower()
    alphabet = [c for c in _PASSWORD_ALPHABET if c.lower() != first]
    return "".join(secrets.choice(alphabet) for _ in range(GENERATED_PASSWORD_LENGTH))


def lockout_until(failures: int, *, now: dt.datetime, max_failures: int, lockout: dt.timedelta) -> dt.datetime | None:
    """When a staff account with `failures` consecutive failed logins unlocks, or None if it is not locked."""
    return now + lockout if failures >= max_failures else None
