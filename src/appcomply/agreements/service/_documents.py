"""Documents and versions: the app's policy, drafting, scheduling (with the advance notice), and reading them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from appcomply import accounts, apps, audit, notices
from appcomply.agreements import errors, rules
from appcomply.agreements.events import AgreementsEvent
from appcomply.agreements.models import AgreementPolicy, Document, Version
from appcomply.agreements.schemas import DraftForm, NoticeCountsRead
from appcomply.kernel.context import Ctx
from appcomply.kernel.errors import Invalid

_SCHEDULE_ERRORS: dict[rules.ScheduleProblem, type[Invalid]] = {
    rules.ScheduleProblem.NO_EFFECTIVE_DATE: errors.EffectiveDateRequired,
    rules.ScheduleProblem.IN_THE_PAST: errors.EffectiveInPast,
    rules.ScheduleProblem.NOTICE_PERIOD: errors.InsideNoticePeriod,
    rules.ScheduleProblem.OUT_OF_ORDER: errors.EffectiveOutOfOrder,
}
_USER_PAGE = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Policy:
    notice_days: int
    required_kinds: tuple[rules.DocumentKind, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentView:
    """A document with every version and its computed state, oldest first."""

    document: Document
    versions: tuple[tuple[Version, rules.VersionState], ...]

    @property
    def in_force(self) -> Version | None:
        return next((v for v, s in self.versions if s is rules.VersionState.IN_FORCE), None)

    def with_state(self, state: rules.VersionState) -> list[Version]:
        return [v for v, s in self.versions if s is state]

    def previous(self, version: Version) -> Version | None:
        """The published version before `version` (what its diff is taken against)."""
        earlier = [v for v, s in self.versions if v.number < version.number and s is not rules.VersionState.DRAFT]
        return earlier[-1] if earlier else None


def facts(version: Version) -> rules.VersionFacts:
    return rules.VersionFacts(
        number=version.number,
        published=version.published_at is not None,
        effective_at=version.effective_at,
        material=version.material,
    )


def _version_ref(version: Version) -> audit.Subject:
    return audit.Subject("agreement_version", str(version.id))


# --- policy ---------------------------------------------------------------------------------------------------------


def get_policy(ctx: Ctx, app_id: uuid.UUID) -> Policy:
    """The app's notice period and required kinds; the defaults (7 days; agreement and privacy policy) if unset."""
    row = ctx.session.get(AgreementPolicy, app_id)
    if row is None:
        return Policy(rules.DEFAULT_NOTICE_DAYS, rules.DEFAULT_REQUIRED)
    return Policy(row.notice_days, tuple(rules.DocumentKind(k) for k in row.required_kinds))


def set_policy(
    ctx: Ctx, app_id: uuid.UUID, *, notice_days: int, required_kinds: Iterable[rules.DocumentKind]
) -> Policy:
    """Change the app's policy. Emits agreements.policy.changed with before and after."""
    apps.get_app(ctx, app_id)
    before = get_policy(ctx, app_id)
    kinds = sorted(set(required_kinds) - {rules.DocumentKind.CUSTOM})
    row = ctx.session.get(AgreementPolicy, app_id)
    if row is None:
        row = AgreementPolicy(app_id=app_id, notice_days=notice_days, required_kinds=kinds, updated_at=ctx.clock.now())
        ctx.session.add(row)
    else:
        row.notice_days, row.required_kinds, row.updated_at = notice_days, kinds, ctx.clock.now()
    after = get_policy(ctx, app_id)
    data = {
        "from": {"notice_days": before.notice_days, "required_kinds": list(before.required_kinds)},
        "to": {"notice_days": after.notice_days, "required_kinds": list(after.required_kinds)},
    }
    audit.record(
        ctx, AgreementsEvent.POLICY_CHANGED, subject=audit.Subject("app", str(app_id)), app_id=app_id, data=data
    )
    return after


# --- drafting -------------------------------------------------------------------------------------------------------


def create_draft(
    ctx: Ctx, app_id: uuid.UUID, *, kind: rules.DocumentKind, slug: str, language: rules.Language, data: DraftForm
) -> Version:
    """Start the next version of a document as a draft (creating the document on first use).

    Emits agreements.version.drafted. InvalidSlug; DraftExists while the document has an unpublished draft.
    """
    apps.get_app(ctx, app_id)
    problem = rules.slug_problem(kind, slug)
    if problem:
        raise errors.InvalidSlug(problem)
    document = _find_document(ctx, app_id, kind, slug, language) or _new_document(ctx, app_id, kind, slug, language)
    numbers = list(
        ctx.session.execute(select(Version.number, Version.published_at).where(Version.document_id == document.id))
    )
    if any(published is None for _, published in numbers):
        raise errors.DraftExists("publish or edit the existing draft first", document_id=str(document.id))
    now = ctx.clock.now()
    version = Version(
        document_id=document.id,
        app_id=app_id,
        number=max((n for n, _ in numbers), default=0) + 1,
        created_by=ctx.actor.label,
        created_at=now,
        notices_queued=0,
        **_text_fields(data, now),
    )
    ctx.session.add(version)
    ctx.session.flush()
    data_out = {"kind": kind.value, "slug": slug, "language": language.value, "number": version.number}
    audit.record(ctx, AgreementsEvent.DRAFT_CREATED, subject=_version_ref(version), app_id=app_id, data=data_out)
    return version


def edit_draft(ctx: Ctx, version_id: uuid.UUID, data: DraftForm) -> Version:
    """Replace a draft's text and facts. Emits agreements.version.edited. VersionImmutable once published."""
    version = get_version(ctx, version_id)
    if version.published_at is not None:
        raise errors.VersionImmutable("a published version is the record of what users saw; draft a new version")
    for name, value in _text_fields(data, ctx.clock.now()).items():
        setattr(version, name, value)
    audit.record(
        ctx, AgreementsEvent.DRAFT_EDITED, subject=_version_ref(version), app_id=version.app_id,
        data={"number": version.number, "text_sha256": version.text_sha256, "material": version.material},
    )  # fmt: skip
    return version


def _text_fields(data: DraftForm, now: dt.datetime) -> dict[str, object]:
    clauses = [dataclasses.asdict(c) for c in rules.parse_clauses(data.body)]
    return {
        "body": data.body,
        "text_sha256": rules.text_sha256(data.body),
        "clauses": clauses,
        "material": data.material,
        "change_summary": data.change_summary,
        "effective_at": data.effective_at,
        "updated_at": now,
    }


def _find_document(
    ctx: Ctx, app_id: uuid.UUID, kind: rules.DocumentKind, slug: str, language: rules.Language
) -> Document | None:
    stmt = select(Document).where(
        Document.app_id == app_id,
        Document.kind == kind.value,
        Document.slug == slug,
        Document.language == language.value,
    )
    return ctx.session.scalars(stmt).first()


def _new_document(
    ctx: Ctx, app_id: uuid.UUID, kind: rules.DocumentKind, slug: str, language: rules.Language
) -> Document:
    zh, en = rules.KIND_TITLES[kind]
    title = zh if language is rules.Language.ZH_CN else en
    document = Document(
        app_id=app_id,
        kind=kind.value,
        slug=slug,
        language=language.value,
        title=f"{title}（{slug}）" if slug else title,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(document)
    ctx.session.flush()
    return document


# --- publishing -----------------------------------------------------------------------------------------------------


def schedule_version(ctx: Ctx, version_id: uuid.UUID) -> Version:
    """Publish a draft to take effect at its effective time; from now on it never changes.

    A material change needs the app's notice period ahead (InsideNoticePeriod) and queues an inbox notice to
    every registered user of the app in this same transaction (delivered after commit by the notices outbox).
    Also EffectiveDateRequired, EffectiveInPast, EffectiveOutOfOrder, VersionImmutable. Emits
    agreements.version.scheduled.
    """
    version = get_version(ctx, version_id)
    if version.published_at is not None:
        raise errors.VersionImmutable("this version is already published")
    now = ctx.clock.now()
    problem = rules.schedule_problem(
        effective_at=version.effective_at,
        material=version.material,
        now=now,
        notice_days=get_policy(ctx, version.app_id).notice_days,
        latest_effective=_latest_effective(ctx, version.document_id),
    )
    if problem is not None:
        raise _SCHEDULE_ERRORS[problem](_problem_detail(problem), effective_at=_iso(version.effective_at))
    version.published_at, version.published_by = now, ctx.actor.label
    if version.material:
        version.notices_queued = _notify_users(ctx, version)
    data = {
        "number": version.number,
        "effective_at": _iso(version.effective_at),
        "material": version.material,
        "text_sha256": version.text_sha256,
        "notices_queued": version.notices_queued,
    }
    audit.record(
        ctx, AgreementsEvent.VERSION_SCHEDULED, subject=_version_ref(version), app_id=version.app_id, data=data
    )
    return version


def _problem_detail(problem: rules.ScheduleProblem) -> str:
    return {
        rules.ScheduleProblem.NO_EFFECTIVE_DATE: "set the effective date before publishing",
        rules.ScheduleProblem.IN_THE_PAST: "the effective time must not be in the past",
        rules.ScheduleProblem.NOTICE_PERIOD: "a material change must take effect after the app's notice period",
        rules.ScheduleProblem.OUT_OF_ORDER: "the effective time must be after the latest published version's",
    }[problem]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _latest_effective(ctx: Ctx, document_id: uuid.UUID) -> dt.datetime | None:
    stmt = select(func.max(Version.effective_at)).where(
        Version.document_id == document_id, Version.published_at.is_not(None)
    )
    return ctx.session.scalar(stmt)


def _notify_users(ctx: Ctx, version: Version) -> int:
    document = ctx.session.get_one(Document, version.document_id)
    app = apps.get_app(ctx, version.app_id)
    effective = version.effective_at.date().isoformat() if version.effective_at else ""
    subject = f"《{document.title}》将于 {effective} 更新"
    body = (
        f"{app.name} 将于 {effective} 起施行新版《{document.title}》（第 {version.number} 版）。"
        f"主要变更：{version.change_summary or '详见全文'}。全文：{public_path(app.slug, document)}"
    )
    queued, after = 0, None
    while True:
        page = accounts.list_users(ctx, version.app_id, limit=_USER_PAGE, after=after)
        if not page:
            return queued
        queued += notices.enqueue_many(
            ctx, app_id=version.app_id, user_ids=[u.id for u in page], channel=notices.Channel.INBOX,
            subject=subject, body=body, reason=_version_ref(version),
        )  # fmt: skip
        after = page[-1].id


def public_path(app_slug: str, document: Document) -> str:
    if document.kind == rules.DocumentKind.CUSTOM.value:
        return f"/p/{app_slug}/custom/{document.slug}"
    path = next(p for p, k in rules.PUBLIC_PATHS.items() if k.value == document.kind)
    return f"/p/{app_slug}/{path}"


# --- reading --------------------------------------------------------------------------------------------------------


def get_version(ctx: Ctx, version_id: uuid.UUID) -> Version:
    """The version, if the caller may see it (an app key sees only its app's versions)."""
    version = ctx.session.get(Version, version_id)
    if version is None:
        raise errors.VersionNotFound("no such document version", version_id=str(version_id))
    try:
        apps.get_app(ctx, version.app_id)
    except apps.AppNotFound:
        raise errors.VersionNotFound("no such document version", version_id=str(version_id)) from None
    return version


def list_documents(ctx: Ctx, app_id: uuid.UUID, *, kinds: Sequence[rules.DocumentKind] = ()) -> list[DocumentView]:
    """Every document of the app (optionally of some kinds) with its versions' states; two queries."""
    stmt = select(Document).where(Document.app_id == app_id).order_by(Document.kind, Document.slug, Document.language)
    if kinds:
        stmt = stmt.where(Document.kind.in_([k.value for k in kinds]))
    documents = list(ctx.session.scalars(stmt))
    by_document: dict[uuid.UUID, list[Version]] = defaultdict(list)
    if documents:
        ids = [d.id for d in documents]
        for v in ctx.session.scalars(select(Version).where(Version.document_id.in_(ids)).order_by(Version.number)):
            by_document[v.document_id].append(v)
    now = ctx.clock.now()
    return [_view(d, by_document[d.id], now) for d in documents]


def _view(document: Document, versions: list[Version], now: dt.datetime) -> DocumentView:
    states = rules.states([facts(v) for v in versions], now)
    return DocumentView(document, tuple((v, states[v.number]) for v in versions))


def find_document(
    ctx: Ctx, app_id: uuid.UUID, *, kind: rules.DocumentKind, slug: str, language: rules.Language
) -> DocumentView | None:
    document = _find_document(ctx, app_id, kind, slug, language)
    if document is None:
        return None
    versions = list(
        ctx.session.scalars(select(Version).where(Version.document_id == document.id).order_by(Version.number))
    )
    return _view(document, versions, ctx.clock.now())


def get_document_of(ctx: Ctx, version: Version) -> DocumentView:
    """The document of `version` with all its versions (two lookups: the document, usually cached, and versions)."""
    document = ctx.session.get_one(Document, version.document_id)
    stmt = select(Version).where(Version.document_id == document.id).order_by(Version.number)
    return _view(document, list(ctx.session.scalars(stmt)), ctx.clock.now())


def notice_counts(ctx: Ctx, version: Version) -> NoticeCountsRead:
    """The change notices `version` queued and how far the outbox got with them (asked of the notices module by
    reason, as its tables are not ours to read): pending, sent, dead, and when the first and the last went out."""
    summary = notices.delivery_summary(ctx, app_id=version.app_id, reason=_version_ref(version))
    return NoticeCountsRead(
        version_id=version.id,
        queued=version.notices_queued,
        pending=summary.pending,
        sent=summary.sent,
        dead=summary.dead,
        first_sent_at=summary.first_sent_at,
        last_sent_at=summary.last_sent_at,
    )
