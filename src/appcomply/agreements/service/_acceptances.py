"""Acceptances: a user's affirmative acceptance of a version, and what the user must still accept."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Uuid, bindparam, func, select

from appcomply import accounts, audit, vault
from appcomply.agreements import errors, rules
from appcomply.agreements.events import AgreementsEvent
from appcomply.agreements.models import Acceptance, AgreementPolicy, Document, Version
from appcomply.agreements.schemas import AcceptanceCreate, PendingItem, PendingRead
from appcomply.agreements.service._documents import (
    DocumentView,
    facts,
    get_document_of,
    get_policy,
    get_version,
    list_documents,
)
from appcomply.db.cache import AppCache
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class AgreementsEnv:
    """What acceptances need from the process: the vault's blind-index key (the IP address is kept as an index)."""

    index_key: bytes


def accept_version(ctx: Ctx, user_id: uuid.UUID, data: AcceptanceCreate, *, index_key: bytes) -> Acceptance:
    """Record that the user affirmatively accepted one version, keeping the text's hash.

    Refused with nothing written: NotAffirmative, ChannelRequired, UserNotFound (a user of another app),
    VersionNotFound, VersionNotPublished (a draft), VersionSuperseded. Emits agreements.acceptance.recorded.
    The IP is kept only as a keyed index and a masked form (it is personal information).
    """
    if not data.accepted:
        raise errors.NotAffirmative("record an acceptance only when the user accepted; silence is not consent")
    if data.channel is None:
        raise errors.ChannelRequired("say where the user accepted: channel is required")
    user = accounts.get_user(ctx, user_id)
    version = get_version(ctx, data.version_id)
    if version.app_id != user.app_id:
        raise errors.VersionNotFound("no such document version", version_id=str(data.version_id))
    state = {v.id: s for v, s in get_document_of(ctx, version).versions}[version.id]
    if state is rules.VersionState.DRAFT:
        raise errors.VersionNotPublished("this version is a draft", version_id=str(version.id))
    if state is rules.VersionState.SUPERSEDED:
        raise errors.VersionSuperseded("a newer version is in force", version_id=str(version.id))
    row = Acceptance(
        app_id=user.app_id,
        user_id=user.id,
        document_id=version.document_id,
        version_id=version.id,
        version_number=version.number,
        text_sha256=version.text_sha256,
        channel=data.channel.value,
        client_time=data.client_time,
        ip_index=vault.blind_index(index_key, data.ip, kind=vault.PiKind.PHONE, context=f"ip:{user.app_id}"),
        ip_masked=rules.mask_ip(data.ip),
        user_agent=rules.truncate_user_agent(data.user_agent),
        accepted_at=ctx.clock.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(
        ctx, AgreementsEvent.ACCEPTANCE_RECORDED, subject=audit.Subject("end_user", str(user.id)), app_id=user.app_id,
        data={"version_id": str(version.id), "number": version.number, "text_sha256": version.text_sha256,
              "channel": row.channel},
    )  # fmt: skip
    return row


@dataclass(frozen=True, slots=True)
class _Required:
    """What an app asks its users to accept: each main document (slug "") of a required kind, with its versions'
    facts; kept per process (`_REQUIRED`), so gating a user reads only the user's own acceptances."""

    kinds: tuple[rules.DocumentKind, ...]
    documents: tuple[tuple[rules.DocumentKind, uuid.UUID, tuple[rules.VersionFacts, ...]], ...]


_REQUIRED: AppCache[_Required] = AppCache(AgreementPolicy, Document, Version)


def _required(ctx: Ctx, app_id: uuid.UUID) -> tuple[_Required, list[DocumentView]]:
    """The app's requirement read now (three queries at most), and the views it was read from."""
    kinds = get_policy(ctx, app_id).required_kinds
    views = [v for v in list_documents(ctx, app_id, kinds=kinds) if v.document.slug == ""] if kinds else []
    documents = tuple(
        (rules.DocumentKind(v.document.kind), v.document.id, tuple(facts(x) for x, _ in v.versions)) for v in views
    )
    return _Required(tuple(kinds), documents), views


# Built once (SQLAlchemy caches its SQL): on a user's permissions, building the statement cost more than running it.
_ACCEPTED: Final = select(Acceptance.document_id, Acceptance.version_number).where(
    Acceptance.user_id == bindparam("user_id", type_=Uuid())
)


def _accepted(ctx: Ctx, user_id: uuid.UUID) -> dict[uuid.UUID, set[int]]:
    accepted: dict[uuid.UUID, set[int]] = defaultdict(set)
    for document_id, number in ctx.session.connection().execute(_ACCEPTED, {"user_id": user_id}):
        accepted[document_id].add(number)
    return accepted


def _pending_documents(
    required: _Required, accepted: dict[uuid.UUID, set[int]], now: dt.datetime
) -> list[tuple[rules.DocumentKind, list[uuid.UUID]]]:
    """Per required kind still to accept, its documents with a version in force: a kind is pending when it has such
    a document and the user's acceptances satisfy none of them (any language)."""
    out = []
    for kind in required.kinds:
        candidates = [
            (document_id, versions) for k, document_id, versions in required.documents
            if k is kind and rules.VersionState.IN_FORCE in rules.states(versions, now).values()
        ]  # fmt: skip
        satisfied = any(
            rules.is_satisfied(rules.required_number(versions, now), accepted[document_id])
            for document_id, versions in candidates
        )
        if candidates and not satisfied:
            out.append((kind, [document_id for document_id, _ in candidates]))
    return out


def _pending(ctx: Ctx, user: accounts.EndUser) -> list[tuple[rules.DocumentKind, DocumentView, Version]]:
    """Per required kind still to accept, the version to show (the Chinese one first). Three queries."""
    required, views = _required(ctx, user.app_id)
    by_id = {v.document.id: v for v in views}
    out = []
    for kind, document_ids in _pending_documents(required, _accepted(ctx, user.id), ctx.clock.now()):
        first = min((by_id[i] for i in document_ids), key=lambda v: v.document.language != rules.Language.ZH_CN.value)
        assert first.in_force is not None  # noqa: S101 - only documents with a version in force are pending
        out.append((kind, first, first.in_force))
    return out


def pending_kinds(ctx: Ctx, app_id: uuid.UUID, user_id: uuid.UUID) -> list[rules.DocumentKind]:
    """The required kinds whose version in force the user (of `app_id`) has not (re-)accepted: service is gated on
    these. On the per-request path (a user's permissions): one query, the user's acceptances, while this process
    knows the app's requirement; none when the app requires nothing."""
    required = _REQUIRED.get(ctx.session, app_id, lambda: _required(ctx, app_id)[0])
    if not required.documents:
        return []
    return [kind for kind, _ in _pending_documents(required, _accepted(ctx, user_id), ctx.clock.now())]


def list_pending(ctx: Ctx, user_id: uuid.UUID) -> PendingRead:
    """What the user must accept now, with the version to show for each kind."""
    user = accounts.get_user(ctx, user_id)
    items = [
        PendingItem(
            kind=kind, version_id=v.id, version=v.number, language=rules.Language(view.document.language),
            material=v.material, text_sha256=v.text_sha256,
        )
        for kind, view, v in _pending(ctx, user)
    ]  # fmt: skip
    return PendingRead(user_id=user.id, pending=items)


def acceptance_counts(ctx: Ctx, app_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Acceptances per version of the app, in one query."""
    stmt = (
        select(Acceptance.version_id, func.count()).where(Acceptance.app_id == app_id).group_by(Acceptance.version_id)
    )
    return {row[0]: row[1] for row in ctx.session.execute(stmt)}
