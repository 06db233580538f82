"""Staff console of the content module (HTML + htmx): an app's lexicon — its own terms with filters, import, the
allow-list, layering on the default — each term's hits, and testing a text with its hits highlighted."""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from markupsafe import Markup
from pydantic import ValidationError

from appcomply import apps
from appcomply.content import service
from appcomply.content.engine import CATEGORY_LABELS, Category, Hit, Level
from appcomply.content.errors import InvalidTerm
from appcomply.content.rules import MAX_SCREEN_CHARS, ContentKind
from appcomply.content.schemas import ImportCreate, TermCreate
from appcomply.content.service import ContentEnv
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import env_dependency
from appcomply.web.security import Auth, AuthDep, Guard, console_chrome
from appcomply.web.templating import render, see_other

ContentEnvDep = Annotated[ContentEnv, Depends(env_dependency("content", ContentEnv))]

router = APIRouter(prefix="/console", include_in_schema=False)

ReaderCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE, Role.REVIEWER))]
EditorCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]
PAGE_SIZE: Final = 50


def highlight(text: str, hits: tuple[Hit, ...]) -> Markup:
    """The text with each hit's original span in a <mark> (overlapping spans merged); everything escaped."""
    spans: list[list[int]] = []
    for start, end in sorted((h.start, h.end) for h in hits):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    out, at = [], 0
    for start, end in spans:
        out.append(html.escape(text[at:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        at = end
    out.append(html.escape(text[at:]))
    return Markup("".join(out))  # noqa: S704 - every piece of text is escaped


def _page_context(
    ctx: Ctx, auth: Auth, env: ContentEnvDep, slug: str, *, category: Category | None, level: Level | None,
    q: str, after: uuid.UUID | None,
) -> dict[str, Any]:  # fmt: skip
    app = apps.get_app_by_slug(ctx, slug)
    rows = service.list_terms(
        ctx, app.id, category=category, level=level, q=q or None, limit=PAGE_SIZE + 1, after=after
    )
    filters = {k: v for k, v in {"category": category, "level": level, "q": q}.items() if v}
    next_query = urlencode({**filters, "after": rows[PAGE_SIZE - 1].id}) if len(rows) > PAGE_SIZE else ""
    terms, allow = service.counts(ctx, app.id)
    return {
        **console_chrome(auth, nav="lexicon"), "app_slug": app.slug, "app": app,
        "state": service.get_state(ctx, app.id), "terms": rows[:PAGE_SIZE], "term_count": terms,
        "allow_count": allow, "allow": service.list_allow(ctx, app.id), "default": env.default,
        "categories": list(Category), "labels": CATEGORY_LABELS, "levels": list(Level), "kinds": list(ContentKind),
        "filters": filters, "q": q, "category": category, "level": level,
        "first_query": urlencode(filters) if after else None, "next_query": next_query,
        "can_edit": auth.actor.has_any_role(frozenset({Role.COMPLIANCE})), "max_chars": MAX_SCREEN_CHARS,
    }  # fmt: skip


@router.get("/apps/{slug}/lexicon")
def lexicon_page(
    request: Request,
    ctx: ReaderCtx,
    auth: AuthDep,
    env: ContentEnvDep,
    slug: str,
    category: Category | None = None,
    level: Level | None = None,
    q: Annotated[str, Query(max_length=50)] = "",
    after: uuid.UUID | None = None,
) -> Response:
    """The lexicon: layering and version, the app's terms (filter, page), import, allow-list, and a test box."""
    context = _page_context(ctx, auth, env, slug, category=category, level=level, q=q, after=after)
    return render(request, "content/lexicon.html", context=context, block="terms")


@router.post("/apps/{slug}/lexicon/test")
def try_text(
    request: Request,
    ctx: ReaderCtx,
    env: ContentEnvDep,
    slug: str,
    text: Annotated[str, Form(min_length=1, max_length=MAX_SCREEN_CHARS)],
    kind: Annotated[ContentKind, Form()] = ContentKind.POST,
) -> Response:
    """Screen a text against the app's lexicon as it is now, without logging hits; htmx swaps in the result."""
    app = apps.get_app_by_slug(ctx, slug)
    compiled, version = service.compiled_for(ctx, env, app.id)
    result = compiled.screen(text, kind.value)
    context = {"result": result, "marked": highlight(text, result.hits), "version": version, "labels": CATEGORY_LABELS}
    return render(request, "content/test_result.html", context=context)


@router.post("/apps/{slug}/lexicon/terms")
def add_term(
    ctx: EditorCtx,
    slug: str,
    text: Annotated[str, Form(min_length=1, max_length=50)],
    category: Annotated[Category, Form()],
    level: Annotated[Level, Form()] = Level.BLOCK,
    scopes: Annotated[list[ContentKind] | None, Form()] = None,
) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    try:
        data = TermCreate(text=text, category=category, level=level, scopes=scopes or [])
    except ValidationError:
        raise InvalidTerm("a term has 1 to 50 characters") from None
    service.add_term(ctx, app.id, data)
    return see_other(f"/console/apps/{slug}/lexicon")


@router.post("/apps/{slug}/lexicon/terms/{term_id}/delete")
def remove_term(ctx: EditorCtx, slug: str, term_id: uuid.UUID) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    service.remove_term(ctx, app.id, term_id)
    return see_other(f"/console/apps/{slug}/lexicon")


@router.post("/apps/{slug}/lexicon/imports")
def import_terms(
    ctx: EditorCtx,
    slug: str,
    text: Annotated[str, Form(min_length=1, max_length=2_000_000)],
    default_category: Annotated[Category, Form()] = Category.CUSTOM,
    default_level: Annotated[Level, Form()] = Level.BLOCK,
    source: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Import pasted lines (text or CSV); all or nothing, bad lines are listed in the problem."""
    app = apps.get_app_by_slug(ctx, slug)
    data = ImportCreate(text=text, default_category=default_category, default_level=default_level, source=source)
    service.import_terms(ctx, app.id, data)
    return see_other(f"/console/apps/{slug}/lexicon")


@router.post("/apps/{slug}/lexicon/allow")
def add_allow(ctx: EditorCtx, slug: str, text: Annotated[str, Form(min_length=1, max_length=50)]) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    service.add_allow(ctx, app.id, text.strip())
    return see_other(f"/console/apps/{slug}/lexicon")


@router.post("/apps/{slug}/lexicon/allow/{phrase_id}/delete")
def remove_allow(ctx: EditorCtx, slug: str, phrase_id: uuid.UUID) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    service.remove_allow(ctx, app.id, phrase_id)
    return see_other(f"/console/apps/{slug}/lexicon")


@router.post("/apps/{slug}/lexicon/settings")
def settings(ctx: EditorCtx, slug: str, include_default: Annotated[bool, Form()] = False) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    service.set_include_default(ctx, app.id, include_default)
    return see_other(f"/console/apps/{slug}/lexicon")


@router.get("/apps/{slug}/lexicon/terms/{term_id}")
def term_page(request: Request, ctx: ReaderCtx, auth: AuthDep, slug: str, term_id: uuid.UUID) -> Response:
    """One term: its settings and how often it hit, per content kind."""
    app = apps.get_app_by_slug(ctx, slug)
    term = service.get_term(ctx, app.id, term_id)
    context = {
        **console_chrome(auth, nav="lexicon"), "app_slug": app.slug, "app": app, "term": term,
        "hits": service.term_hits(ctx, app.id, term.text), "labels": CATEGORY_LABELS,
        "can_edit": auth.actor.has_any_role(frozenset({Role.COMPLIANCE})),
    }  # fmt: skip
    return render(request, "content/term.html", context=context)
