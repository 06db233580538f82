"""Acceptances and gating on a real database: what is pending, re-acceptance, refusals that write nothing, PI."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appcomply import accounts, agreements
from appcomply.accounts import UserNotFound
from appcomply.agreements import errors, service
from appcomply.agreements.models import Acceptance
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.identity import rules as identity_rules
from appcomply.identity import service as identity_service
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.agreements import INDEX_KEY, accept_pending, acceptance, as_app, publish, publish_required
from tests.factories.apps import make_app

DAY = dt.timedelta(days=1)
AGREEMENT = agreements.DocumentKind.USER_AGREEMENT
PRIVACY = agreements.DocumentKind.PRIVACY_POLICY


def _written(session: Session) -> tuple[int, int]:
    session.flush()
    return (
        session.scalar(select(func.count()).select_from(Acceptance)) or 0,
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    )


def test_nothing_is_pending_while_the_app_has_published_nothing(app_ctx: Ctx, user: accounts.EndUser) -> None:
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == []


def test_a_new_user_must_accept_the_required_documents_then_nothing(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser
) -> None:
    publish_required(ctx, app.id)
    publish(ctx, app.id, agreements.DocumentKind.MANAGEMENT_RULES)  # published, but not required by default
    assert [item.kind for item in agreements.list_pending(app_ctx, user.id).pending] == [AGREEMENT, PRIVACY]
    accepted = accept_pending(ctx, user)
    assert len(accepted) == 2
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == []


def test_an_acceptance_keeps_the_text_hash_and_only_masked_or_indexed_ip(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, session: Session
) -> None:
    version = publish(ctx, app.id, AGREEMENT)
    row = agreements.accept_version(app_ctx, user.id, acceptance(version.id), index_key=INDEX_KEY)
    assert (row.text_sha256, row.version_number) == (version.text_sha256, 1)
    assert row.ip_masked == "203.0.113.*"
    assert "203.0.113.7" not in row.ip_index
    assert len(row.ip_index) == 64
    session.flush()
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None
    assert entry.event == "agreements.acceptance.recorded"
    assert "203.0.113" not in str(entry.data)


def test_a_material_change_asks_again_and_a_minor_one_does_not(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, clock: FixedClock
) -> None:
    publish_required(ctx, app.id)
    accept_pending(ctx, user)
    publish(ctx, app.id, AGREEMENT, "第一条 措辞调整。\n", effective_at=clock.now() + DAY)
    publish(ctx, app.id, PRIVACY, "1. 新增处理目的\n", material=True, effective_at=clock.now() + 7 * DAY)
    clock.advance(DAY)
    # The minor change is in force; nothing to accept.
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == []
    clock.advance(6 * DAY)
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == [PRIVACY]
    pending = agreements.list_pending(app_ctx, user.id).pending
    assert (pending[0].version, pending[0].material) == (2, True)
    accept_pending(ctx, user)
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == []


def test_a_scheduled_version_may_be_accepted_ahead_of_its_date(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, clock: FixedClock
) -> None:
    publish(ctx, app.id, AGREEMENT)
    upcoming = publish(ctx, app.id, AGREEMENT, "第一条 新。\n", material=True, effective_at=clock.now() + 7 * DAY)
    agreements.accept_version(app_ctx, user.id, acceptance(upcoming.id), index_key=INDEX_KEY)
    clock.advance(7 * DAY)
    assert AGREEMENT not in agreements.pending_kinds(app_ctx, user.app_id, user.id)


def test_an_english_acceptance_satisfies_the_kind(ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser) -> None:
    publish(ctx, app.id, AGREEMENT)
    english = publish(ctx, app.id, AGREEMENT, "1. Scope\n", language=agreements.Language.EN)
    agreements.accept_version(app_ctx, user.id, acceptance(english.id), index_key=INDEX_KEY)
    assert AGREEMENT not in agreements.pending_kinds(app_ctx, user.app_id, user.id)


def test_accepting_a_draft_is_refused_and_writes_nothing(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, session: Session
) -> None:
    data = agreements.DraftForm(body="第一条 草稿。\n")
    draft = agreements.create_draft(ctx, app.id, kind=AGREEMENT, slug="", language=agreements.Language.ZH_CN, data=data)
    before = _written(session)
    with pytest.raises(errors.VersionNotPublished):
        agreements.accept_version(app_ctx, user.id, acceptance(draft.id), index_key=INDEX_KEY)
    assert _written(session) == before


def test_accepting_a_superseded_version_is_refused(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, clock: FixedClock, session: Session
) -> None:
    old = publish(ctx, app.id, AGREEMENT)
    publish(ctx, app.id, AGREEMENT, "第一条 新。\n", effective_at=clock.now() + DAY)
    clock.advance(DAY)
    before = _written(session)
    with pytest.raises(errors.VersionSuperseded):
        agreements.accept_version(app_ctx, user.id, acceptance(old.id), index_key=INDEX_KEY)
    assert _written(session) == before


@pytest.mark.parametrize(
    ("overrides", "error"),
    [({"channel": None}, errors.ChannelRequired), ({"accepted": False}, errors.NotAffirmative)],
)
def test_an_acceptance_without_a_channel_or_not_affirmative_is_refused(
    ctx: Ctx,
    app: App,
    app_ctx: Ctx,
    user: accounts.EndUser,
    session: Session,
    overrides: dict[str, object],
    error: type[Exception],
) -> None:
    version = publish(ctx, app.id, AGREEMENT)
    before = _written(session)
    with pytest.raises(error):
        agreements.accept_version(app_ctx, user.id, acceptance(version.id, **overrides), index_key=INDEX_KEY)
    assert _written(session) == before


def test_accepting_for_a_user_of_another_app_is_not_found(ctx: Ctx, app: App, user: accounts.EndUser) -> None:
    version = publish(ctx, app.id, AGREEMENT)
    other = make_app(ctx)
    with pytest.raises(UserNotFound):
        agreements.accept_version(as_app(ctx, other.id), user.id, acceptance(version.id), index_key=INDEX_KEY)


def test_another_apps_version_cannot_be_accepted(ctx: Ctx, app: App, user: accounts.EndUser) -> None:
    other = make_app(ctx)
    foreign = publish(ctx, other.id, AGREEMENT)
    with pytest.raises(errors.VersionNotFound):
        agreements.accept_version(ctx, user.id, acceptance(foreign.id), index_key=INDEX_KEY)


def _permissions(ctx: Ctx, user: accounts.EndUser) -> dict[str, tuple[bool, str | None]]:
    return {p.action.value: (p.allowed, p.reason) for p in identity_service.get_permissions(ctx, user.id).permissions}


def test_service_is_gated_on_pending_acceptances_after_identity(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser
) -> None:
    identity_service.set_policy(ctx, app.id, {identity_rules.Action.COMMENT: identity_rules.Requirement.NONE})
    publish_required(ctx, app.id)
    found = _permissions(app_ctx, user)
    assert found["browse"] == (True, None)
    assert found["publish"] == (False, "identity.unverified")  # unverified wins
    assert found["comment"] == (False, "agreements.pending")
    accept_pending(ctx, user)
    assert _permissions(app_ctx, user)["comment"] == (True, None)


def test_an_app_that_requires_nothing_gates_nothing(ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser) -> None:
    publish_required(ctx, app.id)
    agreements.set_policy(ctx, app.id, notice_days=7, required_kinds=[PRIVACY])
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == [PRIVACY]
    agreements.set_policy(ctx, app.id, notice_days=7, required_kinds=[])
    assert agreements.pending_kinds(app_ctx, user.app_id, user.id) == []


def test_documents_are_read_by_an_app_key_only(ctx: Ctx) -> None:
    with pytest.raises(errors.AppKeyRequired):
        service.documents_read(ctx)
