"""Read models of published documents: what GET /v1/documents and the public pages show."""

from __future__ import annotations

from appcomply import apps
from appcomply.agreements import errors, rules
from appcomply.agreements.models import Version
from appcomply.agreements.schemas import ClauseRead, DocumentRead, DocumentsRead, LicenceRef, VersionRead
from appcomply.agreements.service._documents import DocumentView, list_documents, public_path
from appcomply.kernel.actor import ActorKind
from appcomply.kernel.context import Ctx


def version_read(view: DocumentView, version: Version, state: rules.VersionState) -> VersionRead:
    kind = rules.DocumentKind(view.document.kind)
    return VersionRead(
        id=version.id,
        number=version.number,
        state=state,
        language=rules.Language(view.document.language),
        effective_at=version.effective_at,
        material=version.material,
        change_summary=version.change_summary,
        text_sha256=version.text_sha256,
        body=version.body,
        clauses=[
            ClauseRead(
                number=c["number"],
                heading=c["heading"],
                address=rules.clause_address(kind, view.document.slug, version.number, c["number"]),
            )
            for c in version.clauses
        ],
    )


def document_read(view: DocumentView, app_slug: str) -> DocumentRead:
    """The published side of a document: drafts are never shown outside the console."""
    states = {v.id: s for v, s in view.versions}
    in_force = view.in_force
    return DocumentRead(
        kind=rules.DocumentKind(view.document.kind),
        slug=view.document.slug,
        language=rules.Language(view.document.language),
        title=view.document.title,
        public_url=public_path(app_slug, view.document),
        in_force=version_read(view, in_force, states[in_force.id]) if in_force else None,
        scheduled=[
            version_read(view, v, rules.VersionState.SCHEDULED) for v in view.with_state(rules.VersionState.SCHEDULED)
        ],
        archive=[
            version_read(view, v, rules.VersionState.SUPERSEDED)
            for v in reversed(view.with_state(rules.VersionState.SUPERSEDED))
        ],
    )


def documents_read(ctx: Ctx) -> DocumentsRead:
    """The calling app's published documents with its licences and filing numbers (AGR-04)."""
    if ctx.actor.kind is not ActorKind.APP or ctx.actor.app_id is None:
        raise errors.AppKeyRequired("documents are read by the app's backend with its API key")
    app = apps.get_app(ctx, ctx.actor.app_id)
    info = apps.app_read(ctx, app)
    views = [v for v in list_documents(ctx, app.id) if any(s is not rules.VersionState.DRAFT for _, s in v.versions)]
    return DocumentsRead(
        app_id=app.id,
        app_name=app.name,
        entity_name=app.entity_name,
        licences=[LicenceRef(kind=lic.kind.value, number=lic.number, scope=lic.scope) for lic in info.licences],
        documents=[document_read(v, app.slug) for v in views],
    )
