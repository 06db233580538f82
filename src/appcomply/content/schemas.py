"""Boundary models of the content module."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from appcomply.content.engine import Category, Level, Verdict
from appcomply.content.rules import MAX_TERM_CHARS, ContentKind

_NO_NUL = r"^[^\x00]*$"
TermText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TERM_CHARS)]


class ScreeningCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # No max_length here: a text over 10,000 characters is answered 413 content.text_too_long, not 422.
    text: Annotated[str, StringConstraints(pattern=_NO_NUL)] = Field(description="The text to screen, as shown.")
    kind: ContentKind = Field(description="What the text is; terms may be scoped to some kinds.")


class HitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    term: str = Field(description="The lexicon term, or the detector's canonical value (digits of a phone number).")
    category: Category
    level: Level
    start: int = Field(description="Start offset in the submitted text, in characters (code points).")
    end: int = Field(description="End offset (exclusive): text[start:end] is the matched original span.")
    evidence: str = Field(description="The normalised form that matched.")
    evasions: list[str] = Field(description="Evasions defeated: noise, width, case, traditional, pinyin, …")
    detector: str | None = Field(description="phone, url, short_link, wechat, qq, email; null for lexicon terms.")


class ScreeningRead(BaseModel):
    id: uuid.UUID = Field(description="Identifies this screening in the hit log.")
    kind: ContentKind
    verdict: Verdict
    hits: list[HitRead]
    lexicon_version: int = Field(description="The app's lexicon version screened against.")


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: TermText
    category: Category
    level: Level = Level.BLOCK
    scopes: list[ContentKind] = Field(default_factory=list, description="Content kinds it applies to; empty: all.")
    stretch: bool = Field(default=True, description="Also match with characters repeated (敏敏感感).")
    pinyin: bool = Field(default=True, description="Also match its pinyin spellings.")
    source: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class TermUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Category | None = None
    level: Level | None = None
    scopes: list[ContentKind] | None = None
    stretch: bool | None = None
    pinyin: bool | None = None


class TermRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    text: str
    category: Category
    level: Level
    scopes: list[ContentKind]
    stretch: bool
    pinyin: bool
    source: str
    added_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TermPage(BaseModel):
    items: list[TermRead]
    next_cursor: uuid.UUID | None = Field(description="Pass as `after` for the next page; null on the last page.")


class ImportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=2_000_000, pattern=_NO_NUL)] = Field(
        description="One term per line, or CSV lines `term,category,level[,scopes]` (scopes separated by |); "
        "lines starting with # are comments."
    )
    default_category: Category = Category.CUSTOM
    default_level: Level = Level.BLOCK
    source: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = ""


class ImportRead(BaseModel):
    added: int
    updated: int
    unchanged: int
    lexicon_version: int


class AllowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: TermText


class AllowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    text: str
    added_by: str
    created_at: dt.datetime


class LexiconRead(BaseModel):
    app_id: uuid.UUID
    version: int = Field(description="Bumped by every change; processes recompile once per version.")
    include_default: bool = Field(description="Whether the packaged default lexicon lies beneath the app's terms.")
    default_version: str
    default_terms: int
    app_terms: int
    allow_phrases: int


class LexiconUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_default: bool


class TermHitsRead(BaseModel):
    term: str
    total: int
    by_kind: dict[str, int]
    last_at: dt.datetime | None
