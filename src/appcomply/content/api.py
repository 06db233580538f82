"""JSON API of the content module: synchronous screening for an app's backend; the app's lexicon for staff."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from appcomply.content import service
from appcomply.content.engine import Category, Level
from appcomply.content.schemas import (
    AllowCreate,
    AllowRead,
    ImportCreate,
    ImportRead,
    LexiconRead,
    LexiconUpdate,
    ScreeningCreate,
    ScreeningRead,
    TermCreate,
    TermHitsRead,
    TermPage,
    TermRead,
    TermUpdate,
)
from appcomply.content.service import ContentEnv
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import ServicesDep, env_dependency, hot_path, reads_only
from appcomply.web.openapi import problem_responses
from appcomply.web.responses import json_response
from appcomply.web.security import Guard

ContentEnvDep = Annotated[ContentEnv, Depends(env_dependency("content", ContentEnv))]

router = APIRouter(prefix="/v1", tags=["content"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE, Role.REVIEWER))]
EditorCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]


@router.post(
    "/screenings",
    response_model=ScreeningRead,
    summary="Screen a text before it is shown",
    responses=problem_responses(400, 413, 422),
)
@hot_path
@reads_only  # the hits are logged after the answer, in a transaction of their own
async def create_screening(
    ctx: AppCtx, env: ContentEnvDep, services: ServicesDep, body: ScreeningCreate, tasks: BackgroundTasks
) -> Response:
    """Verdict `pass`, `review` or `block`, with every hit: term, category, level, original character offsets, the
    normalised evidence and the evasions defeated. At most 10,000 characters (413 `content.text_too_long`)."""
    app_id = ctx.actor.app_id
    assert app_id is not None  # noqa: S101 - the guard admits app keys only
    # On the event loop while this process holds the app's current compiled lexicon (a few microseconds of CPU);
    # in the thread pool when its version must be read or its terms compiled.
    done = service.screen_in_memory(env, app_id=app_id, text=body.text, kind=body.kind)
    if done is None:
        done = await run_in_threadpool(service.screen, ctx, env, app_id=app_id, text=body.text, kind=body.kind)
    if done.result.hits:
        env.hit_log.add(service.hit_rows(done, app_id=app_id, at=ctx.clock.now()))
        tasks.add_task(env.hit_log.flush, services.session_factory)
    return json_response({
        "id": done.id, "kind": done.kind, "verdict": done.result.verdict, "hits": done.result.hits,
        "lexicon_version": done.lexicon_version,
    })  # fmt: skip


@router.get(
    "/apps/{app_id}/lexicon",
    response_model=LexiconRead,
    summary="The app's lexicon: version, layering and sizes",
    responses=problem_responses(404, 422),
)
def read_lexicon(ctx: ReaderCtx, env: ContentEnvDep, app_id: uuid.UUID) -> LexiconRead:
    """The version counter (bumped by every change), whether the default lexicon lies beneath, and sizes."""
    state = service.get_state(ctx, app_id)
    terms, allow = service.counts(ctx, app_id)
    default = env.default
    return LexiconRead(
        app_id=app_id, version=state.version, include_default=state.include_default, default_version=default.version,
        default_terms=len(default.terms), app_terms=terms, allow_phrases=allow,
    )  # fmt: skip


@router.patch(
    "/apps/{app_id}/lexicon",
    response_model=LexiconRead,
    summary="Layer the app's terms on the packaged default lexicon, or not",
    responses=problem_responses(400, 404, 413, 422),
)
def update_lexicon(ctx: EditorCtx, env: ContentEnvDep, app_id: uuid.UUID, body: LexiconUpdate) -> LexiconRead:
    """Switching the default off leaves only the app's own terms; audited, and bumps the version."""
    service.set_include_default(ctx, app_id, body.include_default)
    return read_lexicon(ctx, env, app_id)


@router.get(
    "/apps/{app_id}/lexicon/terms",
    response_model=TermPage,
    summary="The app's own lexicon terms",
    responses=problem_responses(404, 422),
)
def list_terms(
    ctx: ReaderCtx,
    app_id: uuid.UUID,
    category: Category | None = None,
    level: Level | None = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: uuid.UUID | None = None,
) -> TermPage:
    """Newest first; filter by category, level, or a substring of the term."""
    rows = service.list_terms(ctx, app_id, category=category, level=level, q=q, limit=limit + 1, after=after)
    return TermPage(
        items=[TermRead.model_validate(r) for r in rows[:limit]],
        next_cursor=rows[limit - 1].id if len(rows) > limit else None,
    )


@router.post(
    "/apps/{app_id}/lexicon/terms",
    response_model=TermRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a denied term",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def add_term(ctx: EditorCtx, app_id: uuid.UUID, body: TermCreate) -> TermRead:
    """Its pinyin, split-character and stretched forms are derived when the lexicon is compiled."""
    return TermRead.model_validate(service.add_term(ctx, app_id, body))


@router.get(
    "/apps/{app_id}/lexicon/terms/{lexicon_term_id}",
    response_model=TermRead,
    summary="One lexicon term",
    responses=problem_responses(404, 422),
)
def read_term(ctx: ReaderCtx, app_id: uuid.UUID, lexicon_term_id: uuid.UUID) -> TermRead:
    """The term as stored, with its category, level, scopes and who added it."""
    return TermRead.model_validate(service.get_term(ctx, app_id, lexicon_term_id))


@router.patch(
    "/apps/{app_id}/lexicon/terms/{lexicon_term_id}",
    response_model=TermRead,
    summary="Change a term's category, level or scopes",
    responses=problem_responses(400, 404, 413, 422),
)
def update_term(ctx: EditorCtx, app_id: uuid.UUID, lexicon_term_id: uuid.UUID, body: TermUpdate) -> TermRead:
    """Only the fields sent change; audited, and bumps the lexicon version."""
    return TermRead.model_validate(service.update_term(ctx, app_id, lexicon_term_id, body))


@router.delete(
    "/apps/{app_id}/lexicon/terms/{lexicon_term_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a term from the app's lexicon",
    responses=problem_responses(404, 422),
)
def remove_term(ctx: EditorCtx, app_id: uuid.UUID, lexicon_term_id: uuid.UUID) -> Response:
    """The packaged default lexicon stays; only the app's own terms can be removed. Audited."""
    service.remove_term(ctx, app_id, lexicon_term_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/apps/{app_id}/lexicon/terms/{lexicon_term_id}/hits",
    response_model=TermHitsRead,
    summary="How often a term hit, per content kind",
    responses=problem_responses(404, 422),
)
def read_term_hits(ctx: ReaderCtx, app_id: uuid.UUID, lexicon_term_id: uuid.UUID) -> TermHitsRead:
    """Counted from the hit log, which keeps the term, kind and time of each hit, never the screened text."""
    term = service.get_term(ctx, app_id, lexicon_term_id)
    hits = service.term_hits(ctx, app_id, term.text)
    return TermHitsRead(term=hits.term, total=hits.total, by_kind=hits.by_kind, last_at=hits.last_at)


@router.post(
    "/apps/{app_id}/lexicon/imports",
    response_model=ImportRead,
    summary="Import a text or CSV term list",
    responses=problem_responses(400, 404, 413, 422),
)
def import_terms(ctx: EditorCtx, app_id: uuid.UUID, body: ImportCreate) -> ImportRead:
    """All or nothing: a list with any bad line is refused (`content.import.rejected`, each bad line listed)."""
    report = service.import_terms(ctx, app_id, body)
    return ImportRead(
        added=report.added, updated=report.updated, unchanged=report.unchanged, lexicon_version=report.lexicon_version
    )


@router.get(
    "/apps/{app_id}/lexicon/allow",
    response_model=list[AllowRead],
    summary="The app's allow-list phrases",
    responses=problem_responses(404, 422),
)
def list_allow(ctx: ReaderCtx, app_id: uuid.UUID) -> list[AllowRead]:
    """Phrases that win over any denied term inside them, in alphabetical order."""
    return [AllowRead.model_validate(r) for r in service.list_allow(ctx, app_id)]


@router.post(
    "/apps/{app_id}/lexicon/allow",
    response_model=AllowRead,
    status_code=status.HTTP_201_CREATED,
    summary="Allow a phrase that contains a denied term",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def add_allow(ctx: EditorCtx, app_id: uuid.UUID, body: AllowCreate) -> AllowRead:
    """The phrase wins over any denied term inside it (大麻烦 over 大麻), evasions included."""
    return AllowRead.model_validate(service.add_allow(ctx, app_id, body.text))


@router.delete(
    "/apps/{app_id}/lexicon/allow/{phrase_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an allow-list phrase",
    responses=problem_responses(404, 422),
)
def remove_allow(ctx: EditorCtx, app_id: uuid.UUID, phrase_id: uuid.UUID) -> Response:
    """The terms inside the phrase hit again from the next screening. Audited."""
    service.remove_allow(ctx, app_id, phrase_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
