"""Pure rules of end-user accounts: nickname policy against impersonation (IDV-06, account-information rules 2022).

A nickname may not imitate party and state organs or news media; an account verified as the organisation whose
name contains the term may use it. The rule only reports hits; the use case decides.
"""

from __future__ import annotations

import enum
import functools
import importlib.resources
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    RESTRICTED = "restricted"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # deregistered at the user's request (注销); the profile is anonymised


# Invisible characters that Unicode classes as letters, so the category filter below would keep them.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


@dataclass(frozen=True, slots=True)
class ProtectedTerm:
    term: str
    category: str
    prefix_only: bool = False  # a state word (中国, 国家...) counts only at the start of a name


@dataclass(frozen=True, slots=True)
class Hit:
    term: str
    category: str


def normalise_nickname(nickname: str) -> str:
    """The nickname as matched: NFKC, case-folded, letters and digits only.

    Dropping spaces, punctuation, symbols, combining marks and zero-width characters defeats ``中 国 日 报``,
    ``中·国·日·报`` and ``中\u200b国``; NFKC folds full-width forms and Kangxi radicals (⼈ → 人).
    """
    folded = unicodedata.normalize("NFKC", nickname).casefold()
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LN" and c not in _INVISIBLE_LETTERS)


@functools.cache
def load_protected_terms() -> tuple[ProtectedTerm, ...]:
    resource = importlib.resources.files("appcomply.accounts") / "data" / "protected_terms.json"
    return parse_protected_terms(json.loads(resource.read_text(encoding="utf-8")))


def parse_protected_terms(data: object) -> tuple[ProtectedTerm, ...]:
    """Terms from decoded JSON; raises ValueError on a term of an undeclared category or one that normalises away."""
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        raise ValueError("protected terms: expected an object with a 'terms' list")
    categories = data.get("categories")
    if not isinstance(categories, dict):
        raise ValueError("protected terms: expected a 'categories' object")
    terms = []
    for index, entry in enumerate(data["terms"]):
        if not isinstance(entry, dict):
            raise ValueError(f"protected terms: terms[{index}] must be an object")
        term, category = entry.get("term"), entry.get("category")
        if not isinstance(term, str) or not normalise_nickname(term):
            raise ValueError(f"protected terms: terms[{index}] needs a term with letters or digits")
        if not isinstance(category, str) or category not in categories:
            raise ValueError(f"protected terms: terms[{index}] has undeclared category {category!r}")
        terms.append(ProtectedTerm(term=term, category=category, prefix_only=entry.get("prefix_only") is True))
    return tuple(terms)


def impersonation_hits(nickname: str, *, extra_terms: Iterable[ProtectedTerm] = ()) -> list[Hit]:
    """Protected terms the nickname contains, in list order, each once.

    The rule only reports: an organisation verified for the name may use it, and the service decides that.
    """
    name = normalise_nickname(nickname)
    hits: list[Hit] = []
    for term, prefix_only, hit in (*_matchers(load_protected_terms()), *_matchers(tuple(extra_terms))):
        found = name.startswith(term) if prefix_only else term in name
        if found and hit not in hits:
            hits.append(hit)
    return hits


@functools.lru_cache(maxsize=8)
def _matchers(terms: tuple[ProtectedTerm, ...]) -> tuple[tuple[str, bool, Hit], ...]:
    return tuple((normalise_nickname(t.term), t.prefix_only, Hit(term=t.term, category=t.category)) for t in terms)


def allowed_for_organisation(hits: Iterable[Hit], verified_org_name: str | None) -> bool:
    """True when every hit term occurs in the organisation name the account is verified for."""
    if verified_org_name is None:
        return False
    org = normalise_nickname(verified_org_name)
    return all(normalise_nickname(hit.term) in org for hit in hits)
