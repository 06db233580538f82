"""HTML of the agreements module: the public document pages (no login, Chinese first) and the console's document
editor (list, draft, preview with clause numbers, diff against the version in force, schedule)."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from markupsafe import Markup

from appcomply import apps
from appcomply.agreements import errors, rules, service
from appcomply.agreements.schemas import DraftForm
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.security import ANY_STAFF, Auth, AuthDep, Guard, PublicCtx, console_chrome
from appcomply.web.templating import DISPLAY_TZ, render, see_other

if TYPE_CHECKING:
    from appcomply.agreements.models import Version

router = APIRouter(prefix="/console", include_in_schema=False)
public_router = APIRouter(prefix="/p", include_in_schema=False)

StaffCtx = Annotated[Ctx, Depends(ANY_STAFF)]
ComplianceCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]
Body = Annotated[str, Form(min_length=1, max_length=200_000)]

# Public pages choose their language from ?lang= (a shareable link), not the console's cookie.
PUBLIC_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh_CN": {
        "effective": "生效时间", "version": "版本", "hash": "文本 SHA-256", "archive": "历史版本",
        "changes": "与上一版相比的变更", "summary": "变更说明", "material": "重大变更", "scheduled": "即将生效",
        "none": "该应用尚未发布此文件。", "switch": "English", "contents": "条款目录", "first": "首个版本",
    },
    "en": {
        "effective": "Effective", "version": "Version", "hash": "Text SHA-256", "archive": "Earlier versions",
        "changes": "Changes from the previous version", "summary": "Summary of changes", "material": "Material change",
        "scheduled": "Coming into force", "none": "The app has not published this document.", "switch": "中文",
        "contents": "Clauses", "first": "First version",
    },
}  # fmt: skip


# --- rendering ------------------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render_markdown(body: str) -> Markup:
    """A small, safe subset of Markdown: headings, paragraphs, list items and bold; everything else is escaped.

    Clause lines get an anchor (`#c-1.2`) and a visible number, so a citation can link to the exact clause.
    """
    parts: list[str] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        clause = rules.parse_clauses(line)
        anchor = f' id="c-{clause[0].number}"' if clause else ""
        heading = _HEADING.match(line)
        text = _BOLD.sub(r"<strong>\1</strong>", html.escape(heading.group(2) if heading else line.strip()))
        if heading:
            level = min(len(heading.group(1)) + 1, 6)
            parts.append(f"<h{level}{anchor}>{text}</h{level}>")
        elif line.lstrip().startswith("> "):
            parts.append(f"<blockquote{anchor}>{text[5:]}</blockquote>")  # "&gt; " once escaped
        elif line.lstrip().startswith(("- ", "* ")):
            parts.append(f'<p class="item"{anchor}>• {text[2:]}</p>')
        else:
            parts.append(f"<p{anchor}>{text}</p>")
    return Markup("\n".join(parts))  # noqa: S704 - every piece of text above is escaped


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M") if value else "—"


# --- public pages ---------------------------------------------------------------------------------------------------


def _public_page(request: Request, ctx: Ctx, app_slug: str, kind: rules.DocumentKind, slug: str, lang: str) -> Response:
    app = apps.get_app_by_slug(ctx, app_slug)
    language = rules.Language.EN if lang == "en" else rules.Language.ZH_CN
    view = service.find_document(ctx, app.id, kind=kind, slug=slug, language=language)
    if view is None and language is rules.Language.EN:  # no English text: show the Chinese one
        view = service.find_document(ctx, app.id, kind=kind, slug=slug, language=rules.Language.ZH_CN)
    document = service.document_read(view, app.slug) if view else None
    diffs: dict[uuid.UUID, Markup] = {}
    if view is not None:
        for version, state in view.versions:
            previous = view.previous(version)
            if state is not rules.VersionState.DRAFT and previous is not None:
                diffs[version.id] = Markup(rules.diff_html(previous.body, version.body))  # noqa: S704 - escaped
    zh, en = rules.KIND_TITLES[kind]
    context = {
        "app": app, "document": document, "diffs": diffs, "labels": PUBLIC_LABELS[lang], "lang": lang,
        "title": document.title if document else (en if lang == "en" else zh), "markdown": render_markdown,
        "local": _local, "path": request.url.path,
    }  # fmt: skip
    response = render(request, "agreements/public.html", context=context, status_code=200 if document else 404)
    # Public and the same for everyone: a short shared cache is fine (render() marks console pages no-store).
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


Lang = Annotated[Literal["zh_CN", "en"], Query()]


@public_router.get("/{app_slug}/custom/{slug}")
def public_custom(request: Request, ctx: PublicCtx, app_slug: str, slug: str, lang: Lang = "zh_CN") -> Response:
    """A custom document of the app, by its slug."""
    return _public_page(request, ctx, app_slug, rules.DocumentKind.CUSTOM, slug, lang)


@public_router.get("/{app_slug}/{page}")
def public_document(
    request: Request,
    ctx: PublicCtx,
    app_slug: str,
    page: Literal["rules", "agreement", "privacy", "children", "convention"],
    lang: Lang = "zh_CN",
) -> Response:
    """The version in force, its effective time and hash, and every earlier version with a diff (no login)."""
    return _public_page(request, ctx, app_slug, rules.PUBLIC_PATHS[page], "", lang)


# --- console --------------------------------------------------------------------------------------------------------


def _chrome(auth: Auth, app_slug: str) -> dict[str, Any]:
    return {**console_chrome(auth, nav="documents"), "app_slug": app_slug}


@router.get("/apps/{slug}/documents")
def documents(request: Request, ctx: StaffCtx, auth: AuthDep, slug: str) -> Response:
    """Every document of the app with its versions, states, acceptance counts; the app's policy."""
    app = apps.get_app_by_slug(ctx, slug)
    context = {
        **_chrome(auth, app.slug),
        "app": app,
        "views": service.list_documents(ctx, app.id),
        "counts": service.acceptance_counts(ctx, app.id),
        "policy": service.get_policy(ctx, app.id),
        "kinds": list(rules.DocumentKind),
        "languages": list(rules.Language),
        "titles": rules.KIND_TITLES,
        "local": _local,
        "can_edit": auth.actor.has_any_role(frozenset({Role.COMPLIANCE})),
    }
    return render(request, "agreements/documents.html", context=context)


@router.post("/apps/{slug}/documents/policy")
def set_policy(
    ctx: ComplianceCtx,
    slug: str,
    notice_days: Annotated[int, Form(ge=0, le=365)],
    required: Annotated[list[rules.DocumentKind] | None, Form()] = None,
) -> Response:
    """Change the notice period and the kinds required at registration."""
    app = apps.get_app_by_slug(ctx, slug)
    service.set_policy(ctx, app.id, notice_days=notice_days, required_kinds=required or [])
    return see_other(f"/console/apps/{slug}/documents")


@router.post("/apps/{slug}/documents")
def create_draft(
    ctx: ComplianceCtx,
    slug: str,
    kind: Annotated[rules.DocumentKind, Form()],
    language: Annotated[rules.Language, Form()],
    body: Body,
    doc_slug: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Start a new draft version of a document and open it in the editor."""
    app = apps.get_app_by_slug(ctx, slug)
    version = service.create_draft(
        ctx, app.id, kind=kind, slug=doc_slug.strip(), language=language, data=DraftForm(body=body)
    )
    return see_other(f"/console/document-versions/{version.id}")


@router.get("/document-versions/{version_id}")
def editor(request: Request, ctx: StaffCtx, auth: AuthDep, version_id: uuid.UUID) -> Response:
    """The version: its text (editable while a draft), the preview with clause numbers, the diff, notices sent."""
    version = service.get_version(ctx, version_id)
    return _editor(request, ctx, auth, version, body=version.body)


def _editor(
    request: Request, ctx: Ctx, auth: Auth, version: Version, *, body: str, block: str | None = None
) -> Response:
    view = service.get_document_of(ctx, version)
    app = apps.get_app(ctx, version.app_id)
    in_force = view.in_force
    against = in_force if in_force is not None and in_force.id != version.id else view.previous(version)
    state = {v.id: s for v, s in view.versions}[version.id]
    context = {
        **_chrome(auth, app.slug),
        "app": app, "view": view, "version": version, "state": state, "body": body,
        "preview": render_markdown(body), "clauses": rules.parse_clauses(body),
        "against": against,
        "diff": Markup(rules.diff_html(against.body, body)) if against else None,  # noqa: S704 - escaped
        "notices": service.notice_counts(ctx, version) if version.published_at else None,
        "editable": rules.is_editable(state) and auth.actor.has_any_role(frozenset({Role.COMPLIANCE})),
        "local": _local, "kind_path": rules.kind_path(rules.DocumentKind(view.document.kind), view.document.slug),
        "effective_value": version.effective_at.astimezone(DISPLAY_TZ).strftime("%Y-%m-%dT%H:%M")
        if version.effective_at else "",
    }  # fmt: skip
    return render(request, "agreements/editor.html", context=context, block=block)


@router.post("/document-versions/{version_id}/preview")
def preview(request: Request, ctx: ComplianceCtx, auth: AuthDep, version_id: uuid.UUID, body: Body) -> Response:
    """Render the posted text (not saved) with clause numbers and its diff; htmx swaps the preview block."""
    version = service.get_version(ctx, version_id)
    return _editor(request, ctx, auth, version, body=body, block="preview")


@router.post("/document-versions/{version_id}")
def edit_draft(
    ctx: ComplianceCtx,
    version_id: uuid.UUID,
    body: Body,
    material: Annotated[bool, Form()] = False,
    change_summary: Annotated[str, Form(max_length=2000)] = "",
    effective_at: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save the draft: text, material-change flag, change summary, effective time (Beijing time)."""
    data = DraftForm(
        body=body, material=material, change_summary=change_summary, effective_at=_parse_local(effective_at)
    )
    version = service.edit_draft(ctx, version_id, data)
    return see_other(f"/console/document-versions/{version.id}")


@router.post("/document-versions/{version_id}/schedule")
def schedule(ctx: ComplianceCtx, version_id: uuid.UUID) -> Response:
    """Publish the draft for its effective time; a material change notifies every user."""
    version = service.schedule_version(ctx, version_id)
    return see_other(f"/console/document-versions/{version.id}")


def _parse_local(value: str) -> dt.datetime | None:
    """A `datetime-local` field, read as Beijing time."""
    if not value.strip():
        return None
    try:
        return dt.datetime.fromisoformat(value.strip()).replace(tzinfo=DISPLAY_TZ)
    except ValueError:
        raise errors.EffectiveDateRequired("the effective time is not a date and time") from None
