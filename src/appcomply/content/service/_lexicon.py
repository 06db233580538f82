"""An app's lexicon: its own terms and allow-list phrases on top of the packaged default, and the version counter
that tells every process to recompile."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from appcomply import apps, audit
from appcomply.content import errors, rules
from appcomply.content.engine import Category, Level, Lexicon, Term, parse_term_list
from appcomply.content.events import ContentEvent
from appcomply.content.models import AllowPhrase, LexiconState, LexiconTerm
from appcomply.content.schemas import ImportCreate, TermCreate, TermUpdate
from appcomply.content.service._states import lexicon_changed
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    lexicon_version: int


def get_state(ctx: Ctx, app_id: uuid.UUID) -> LexiconState:
    """The app's lexicon state; an app that never changed its lexicon is at version 0 over the default (not stored)."""
    apps.get_app(ctx, app_id)
    return ctx.session.get(LexiconState, app_id) or LexiconState(
        app_id=app_id, version=0, include_default=True, updated_at=ctx.clock.now()
    )


def _bump(ctx: Ctx, app_id: uuid.UUID) -> LexiconState:
    """Lock the app's lexicon row (created on first change) and advance its version: one writer at a time."""
    state = ctx.session.get(LexiconState, app_id, with_for_update=True)
    if state is None:
        state = LexiconState(app_id=app_id, version=0, include_default=True, updated_at=ctx.clock.now())
        ctx.session.add(state)
    state.version += 1
    state.updated_at = ctx.clock.now()
    ctx.session.flush()
    lexicon_changed(ctx.session, app_id)
    return state


def counts(ctx: Ctx, app_id: uuid.UUID) -> tuple[int, int]:
    """(app terms, allow phrases) of the app."""
    terms = ctx.session.scalar(select(func.count()).select_from(LexiconTerm).where(LexiconTerm.app_id == app_id))
    allow = ctx.session.scalar(select(func.count()).select_from(AllowPhrase).where(AllowPhrase.app_id == app_id))
    return int(terms or 0), int(allow or 0)


def set_include_default(ctx: Ctx, app_id: uuid.UUID, include_default: bool) -> LexiconState:
    """Layer the app's terms on the packaged default lexicon, or use them alone.

    Emits content.lexicon.settings_changed.
    """
    apps.get_app(ctx, app_id)
    state = _bump(ctx, app_id)
    state.include_default = include_default
    audit.record(
        ctx, ContentEvent.LEXICON_SETTINGS_CHANGED, subject=_lexicon_ref(app_id), app_id=app_id,
        data={"include_default": include_default, "version": state.version},
    )  # fmt: skip
    return state


def list_terms(
    ctx: Ctx,
    app_id: uuid.UUID,
    *,
    category: Category | None = None,
    level: Level | None = None,
    q: str | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> list[LexiconTerm]:
    """The app's own terms, newest first, filtered; keyset pagination on the id (UUIDv7, time-ordered)."""
    apps.get_app(ctx, app_id)
    stmt = select(LexiconTerm).where(LexiconTerm.app_id == app_id)
    if category is not None:
        stmt = stmt.where(LexiconTerm.category == category.value)
    if level is not None:
        stmt = stmt.where(LexiconTerm.level == level.value)
    if q:
        stmt = stmt.where(LexiconTerm.text.contains(q, autoescape=True))
    if after is not None:
        stmt = stmt.where(LexiconTerm.id < after)
    return list(ctx.session.scalars(stmt.order_by(LexiconTerm.id.desc()).limit(limit)))


def get_term(ctx: Ctx, app_id: uuid.UUID, term_id: uuid.UUID) -> LexiconTerm:
    apps.get_app(ctx, app_id)
    row = ctx.session.get(LexiconTerm, term_id)
    if row is None or row.app_id != app_id:
        raise errors.TermNotFound("no such term in this app's lexicon", term_id=str(term_id))
    return row


def add_term(ctx: Ctx, app_id: uuid.UUID, data: TermCreate) -> LexiconTerm:
    """Add one denied term. Refused with nothing written: InvalidTerm, TermExists. Emits content.term.added."""
    apps.get_app(ctx, app_id)
    problem = rules.term_problem(data.text)
    if problem is not None:
        raise errors.InvalidTerm(problem)
    now = ctx.clock.now()
    row = LexiconTerm(
        app_id=app_id, text=data.text, category=data.category.value, level=data.level.value,
        scopes=sorted(k.value for k in data.scopes), stretch=data.stretch, pinyin=data.pinyin, source=data.source,
        added_by=ctx.actor.label, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
            ctx.session.flush()
    except IntegrityError as exc:
        raise errors.TermExists(f"'{data.text}' is already in this app's lexicon") from exc
    state = _bump(ctx, app_id)
    audit.record(ctx, ContentEvent.TERM_ADDED, subject=_term_ref(row), app_id=app_id, data=_term_data(row, state))
    return row


def update_term(ctx: Ctx, app_id: uuid.UUID, term_id: uuid.UUID, data: TermUpdate) -> LexiconTerm:
    """Change a term's category, level, scopes or variant switches. Emits content.term.changed."""
    row = get_term(ctx, app_id, term_id)
    if data.category is not None:
        row.category = data.category.value
    if data.level is not None:
        row.level = data.level.value
    if data.scopes is not None:
        row.scopes = sorted(k.value for k in data.scopes)
    if data.stretch is not None:
        row.stretch = data.stretch
    if data.pinyin is not None:
        row.pinyin = data.pinyin
    row.updated_at = ctx.clock.now()
    state = _bump(ctx, app_id)
    audit.record(ctx, ContentEvent.TERM_CHANGED, subject=_term_ref(row), app_id=app_id, data=_term_data(row, state))
    return row


def remove_term(ctx: Ctx, app_id: uuid.UUID, term_id: uuid.UUID) -> None:
    """Remove one of the app's terms (the packaged default stays). Emits content.term.removed."""
    row = get_term(ctx, app_id, term_id)
    ctx.session.delete(row)
    state = _bump(ctx, app_id)
    audit.record(ctx, ContentEvent.TERM_REMOVED, subject=_term_ref(row), app_id=app_id, data=_term_data(row, state))


def import_terms(ctx: Ctx, app_id: uuid.UUID, data: ImportCreate) -> ImportReport:
    """Import a text or CSV list: new terms are added, listed ones updated. All or nothing — any bad line refuses the
    whole list (ImportRejected, with every bad line's number and code). Emits one content.terms.imported."""
    apps.get_app(ctx, app_id)
    terms, line_errors = parse_term_list(
        data.text, default_category=data.default_category, default_level=data.default_level, source=data.source,
        added_by=ctx.actor.label,
    )  # fmt: skip
    if line_errors:
        listed = [{"line": e.line_no, "code": e.code, "message": e.message} for e in line_errors[:100]]
        raise errors.ImportRejected(f"{len(line_errors)} invalid line(s)", lines=listed)
    if len(terms) > rules.MAX_IMPORT_LINES:
        raise errors.ImportRejected(f"at most {rules.MAX_IMPORT_LINES} terms per import; split the list", lines=[])
    if not terms:
        raise errors.ImportEmpty("the list has no terms")
    unique = {t.text: t for t in terms}  # a term listed twice: the last line wins
    existing = {
        row.text: row
        for row in ctx.session.scalars(
            select(LexiconTerm).where(LexiconTerm.app_id == app_id, LexiconTerm.text.in_(list(unique)))
        )
    }
    now = ctx.clock.now()
    added = updated = unchanged = 0
    for text, term in unique.items():
        values = _values(term)
        row = existing.get(text)
        if row is None:
            ctx.session.add(LexiconTerm(app_id=app_id, text=text, added_by=ctx.actor.label, created_at=now,
                                        updated_at=now, source=term.source, **values))  # fmt: skip
            added += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now
            updated += 1
        else:
            unchanged += 1
    ctx.session.flush()
    state = _bump(ctx, app_id)
    audit.record(
        ctx, ContentEvent.TERMS_IMPORTED, subject=_lexicon_ref(app_id), app_id=app_id,
        data={"added": added, "updated": updated, "unchanged": unchanged, "source": data.source,
              "version": state.version},
    )  # fmt: skip
    return ImportReport(added, updated, unchanged, state.version)


def _values(term: Term) -> dict[str, Any]:
    return {
        "category": term.category.value, "level": term.level.value, "scopes": sorted(term.scopes),
        "stretch": term.stretch, "pinyin": term.pinyin,
    }  # fmt: skip


def list_allow(ctx: Ctx, app_id: uuid.UUID) -> list[AllowPhrase]:
    apps.get_app(ctx, app_id)
    stmt = select(AllowPhrase).where(AllowPhrase.app_id == app_id).order_by(AllowPhrase.text)
    return list(ctx.session.scalars(stmt))


def add_allow(ctx: Ctx, app_id: uuid.UUID, text: str) -> AllowPhrase:
    """Add an allow-list phrase. Refused: InvalidTerm, AllowPhraseExists. Emits content.allow_phrase.added."""
    apps.get_app(ctx, app_id)
    problem = rules.term_problem(text)
    if problem is not None:
        raise errors.InvalidTerm(problem)
    row = AllowPhrase(app_id=app_id, text=text, added_by=ctx.actor.label, created_at=ctx.clock.now())
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
            ctx.session.flush()
    except IntegrityError as exc:
        raise errors.AllowPhraseExists(f"'{text}' is already allowed in this app") from exc
    state = _bump(ctx, app_id)
    audit.record(
        ctx, ContentEvent.ALLOW_ADDED, subject=audit.Subject("allow_phrase", str(row.id)), app_id=app_id,
        data={"text": rules.audit_text(text), "version": state.version},
    )  # fmt: skip
    return row


def remove_allow(ctx: Ctx, app_id: uuid.UUID, phrase_id: uuid.UUID) -> None:
    """Remove an allow-list phrase. Emits content.allow_phrase.removed."""
    apps.get_app(ctx, app_id)
    row = ctx.session.get(AllowPhrase, phrase_id)
    if row is None or row.app_id != app_id:
        raise errors.AllowPhraseNotFound("no such allow-list phrase in this app", phrase_id=str(phrase_id))
    ctx.session.delete(row)
    state = _bump(ctx, app_id)
    audit.record(
        ctx, ContentEvent.ALLOW_REMOVED, subject=audit.Subject("allow_phrase", str(row.id)), app_id=app_id,
        data={"text": rules.audit_text(row.text), "version": state.version},
    )  # fmt: skip


def app_lexicon(ctx: Ctx, app_id: uuid.UUID, version: str) -> Lexicon:
    """The app's own terms and allow-list as an engine lexicon (two queries)."""
    terms = tuple(
        Term(
            text=r.text,
            category=Category(r.category),
            level=Level(r.level),
            scopes=frozenset(r.scopes),
            source=r.source,
            added_by=r.added_by,
            stretch=r.stretch,
            pinyin=r.pinyin,
        )
        for r in ctx.session.scalars(select(LexiconTerm).where(LexiconTerm.app_id == app_id))
    )
    allow = tuple(ctx.session.scalars(select(AllowPhrase.text).where(AllowPhrase.app_id == app_id)))
    return Lexicon(version=version, terms=terms, allow=allow)


def _term_data(row: LexiconTerm, state: LexiconState) -> dict[str, Any]:
    return {"text": rules.audit_text(row.text), "category": row.category, "level": row.level, "scopes": row.scopes,
            "version": state.version}  # fmt: skip


def _term_ref(row: LexiconTerm) -> audit.Subject:
    return audit.Subject("lexicon_term", str(row.id))


def _lexicon_ref(app_id: uuid.UUID) -> audit.Subject:
    return audit.Subject("lexicon", str(app_id))
