"""Lexicons as data: terms with category, level, scopes and provenance; allow-lists; layering; list import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib.resources import files
from typing import Final

from appcomply.content.engine.normalise import normalise_term
from appcomply.content.engine.taxonomy import Category, Level

MAX_TERM_CHARS: Final = 50
DEFAULT_VERSION: Final = "default-1"


@dataclass(frozen=True, slots=True)
class Term:
    """One denied phrase. `scopes` lists the content kinds it applies to; empty means every kind."""

    text: str
    category: Category
    level: Level = Level.BLOCK
    scopes: frozenset[str] = frozenset()
    source: str = ""
    added_by: str = ""
    stretch: bool = True  # match repeated-character stretching (敏敏感感词)
    pinyin: bool = True  # also match the term written in pinyin


@dataclass(frozen=True, slots=True)
class Lexicon:
    """A versioned set of terms plus allow-list phrases that win over any term inside them."""

    version: str
    terms: tuple[Term, ...]
    allow: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LineError:
    """Why one line of an imported list was rejected; `code` is stable (`empty`, `too_long`, ...)."""

    line_no: int
    code: str
    message: str


def layer(base: Lexicon, overlay: Lexicon, *, version: str) -> Lexicon:
    """Lay a per-app lexicon over a base: an overlay term replaces the base term with the same normalised text."""
    replaced = {normalise_term(t.text) for t in overlay.terms}
    terms = tuple(t for t in base.terms if normalise_term(t.text) not in replaced) + overlay.terms
    allow = tuple(dict.fromkeys(base.allow + overlay.allow))
    return Lexicon(version=version, terms=terms, allow=allow)


def load_default_lexicon() -> Lexicon:
    """The packaged default lexicon (chosen from konsheng/Sensitive-lexicon, MIT; see data/SOURCE.txt)."""
    data = files("appcomply.content.engine") / "data"
    terms = []
    for line in (data / "default_lexicon.txt").read_text(encoding="utf-8").splitlines():
        text, category, level = line.split("\t")
        terms.append(Term(text, Category(category), Level(level), source="konsheng/Sensitive-lexicon"))
    allow = tuple((data / "default_allow.txt").read_text(encoding="utf-8").split())
    return Lexicon(version=DEFAULT_VERSION, terms=tuple(terms), allow=allow)


def parse_term_list(
    text: str, *, default_category: Category, default_level: Level, source: str, added_by: str
) -> tuple[list[Term], list[LineError]]:
    """Parse an imported list: one term per line, or CSV `term,category,level[,scopes]` with `|`-separated scopes.

    Blank lines and `#` comments are skipped; bad lines are reported, not raised, so an import can show
    every problem at once.
    """
    terms: list[Term] = []
    errors: list[LineError] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader(io.StringIO(stripped)))] if "," in stripped else [stripped]
        term, error = _parse_fields(fields, default_category, default_level, source=source, added_by=added_by)
        if error is not None:
            errors.append(LineError(line_no, *error))
        elif term is not None:
            terms.append(term)
    return terms, errors


def _parse_fields(
    fields: list[str], category: Category, level: Level, *, source: str, added_by: str
) -> tuple[Term | None, tuple[str, str] | None]:
    text = fields[0]
    if not normalise_term(text):
        return None, ("empty", "term is empty once punctuation and spaces are removed")
    if len(text) > MAX_TERM_CHARS:
        return None, ("too_long", f"term is longer than {MAX_TERM_CHARS} characters")
    if len(fields) > 4:
        return None, ("too_many_fields", "expected term,category,level[,scopes]")
    if len(fields) > 1 and fields[1]:
        if fields[1] not in Category.__members__.values():
            return None, ("unknown_category", f"unknown category {fields[1]!r}")
        category = Category(fields[1])
    if len(fields) > 2 and fields[2]:
        if fields[2] not in Level.__members__.values():
            return None, ("unknown_level", f"unknown level {fields[2]!r}; use block or review")
        level = Level(fields[2])
    scopes = frozenset(s.strip() for s in fields[3].split("|") if s.strip()) if len(fields) > 3 else frozenset()
    return Term(text, category, level, scopes, source=source, added_by=added_by), None
