"""Screening a text for an app: its compiled lexicon (cached per process and version), the result, the hit log."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select

from appcomply.content import errors, rules
from appcomply.content.engine import CompiledLexicon, Lexicon, ScreeningResult, layer
from appcomply.content.models import LexiconState, ScreeningHit
from appcomply.content.service._env import ContentEnv
from appcomply.content.service._lexicon import app_lexicon, get_state
from appcomply.content.service._states import KnownState
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id

DEFAULT_KEY: Final = "default"  # the registry key of the packaged default lexicon, shared by apps without their own


@dataclass(frozen=True, slots=True)
class Screening:
    id: uuid.UUID
    kind: rules.ContentKind
    result: ScreeningResult
    lexicon_version: int


@dataclass(frozen=True, slots=True)
class TermHits:
    term: str
    total: int
    by_kind: dict[str, int]
    last_at: dt.datetime | None


def _key(env: ContentEnv, state: KnownState) -> str:
    # The change time joins the counter so that a version number reused after a rolled-back change never
    # matches a lexicon compiled from the change that was rolled back.
    stamp = state.updated_at.isoformat()
    return f"{state.version}:{stamp}:{env.default.version if state.include_default else '-'}"


def compiled_for(ctx: Ctx, env: ContentEnv, app_id: uuid.UUID) -> tuple[CompiledLexicon, int]:
    """The app's compiled lexicon at its current version. No query while this process knows the app's version
    (`env.states`), else one primary-key read; the terms are read and compiled only when this process has not yet
    compiled that version. Every app that never changed its lexicon shares the one compiled default."""
    known, state = env.states.get(app_id)
    if not known:
        row = ctx.session.get(LexiconState, app_id)
        state = None if row is None else KnownState(row.version, row.include_default, row.updated_at)
        env.states.put(app_id, state)
    if state is None:
        return env.registry.get(DEFAULT_KEY, env.default.version, lambda: env.default), 0
    key, include_default = _key(env, state), state.include_default

    def load() -> Lexicon:
        own = app_lexicon(ctx, app_id, key)
        return layer(env.default, own, version=key) if include_default else own

    return env.registry.get(app_id, key, load), state.version


def _compiled_in_memory(env: ContentEnv, app_id: uuid.UUID) -> tuple[CompiledLexicon, int] | None:
    """What `compiled_for` would answer, if this process can answer it without a query or a compile; else None."""
    known, state = env.states.get(app_id)
    if not known:
        return None
    if state is None:
        compiled = env.registry.peek(DEFAULT_KEY, env.default.version)
        return None if compiled is None else (compiled, 0)
    compiled = env.registry.peek(app_id, _key(env, state))
    return None if compiled is None else (compiled, state.version)


def _refuse_too_long(text: str) -> None:
    if len(text) > rules.MAX_SCREEN_CHARS:
        raise errors.TextTooLong(
            f"at most {rules.MAX_SCREEN_CHARS} characters per screening; this text has {len(text)}",
            max_chars=rules.MAX_SCREEN_CHARS,
        )


def screen(ctx: Ctx, env: ContentEnv, *, app_id: uuid.UUID, text: str, kind: rules.ContentKind) -> Screening:
    """Screen one text as shown to users. Refused: TextTooLong (over 10,000 characters).

    A screening changes nothing the app relies on, so it only reads. The hits are logged (term, category, level,
    kind — never the text) by the caller through `hit_rows` and the env's `HitLog`, after the answer is sent, so the
    console can show each term's hits. The log is telemetry, not an audited change.
    """
    _refuse_too_long(text)
    compiled, version = compiled_for(ctx, env, app_id)
    return Screening(new_id(), kind, compiled.screen(text, kind.value), version)


def screen_in_memory(env: ContentEnv, *, app_id: uuid.UUID, text: str, kind: rules.ContentKind) -> Screening | None:
    """`screen`, when this process already holds the app's compiled lexicon at a version it knows to be current: no
    I/O and no compile, so the caller may run it on the event loop. None when `screen` must be called instead.
    Refused as `screen` refuses."""
    _refuse_too_long(text)
    found = _compiled_in_memory(env, app_id)
    if found is None:
        return None
    compiled, version = found
    return Screening(new_id(), kind, compiled.screen(text, kind.value), version)


def hit_rows(screening: Screening, *, app_id: uuid.UUID, at: dt.datetime) -> list[dict[str, Any]]:
    """The hit log's rows for a screening (none for a clean one): term or detector, category, level, kind and the
    evasions defeated — never the text."""
    return [
        {
            "id": new_id(),
            "app_id": app_id,
            "screening_id": screening.id,
            "kind": screening.kind.value,
            "term": h.detector or h.term,
            "category": h.category.value,
            "level": h.level.value,
            "evasions": list(h.evasions),
            "lexicon_version": screening.lexicon_version,
            "at": at,
        }
        for h in screening.result.hits
    ]


def term_hits(ctx: Ctx, app_id: uuid.UUID, term: str) -> TermHits:
    """How often a term (or a detector, by name) hit in the app, per content kind, and when last."""
    get_state(ctx, app_id)
    stmt = (
        select(ScreeningHit.kind, func.count(), func.max(ScreeningHit.at))
        .where(ScreeningHit.app_id == app_id, ScreeningHit.term == term)
        .group_by(ScreeningHit.kind)
    )
    by_kind: dict[str, int] = {}
    last: dt.datetime | None = None
    for kind, count, at in ctx.session.execute(stmt):
        by_kind[kind] = count
        last = at if last is None or (at is not None and at > last) else last
    return TermHits(term, sum(by_kind.values()), by_kind, last)
