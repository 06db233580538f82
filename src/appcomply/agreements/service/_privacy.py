"""What the consent module asks of the privacy policy: is one in force, and which published version a user saw."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select

from appcomply.agreements import errors, rules
from appcomply.agreements.models import Document, Version
from appcomply.agreements.service._documents import get_document_of
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class PolicyVersionRef:
    """A privacy-policy version as other modules cite it."""

    id: uuid.UUID
    number: int
    text_sha256: str


def privacy_policy_in_force(ctx: Ctx, app_id: uuid.UUID) -> bool:
    """Whether the app has a published privacy policy that has taken effect (in any language). One query."""
    stmt = select(
        exists().where(
            Version.app_id == app_id,
            Version.document_id == Document.id,
            Document.kind == rules.DocumentKind.PRIVACY_POLICY.value,
            Version.published_at.is_not(None),
            Version.effective_at <= ctx.clock.now(),
        )
    )
    return bool(ctx.session.scalar(stmt))


def shown_privacy_version(ctx: Ctx, app_id: uuid.UUID, version_id: uuid.UUID) -> PolicyVersionRef:
    """The privacy-policy version a user was shown when answering a consent request: published, of this app, in
    force or scheduled. Refused: VersionNotFound (none, another app's, not a privacy policy), VersionNotPublished
    (a draft), VersionSuperseded (the user saw text no longer in force)."""
    version = ctx.session.get(Version, version_id)
    if version is None or version.app_id != app_id:
        raise errors.VersionNotFound("no such privacy-policy version in this app", version_id=str(version_id))
    view = get_document_of(ctx, version)
    if view.document.kind != rules.DocumentKind.PRIVACY_POLICY.value:
        raise errors.VersionNotFound("this version is not of a privacy policy", version_id=str(version_id))
    state = {v.id: s for v, s in view.versions}[version.id]
    if state is rules.VersionState.DRAFT:
        raise errors.VersionNotPublished("this privacy-policy version is a draft", version_id=str(version_id))
    if state is rules.VersionState.SUPERSEDED:
        raise errors.VersionSuperseded("a newer privacy policy is in force", version_id=str(version_id))
    return PolicyVersionRef(version.id, version.number, version.text_sha256)
